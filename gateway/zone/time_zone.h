// TimeZone: an IANA time zone from the system's tz database
// (/usr/share/zoneinfo, Debian's tzdata, read through Howard Hinnant's date
// library), for meters whose clock is not on CET/CEST: an Irish meter's
// "YYMMDDhhmmssS" is Europe/Dublin wall-clock time. Meters on CET/CEST (the
// default) never need it: the core resolves them by the EU rule alone.
#ifndef P1GW_GATEWAY_ZONE_TIME_ZONE_H_
#define P1GW_GATEWAY_ZONE_TIME_ZONE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/core/reading.h"

namespace date {
class time_zone;
}

namespace p1 {

class TimeZone {
 public:
  // False with *err ("unknown timezone 'X'") when the database has no such
  // zone. The database is read once, at the first call.
  static bool Find(std::string_view name, TimeZone* out, std::string* err);

  // The UTC time and offset of a wall-clock time `local_seconds` (seconds
  // since 1970-01-01 00:00 as if it were UTC). Where the wall-clock time is
  // ambiguous (the repeated hour in autumn) or skipped (spring), `summer`
  // (DSMR's S/W flag) picks summer time (the larger offset) or winter time;
  // elsewhere the zone's rules decide.
  void Resolve(int64_t local_seconds, bool summer, int64_t* unix_seconds,
               int* offset_minutes) const;

  // Every timestamp of *r, which the parser read as CET/CEST, re-read as
  // this zone's wall-clock time (RezoneTimestamps).
  void Rezone(Reading* r) const;

  bool valid() const { return zone_ != nullptr; }

 private:
  const date::time_zone* zone_ = nullptr;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_ZONE_TIME_ZONE_H_
