#include "gateway/zone/time_zone.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "gateway/core/dsmr_time.h"
#include "gateway/core/parser.h"
#include "gateway/core/render.h"
#include "tests/support/corpus_files.h"

namespace p1 {
namespace {

namespace chr = std::chrono;

// Wall-clock seconds of y-m-d h:m:s, as if UTC.
int64_t Local(int y, unsigned m, unsigned d, int h, int min, int s) {
  const chr::sys_days day{chr::year{y} / chr::month{m} / chr::day{d}};
  return day.time_since_epoch().count() * 86400 + h * 3600 + min * 60 + s;
}

struct Utc {
  int64_t unix_seconds;
  int offset_minutes;
};

Utc Resolve(const TimeZone& zone, int64_t local, bool summer) {
  Utc u{};
  zone.Resolve(local, summer, &u.unix_seconds, &u.offset_minutes);
  return u;
}

TimeZone Zone(const char* name) {
  TimeZone z;
  std::string err;
  REQUIRE(TimeZone::Find(name, &z, &err));
  return z;
}

TEST_CASE("Europe/Dublin: GMT in winter, IST in summer, the S/W flag at both transitions",
          "[zone]") {
  const TimeZone dublin = Zone("Europe/Dublin");
  const Utc winter = Resolve(dublin, Local(2024, 1, 15, 12, 0, 0), false);
  CHECK(winter.unix_seconds == Local(2024, 1, 15, 12, 0, 0));
  CHECK(winter.offset_minutes == 0);
  const Utc summer = Resolve(dublin, Local(2024, 7, 1, 12, 0, 0), true);
  CHECK(summer.unix_seconds == Local(2024, 7, 1, 11, 0, 0));
  CHECK(summer.offset_minutes == 60);
  // Spring, 2024-03-31 01:00 UTC: the clocks jump from 01:00 GMT to 02:00 IST.
  CHECK(Resolve(dublin, Local(2024, 3, 31, 0, 59, 59), false).unix_seconds ==
        Local(2024, 3, 31, 0, 59, 59));
  CHECK(Resolve(dublin, Local(2024, 3, 31, 2, 0, 0), true).unix_seconds ==
        Local(2024, 3, 31, 1, 0, 0));
  // 01:30 does not exist; the flag says which side the meter meant.
  CHECK(Resolve(dublin, Local(2024, 3, 31, 1, 30, 0), false).offset_minutes == 0);
  CHECK(Resolve(dublin, Local(2024, 3, 31, 1, 30, 0), true).offset_minutes == 60);
  // Autumn, 2024-10-27 01:00 UTC: 01:00-02:00 local comes twice; S is the
  // first (IST) pass and W the second (GMT), an hour apart in UTC.
  const Utc first = Resolve(dublin, Local(2024, 10, 27, 1, 30, 0), true);
  const Utc second = Resolve(dublin, Local(2024, 10, 27, 1, 30, 0), false);
  CHECK(first.unix_seconds == Local(2024, 10, 27, 0, 30, 0));
  CHECK(first.offset_minutes == 60);
  CHECK(second.unix_seconds == Local(2024, 10, 27, 1, 30, 0));
  CHECK(second.offset_minutes == 0);
  // Outside the transitions the zone decides, whatever the flag says.
  CHECK(Resolve(dublin, Local(2024, 1, 15, 12, 0, 0), true).offset_minutes == 0);
}

TEST_CASE("Europe/Amsterdam from the tz database agrees with the built-in CET/CEST rule",
          "[zone]") {
  const TimeZone amsterdam = Zone("Europe/Amsterdam");
  // Every half hour of 2024 and 2025, each flag as the EU rule gives it
  // (the transitions' repeated hour both ways).
  int checked = 0;
  for (int64_t t = Local(2024, 1, 1, 0, 15, 0); t < Local(2026, 1, 1, 0, 0, 0); t += 1800) {
    const chr::sys_seconds s{chr::seconds{t}};
    const chr::year_month_day ymd{chr::floor<chr::days>(s)};
    const chr::hh_mm_ss hms{s - chr::floor<chr::days>(s)};
    for (char flag : {'\0', 'S', 'W'}) {
      Timestamp cet;
      REQUIRE(ResolveCetTime(int(ymd.year()), int(unsigned(ymd.month())), int(unsigned(ymd.day())),
                             int(hms.hours().count()), int(hms.minutes().count()), 0, flag, &cet));
      const bool summer = cet.offset_minutes == 120;
      const Utc tz = Resolve(amsterdam, t, summer);
      // The flag contradicting the date (S in January) is trusted by the
      // built-in rule only; the zone knows better. Compare where they agree.
      if (flag != '\0' && tz.offset_minutes != cet.offset_minutes) continue;
      REQUIRE(tz.unix_seconds == cet.unix_seconds);
      REQUIRE(tz.offset_minutes == cet.offset_minutes);
      ++checked;
    }
  }
  CHECK(checked > 2 * 2 * 17000);
}

TEST_CASE("the Iskra IE corpus telegram rezoned to Europe/Dublin has its UTC offset",
          "[zone]") {
  std::string text = testing::ReadCorpusFile("dsmr_parser__ie-iskra__iskra-ie5t.txt");
  Reading r;
  ParseTelegram(text, &r);
  const CosemObject* clock = r.Find(Obis{0, 0, 1, 0, 0});
  REQUIRE(clock != nullptr);
  // 230202132747S: read as CET it is +02:00 (the flag is trusted), which is wrong twice over.
  CHECK(clock->timestamp.ToIso8601() == "2023-02-02T13:27:47+02:00");
  Zone("Europe/Dublin").Rezone(&r);
  CHECK(clock->timestamp.ToIso8601() == "2023-02-02T13:27:47+00:00");
  CHECK(RenderJson(r).find("\"2023-02-02T13:27:47+00:00\"") != std::string::npos);
}

TEST_CASE("an unknown zone is an error naming it", "[zone]") {
  TimeZone z;
  std::string err;
  CHECK_FALSE(TimeZone::Find("Europe/Dubln", &z, &err));
  CHECK(err == "unknown timezone 'Europe/Dubln' (an IANA name such as Europe/Dublin)");
  CHECK_FALSE(z.valid());
}

}  // namespace
}  // namespace p1
