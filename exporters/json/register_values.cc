#include "exporters/json/register_values.h"

#include <charconv>
#include <cstdio>

#include "gateway/core/dsmr_time.h"

namespace p1 {
namespace {

struct LocalTime {
  int year, month, day, hour, minute, second;
};

LocalTime ToLocal(const Timestamp& ts) {
  int64_t local = ts.unix_seconds + int64_t{ts.offset_minutes} * 60;
  int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  int64_t secs = local - days * 86400;
  LocalTime t{};
  CivilFromDays(days, &t.year, &t.month, &t.day);
  t.hour = static_cast<int>(secs / 3600);
  t.minute = static_cast<int>(secs / 60 % 60);
  t.second = static_cast<int>(secs % 60);
  return t;
}

bool IsVolumeUnit(std::string_view unit) {
  return unit.empty() || ToUnit(1, "1", unit, Quantity::kVolume, "m3").has_value();
}

}  // namespace

std::string_view RawValue(const CosemObject* o) {
  if (o == nullptr) return {};
  if (o->kind == ValueKind::kNumber) return o->number_text;
  if (o->kind == ValueKind::kText) return o->text;
  return {};
}

std::optional<double> RegisterIn(const Reading& r, Obis code, Quantity q, std::string_view target) {
  const CosemObject* o = r.Find(code);
  if (o == nullptr || o->kind != ValueKind::kNumber) return std::nullopt;
  return ToUnit(o->number, o->number_text, o->unit, q, target);
}

std::optional<int64_t> RegisterInteger(const Reading& r, Obis code) {
  std::string_view s = RawValue(r.Find(code));
  if (s.empty() || s[0] < '0' || s[0] > '9') return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<int64_t> LocalTimestampNumber(const Timestamp& ts) {
  if (!ts.valid) return std::nullopt;
  LocalTime t = ToLocal(ts);
  return ((((int64_t{t.year % 100} * 100 + t.month) * 100 + t.day) * 100 + t.hour) * 100 +
          t.minute) *
             100 +
         t.second;
}

std::string LocalTimestampText(const Timestamp& ts) {
  if (!ts.valid) return {};
  LocalTime t = ToLocal(ts);
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%02d%02d%02d%02d%02d%02d", t.year % 100, t.month, t.day,
                        t.hour, t.minute, t.second);
  std::string out(buf, static_cast<size_t>(n));
  if (ts.offset_minutes == 60) out.push_back('W');
  if (ts.offset_minutes == 120) out.push_back('S');
  return out;
}

bool HasReading(const MbusDevice& d) {
  return d.has_value && (!d.unit.empty() || d.timestamp.valid);
}

bool IsGasMeter(const MbusDevice& d) {
  return d.device_type == 3 || (d.device_type < 0 && IsVolumeUnit(d.unit));
}

const MbusDevice* FirstGasMeter(const Reading& r) {
  for (const MbusDevice& d : r.mbus) {
    if (HasReading(d) && IsGasMeter(d)) return &d;
  }
  return nullptr;
}

}  // namespace p1
