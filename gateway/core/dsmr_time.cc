#include "gateway/core/dsmr_time.h"

#include <chrono>

#include "gateway/core/parser.h"

namespace p1 {
namespace {

namespace chr = std::chrono;

constexpr int64_t kDaySeconds = 86400;

// Unix time of 01:00 UTC on the last Sunday of month m: the EU switch moment.
int64_t LastSundayAt0100Utc(int y, int m) {
  const chr::sys_days sunday{chr::year{y} / chr::month(static_cast<unsigned>(m)) /
                             chr::Sunday[chr::last]};
  return sunday.time_since_epoch().count() * kDaySeconds + 3600;
}

// Two ASCII digits at s[i], s[i+1]; -1 if either is not a digit.
int TwoDigits(std::string_view s, size_t i) {
  char a = s[i], b = s[i + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
  return (a - '0') * 10 + (b - '0');
}

}  // namespace

int64_t DaysFromCivil(int year, int month, int day) {
  // A day past the month's end counts on into the next (C++20 defines
  // sys_days of y/m/d as y/m/1 + (d - 1) for a valid year and month).
  const chr::year_month_day ymd{chr::year{year}, chr::month(static_cast<unsigned>(month)),
                                chr::day(static_cast<unsigned>(day))};
  return chr::sys_days{ymd}.time_since_epoch().count();
}

void CivilFromDays(int64_t days, int* y, int* m, int* d) {
  const chr::year_month_day ymd{chr::sys_days{chr::days{days}}};
  *y = static_cast<int>(ymd.year());
  *m = static_cast<int>(static_cast<unsigned>(ymd.month()));
  *d = static_cast<int>(static_cast<unsigned>(ymd.day()));
}

bool ResolveCetTime(int year, int month, int day, int hour, int minute, int second, char suffix,
                    Timestamp* out) {
  *out = Timestamp{};
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 59) {
    return false;
  }
  const chr::year_month_day ymd{chr::year{year}, chr::month(static_cast<unsigned>(month)),
                                chr::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return false;  // e.g. 31 April, 29 February of a common year
  int64_t local = chr::sys_days{ymd}.time_since_epoch().count() * kDaySeconds + hour * 3600 +
                  minute * 60 + second;
  int offset_minutes;
  if (suffix == 'S' || suffix == 's') {
    offset_minutes = 120;
  } else if (suffix == 'W' || suffix == 'w') {
    offset_minutes = 60;
  } else {
    int64_t as_winter_utc = local - 3600;
    bool summer = as_winter_utc >= LastSundayAt0100Utc(year, 3) &&
                  as_winter_utc < LastSundayAt0100Utc(year, 10);
    offset_minutes = summer ? 120 : 60;
  }
  out->unix_seconds = local - offset_minutes * 60;
  out->offset_minutes = static_cast<int16_t>(offset_minutes);
  out->valid = true;
  return true;
}

bool ParseDsmrTimestamp(std::string_view text, Timestamp* out) {
  *out = Timestamp{};
  // 12 digits and an optional S/W; TwoDigits below checks the digits.
  if (text.size() == 13) {
    const char x = text[12];
    if (x != 'S' && x != 'W' && x != 's' && x != 'w') return false;
  } else if (text.size() != 12) {
    return false;
  }
  int f[6];
  for (int i = 0; i < 6; ++i) {
    f[i] = TwoDigits(text, static_cast<size_t>(i) * 2);
    if (f[i] < 0) return false;
  }
  // Meters without a clock fill in fixed dates: 2000-01-01 (Kaifa, Iskra
  // "000101010000W", "000101000001W") and 1970-01-01 read as 2070 ("700101…").
  // They are real dates, but presenting them as readings would be a lie.
  if ((f[0] == 0 || f[0] == 70) && f[1] == 1 && f[2] == 1) return false;
  char suffix = text.size() == 13 ? text[12] : '\0';
  return ResolveCetTime(2000 + f[0], f[1], f[2], f[3], f[4], f[5], suffix, out);
}

bool ParseAceTimestamp(std::string_view text, Timestamp* out) {
  *out = Timestamp{};
  // "YY-MM-DD hh:mm:ss"
  if (text.size() != 17 || text[2] != '-' || text[5] != '-' || text[8] != ' ' || text[11] != ':' ||
      text[14] != ':') {
    return false;
  }
  int f[6];
  for (int i = 0; i < 6; ++i) {
    f[i] = TwoDigits(text, static_cast<size_t>(i) * 3);
    if (f[i] < 0) return false;
  }
  return ResolveCetTime(2000 + f[0], f[1], f[2], f[3], f[4], f[5], '\0', out);
}

}  // namespace p1
