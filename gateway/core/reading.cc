#include "gateway/core/reading.h"

#include <cstdio>
#include <ctime>

namespace p1 {

const char* CrcStatusName(CrcStatus s) {
  switch (s) {
    case CrcStatus::kValid: return "valid";
    case CrcStatus::kInvalid: return "invalid";
    case CrcStatus::kAbsent: return "absent";
  }
  return "absent";
}

std::string Obis::ToString() const {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%u-%u:%u.%u.%u", a, b, c, d, e);
  return std::string(buf, static_cast<size_t>(n));
}

std::string Timestamp::ToIso8601() const {
  if (!valid) return {};
  time_t local = static_cast<time_t>(unix_seconds + offset_minutes * 60);
  struct tm tm;
  gmtime_r(&local, &tm);
  int off = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                        offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
  return std::string(buf, static_cast<size_t>(n));
}

void Reading::Clear() {
  header = {};
  crc = CrcStatus::kAbsent;
  objects.clear();
  events.clear();
  entries.clear();
  mbus.clear();
  errors.clear();
}

const CosemObject* Reading::Find(Obis code) const {
  for (const CosemObject& o : objects) {
    if (o.obis == code) return &o;
  }
  return nullptr;
}

}  // namespace p1
