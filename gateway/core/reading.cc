#include "gateway/core/reading.h"

#include <chrono>
#include <cstdio>

namespace p1 {

const char* CrcStatusName(CrcStatus s) {
  switch (s) {
    case CrcStatus::kValid:
      return "valid";
    case CrcStatus::kInvalid:
      return "invalid";
    case CrcStatus::kAbsent:
      return "absent";
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
  namespace chr = std::chrono;
  const chr::sys_seconds local{chr::seconds{unix_seconds + offset_minutes * 60}};
  const chr::sys_days day = chr::floor<chr::days>(local);
  const chr::year_month_day ymd{day};
  const chr::hh_mm_ss hms{local - day};
  int off = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buf[40];
  int n = std::snprintf(
      buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d%c%02d:%02d", static_cast<int>(ymd.year()),
      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
      static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
      static_cast<int>(hms.seconds().count()), offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
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
