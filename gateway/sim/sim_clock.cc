#include "gateway/sim/sim_clock.h"

#include <chrono>
#include <cstdio>

#include "gateway/core/dsmr_time.h"

namespace p1 {
namespace {

namespace chr = std::chrono;

constexpr int64_t kDay = 86400;

chr::sys_days SysDays(int64_t days) { return chr::sys_days{chr::days{days}}; }

}  // namespace

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool IsEuSummerTime(int64_t unix_s) {
  // Read the time as winter wall-clock and let the parser's EU rule decide;
  // the rule compares in UTC, so the repeated October hour comes out right.
  int y, m, d;
  const int64_t winter = unix_s + 3600;
  const int64_t days = FloorDiv(winter, kDay);
  const int64_t secs = winter - days * kDay;
  CivilFromDays(days, &y, &m, &d);
  Timestamp ts;
  ResolveCetTime(y, m, d, static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                 static_cast<int>(secs % 60), '\0', &ts);
  return ts.offset_minutes == 120;
}

LocalTime ToLocal(int64_t unix_s) { return ToLocalAt(unix_s, 3600); }

LocalTime ToLocalAt(int64_t unix_s, int winter_offset_s) {
  LocalTime t;
  t.dst = IsEuSummerTime(unix_s);
  const int64_t local = unix_s + winter_offset_s + (t.dst ? 3600 : 0);
  const int64_t days = FloorDiv(local, kDay);
  const int64_t secs = local - days * kDay;
  CivilFromDays(days, &t.year, &t.month, &t.day);
  t.hour = static_cast<int>(secs / 3600);
  t.minute = static_cast<int>(secs / 60 % 60);
  t.second = static_cast<int>(secs % 60);
  t.weekday = static_cast<int>(chr::weekday{SysDays(days)}.c_encoding());
  t.day_of_year = static_cast<int>(days - DaysFromCivil(t.year, 1, 1));
  return t;
}

int64_t FromLocal(int year, int month, int day, int hour, int minute, int second) {
  Timestamp ts;
  if (ResolveCetTime(year, month, day, hour, minute, second, '\0', &ts)) return ts.unix_seconds;
  return DaysFromCivil(year, month, day) * kDay + hour * 3600 + minute * 60 + second - 3600;
}

std::string DsmrTimestamp(const LocalTime& t, bool suffix) {
  char buf[16];
  int n = std::snprintf(buf, sizeof buf, "%02d%02d%02d%02d%02d%02d", ((t.year % 100) + 100) % 100,
                        t.month, t.day, t.hour, t.minute, t.second);
  std::string out(buf, static_cast<size_t>(n));
  if (suffix) out += t.dst ? 'S' : 'W';
  return out;
}

}  // namespace p1
