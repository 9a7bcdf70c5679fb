#include "gateway/zone/time_zone.h"

#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "gateway/core/dsmr_time.h"

namespace p1 {

bool TimeZone::Find(std::string_view name, TimeZone* out, std::string* err) {
  try {
    out->zone_ = date::locate_zone(name);
    return true;
  } catch (const std::exception& e) {
    *err = "unknown timezone '" + std::string(name) + "' (an IANA name such as Europe/Dublin)";
    return false;
  }
}

void TimeZone::Resolve(int64_t local_seconds, bool summer, int64_t* unix_seconds,
                       int* offset_minutes) const {
  const date::local_seconds local{std::chrono::seconds{local_seconds}};
  const date::local_info info = zone_->get_info(local);
  std::chrono::seconds offset = info.first.offset;
  if (info.result != date::local_info::unique) {
    // Compared by offset, not by the zone's save/isdst bit: Europe/Dublin's
    // rules call winter (GMT) the daylight-saving time, with save = -1 h.
    offset = summer ? std::max(info.first.offset, info.second.offset)
                    : std::min(info.first.offset, info.second.offset);
  }
  *unix_seconds = local_seconds - offset.count();
  *offset_minutes = static_cast<int>(offset.count() / 60);
}

void TimeZone::Rezone(Reading* r) const {
  RezoneTimestamps(r, [this](int64_t local, bool summer, Timestamp* ts) {
    int offset = 0;
    Resolve(local, summer, &ts->unix_seconds, &offset);
    ts->offset_minutes = static_cast<int16_t>(offset);
  });
}

}  // namespace p1
