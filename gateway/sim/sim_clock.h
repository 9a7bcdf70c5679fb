// Calendar arithmetic for the simulated meters: UTC -> Central European
// local time (CET/CEST by the EU rule, as resolved by gateway/core/dsmr_time.h).
// Pure arithmetic, no TZ database, valid for any year.
#ifndef P1GW_GATEWAY_SIM_SIM_CLOCK_H_
#define P1GW_GATEWAY_SIM_SIM_CLOCK_H_

#include <cstdint>
#include <string>

namespace p1 {

struct LocalTime {
  int year = 1970, month = 1, day = 1;  // month 1..12, day 1..31
  int hour = 0, minute = 0, second = 0;
  int weekday = 4;      // 0 = Sunday
  int day_of_year = 0;  // 0 = January 1st
  bool dst = false;     // CEST (+02:00) when true, CET (+01:00) otherwise
};

// Floor division for possibly negative times.
int64_t FloorDiv(int64_t a, int64_t b);
// True when `unix_s` falls in EU summer time.
bool IsEuSummerTime(int64_t unix_s);
LocalTime ToLocal(int64_t unix_s);
// Local time in a zone `winter_offset_s` east of UTC that changes at the EU
// instants (summer: one hour more): Ireland and the UK (0), CET (3600).
LocalTime ToLocalAt(int64_t unix_s, int winter_offset_s);
// UTC seconds of a local wall-clock time (winter time when ambiguous).
int64_t FromLocal(int year, int month, int day, int hour, int minute, int second);
// "YYMMDDhhmmssX" with X = S (summer) or W (winter); without X if !suffix.
std::string DsmrTimestamp(const LocalTime& t, bool suffix = true);
inline std::string DsmrTimestamp(int64_t unix_s, bool suffix = true) {
  return DsmrTimestamp(ToLocal(unix_s), suffix);
}

}  // namespace p1

#endif  // P1GW_GATEWAY_SIM_SIM_CLOCK_H_
