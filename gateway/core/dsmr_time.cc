#include "gateway/core/dsmr_time.h"

#include "gateway/core/parser.h"

namespace p1 {
namespace {

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Unix time of 01:00 UTC on the last Sunday of month m: the EU switch moment.
int64_t LastSundayAt0100Utc(int y, int m) {
  int64_t days = DaysFromCivil(y, m, DaysInMonth(y, m));
  int64_t weekday = ((days % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday; 0 = Sunday
  return (days - weekday) * 86400 + 3600;
}

// Two ASCII digits at s[i], s[i+1]; -1 if either is not a digit.
int TwoDigits(std::string_view s, size_t i) {
  char a = s[i], b = s[i + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
  return (a - '0') * 10 + (b - '0');
}

}  // namespace

int64_t DaysFromCivil(int year, int month, int day) {
  // Howard Hinnant's days_from_civil: eras of 400 years, March-based years.
  int y = year - (month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return int64_t{era} * 146097 + doe - 719468;
}

bool ResolveCetTime(int year, int month, int day, int hour, int minute, int second, char suffix,
                    Timestamp* out) {
  *out = Timestamp{};
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour < 0 ||
      hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return false;
  }
  int64_t local = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
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
