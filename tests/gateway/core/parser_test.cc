// Unit tests of the DSMR parser on hand-written telegrams: OBIS codes,
// timestamps, value shapes and error reporting.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>

#include "gateway/core/dsmr_time.h"
#include "gateway/core/parser.h"
#include "tests/gateway/core/parse_helpers.h"

// GCC flags free() of operator-new memory inside code inlined into this file;
// here operator new itself is malloc, so the pair matches.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// Counts heap allocations while `g_count_allocations` is set, so the test
// below can prove the steady-state parse path allocates nothing.
namespace {
bool g_count_allocations = false;
size_t g_allocations = 0;
}  // namespace

// Every non-aligned form is replaced so that new and delete always pair up
// (ASan checks it).
namespace {
void* CountedAlloc(size_t size) {
  if (g_count_allocations) ++g_allocations;
  return std::malloc(size ? size : 1);
}
}  // namespace

void* operator new(size_t size) {
  if (void* p = CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) {
  if (void* p = CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t size, const std::nothrow_t&) noexcept { return CountedAlloc(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return CountedAlloc(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace p1 {
namespace {

using testing::Channel;
using testing::FindNth;
using testing::O;
using testing::ParseText;

TEST_CASE("OBIS codes parse, drop the F group and reject malformed codes", "[parser]") {
  Obis o;
  REQUIRE(ParseObis("1-0:1.8.1", &o));
  CHECK(o == Obis{1, 0, 1, 8, 1});
  CHECK(o.ToString() == "1-0:1.8.1");
  REQUIRE(ParseObis("1-0:1.8.0*255", &o));
  CHECK(o.ToString() == "1-0:1.8.0");
  REQUIRE(ParseObis("1-0:31.7.0.255", &o));  // spec-document spelling of F
  CHECK(o.ToString() == "1-0:31.7.0");
  REQUIRE(ParseObis("0-4:24.2.1", &o));
  CHECK(o.b == 4);
  for (const char* bad : {"", "A-0:96.1.1", "1-0:72:32.0", "1-0:1.8", "1-0:256.8.1", "1-0:1.8.1*",
                          "1-0:1.8.1x", "1--0:1.8.1", "1234-0:1.8.1"}) {
    INFO(bad);
    CHECK_FALSE(ParseObis(bad, &o));
  }
}

TEST_CASE("days_from_civil matches known dates", "[parser][time]") {
  CHECK(DaysFromCivil(1970, 1, 1) == 0);
  CHECK(DaysFromCivil(1969, 12, 31) == -1);
  CHECK(DaysFromCivil(2000, 3, 1) == 11017);
  CHECK(DaysFromCivil(2024, 2, 29) * 86400 == 1709164800);
}

TEST_CASE("DSMR timestamps resolve S/W to CEST/CET and to UTC", "[parser][time]") {
  Timestamp ts;
  REQUIRE(ParseDsmrTimestamp("240317141523W", &ts));
  CHECK(ts.valid);
  CHECK(ts.unix_seconds == 1710681323);
  CHECK(ts.offset_minutes == 60);
  CHECK(ts.ToIso8601() == "2024-03-17T14:15:23+01:00");
  REQUIRE(ParseDsmrTimestamp("240701120000S", &ts));
  CHECK(ts.unix_seconds == 1719828000);
  CHECK(ts.ToIso8601() == "2024-07-01T12:00:00+02:00");
  REQUIRE(ParseDsmrTimestamp("240229000000W", &ts));
  CHECK(ts.unix_seconds == 1709161200);
}

TEST_CASE("timestamps without S/W follow the EU summer-time rule", "[parser][time]") {
  Timestamp ts;
  // 2024: summer time from Sun 31 March 01:00 UTC to Sun 27 October 01:00 UTC.
  REQUIRE(ParseDsmrTimestamp("240331013000", &ts));
  CHECK(ts.offset_minutes == 60);
  CHECK(ts.unix_seconds == 1711845000);
  REQUIRE(ParseDsmrTimestamp("240331033000", &ts));
  CHECK(ts.offset_minutes == 120);
  CHECK(ts.unix_seconds == 1711848600);
  REQUIRE(ParseDsmrTimestamp("241027013000", &ts));
  CHECK(ts.offset_minutes == 120);
  CHECK(ts.unix_seconds == 1729985400);
  REQUIRE(ParseDsmrTimestamp("241027023000", &ts));  // the repeated hour: winter time
  CHECK(ts.offset_minutes == 60);
  CHECK(ts.unix_seconds == 1729992600);
  REQUIRE(ParseDsmrTimestamp("241215120000", &ts));
  CHECK(ts.offset_minutes == 60);
  REQUIRE(ParseDsmrTimestamp("240815120000", &ts));
  CHECK(ts.offset_minutes == 120);
}

TEST_CASE("impossible dates and clockless placeholders are invalid", "[parser][time]") {
  Timestamp ts;
  for (const char* bad : {"632525252525W", "000101010000W", "000101000001W", "700101010000W",
                          "240017120000W", "240100120000W", "230229120000W", "240317241523W",
                          "240317146023W", "240317141560W", "24031714152W", "2403171415233",
                          "24031714152xW", "240317141523X", ""}) {
    INFO(bad);
    CHECK_FALSE(ParseDsmrTimestamp(bad, &ts));
    CHECK_FALSE(ts.valid);
    CHECK(ts.ToIso8601().empty());
  }
}

TEST_CASE("ACE4000 timestamps are YY-MM-DD hh:mm:ss local time", "[parser][time]") {
  Timestamp ts;
  REQUIRE(ParseAceTimestamp("19-01-01 00:00:00", &ts));
  CHECK(ts.ToIso8601() == "2019-01-01T00:00:00+01:00");
  CHECK_FALSE(ParseAceTimestamp("19-13-01 00:00:00", &ts));
  CHECK_FALSE(ParseAceTimestamp("190101000000", &ts));
}

TEST_CASE("LF-only lines, no blank line, units with and without '*' and any case", "[parser]") {
  auto p = ParseText(
      "/XMX5 test\n"
      "1-0:1.8.1(001247.747kWh)\n"
      "1-0:2.8.1(000123.456*kWh)\n"
      "1-0:3.7.0(00.123*kVar)\n"
      "1-0:13.7.0(0.998)\n"
      "1-0:1.8.0(006545766*Wh)\n"
      "0-0:96.14.0(0002)\n"
      "!\n");
  const Reading& r = p->reading;
  CHECK(p->ok);
  CHECK(r.header == "XMX5 test");
  REQUIRE(r.objects.size() == 6);
  CHECK(r.objects[0].number == Approx(1247.747));
  CHECK(r.objects[0].unit == "kWh");
  CHECK(r.objects[0].number_text == "001247.747");
  CHECK(r.objects[1].unit == "kWh");
  CHECK(r.objects[2].unit == "kVar");
  CHECK(r.objects[3].kind == ValueKind::kNumber);
  CHECK(r.objects[3].unit.empty());
  CHECK(r.objects[4].is_integer);
  CHECK(r.objects[4].number == 6545766);
  CHECK(r.objects[5].number == 2);
  CHECK(r.objects[5].line == 7);
}

TEST_CASE("a bad field is reported with its line and never loses the others", "[parser]") {
  auto p = ParseText(
      "/ISk5\\2MT382-1000\r\n"
      "\r\n"
      "1-0:1.8.1(12x.5*kWh)\r\n"
      "garbage line\r\n"
      "1-0:1.8.2(000002.000*kWh)\r\n"
      "0-0:1.0.0(632525252525W)\r\n"
      "1-0:2.8.1(000001.000*kWh)trailing\r\n"
      "1-0:2.8.2(000003.000*kWh\r\n"
      "1-0:3.8.1(1)(2)\r\n"
      "0-0:96.14.0(0001)\r\n"
      "!1234\r\n");
  const Reading& r = p->reading;
  CHECK_FALSE(p->ok);
  CHECK(r.errors == std::vector<std::string>{
                        "line 3: bad value '12x.5*kWh'",
                        "line 4: not an OBIS line 'garbage line'",
                        "line 6: invalid timestamp '632525252525W'",
                        "line 7: unexpected text after value 'trailing'",
                        "line 8: unterminated value '(000003.000*kWh'",
                        "line 9: unexpected values '(1)(2)'",
                    });
  const CosemObject* t2 = r.Find(O("1-0:1.8.2"));
  REQUIRE(t2);
  CHECK(t2->number == 2);
  const CosemObject* ts = r.Find(O("0-0:1.0.0"));
  REQUIRE(ts);
  CHECK(ts->kind == ValueKind::kTimestamp);
  CHECK_FALSE(ts->timestamp.valid);
  REQUIRE(r.Find(O("1-0:1.8.1")));
  CHECK(r.Find(O("1-0:1.8.1"))->kind == ValueKind::kRaw);
  REQUIRE(r.Find(O("0-0:96.14.0")));
  CHECK(r.Find(O("0-0:96.14.0"))->number == 1);
  CHECK(r.Find(O("0-0:96.14.0"))->line == 10);
  CHECK(r.Find(O("1-0:2.8.1"))->number == 1);
}

TEST_CASE("Swedish HAN telegram: baud char 9, totals and per-phase reactive power", "[parser]") {
  auto p = ParseText(
      "/ADN9 6534\r\n\r\n"
      "0-0:1.0.0(240315120000W)\r\n"
      "1-0:1.8.0(00006678.394*kWh)\r\n"
      "1-0:3.8.0(00000021.988*kvarh)\r\n"
      "1-0:23.7.0(0000.067*kvar)\r\n"
      "1-0:64.7.0(0000.000*kvar)\r\n"
      "!7945\r\n");
  const Reading& r = p->reading;
  CHECK(p->ok);
  CHECK(r.header == "ADN9 6534");
  CHECK(r.Find(O("1-0:1.8.0"))->number == Approx(6678.394));
  CHECK(r.Find(O("1-0:23.7.0"))->unit == "kvar");
  CHECK(r.Find(O("1-0:64.7.0"))->number == 0);
}

TEST_CASE("unknown OBIS codes are kept", "[parser]") {
  auto p = ParseText("/ABC5 x\r\n\r\n1-0:0.2.0(5.0.2)\r\n9-9:99.99.99(1)(2)(3)\r\n1-1:1.8.1(1.5*kWh)\r\n!\r\n");
  const Reading& r = p->reading;
  CHECK(p->ok);
  REQUIRE(r.objects.size() == 3);
  CHECK(r.objects[0].kind == ValueKind::kText);
  CHECK(r.objects[0].text == "5.0.2");
  CHECK(r.objects[1].kind == ValueKind::kRaw);
  CHECK(r.objects[1].text == "(1)(2)(3)");
  CHECK(r.objects[2].number == 1.5);
  CHECK(r.mbus.empty());  // channel 1 of medium 1 is not an M-Bus device
}

TEST_CASE("a hex text message wrapped over several lines is one value", "[parser]") {
  auto p = ParseText(
      "/KMP5 x\r\n\r\n"
      "0-0:96.13.0(48656C6C6F2C\r\n"
      "20776F726C64)\r\n"
      "1-0:1.8.1(1.000*kWh)\r\n"
      "!\r\n");
  const Reading& r = p->reading;
  CHECK(p->ok);
  REQUIRE(r.objects.size() == 2);
  CHECK(r.objects[0].kind == ValueKind::kText);
  CHECK(r.objects[0].text == "48656C6C6F2C\r\n20776F726C64");
  CHECK(r.objects[1].line == 5);
}

TEST_CASE("M-Bus device types in every digit form; the type decides, not the channel", "[parser]") {
  auto p = ParseText(
      "/XMX5 x\r\n\r\n"
      "0-1:24.1.0(3)\r\n"
      "0-2:24.1.0(03)\r\n"
      "0-3:24.1.0(010)\r\n"
      "0-4:24.1.0(00A)\r\n"
      "0-4:96.1.0(3232)\r\n"
      "0-4:24.2.1(240101120000W)(00012.345*m3)\r\n"
      "0-2:96.1.1()\r\n"
      "!\r\n");
  const Reading& r = p->reading;
  CHECK(p->ok);
  REQUIRE(r.mbus.size() == 4);
  CHECK(Channel(r, 1)->device_type == 3);
  CHECK(Channel(r, 2)->device_type == 3);
  CHECK(Channel(r, 2)->equipment_id.empty());
  CHECK(Channel(r, 3)->device_type == 10);
  const MbusDevice* d4 = Channel(r, 4);
  CHECK(d4->device_type == 10);
  CHECK(d4->equipment_id == "3232");
  CHECK(d4->has_value);
  CHECK(d4->value == Approx(12.345));
  CHECK(d4->unit == "m3");
  CHECK(d4->timestamp.ToIso8601() == "2024-01-01T12:00:00+01:00");
  CHECK(d4->value_obis == O("0-4:24.2.1"));
  CHECK_FALSE(Channel(r, 1)->has_value);
  // ordered by channel whatever the line order
  CHECK(r.mbus[0].channel == 1);
  CHECK(r.mbus[3].channel == 4);
}

TEST_CASE("power-failure logs: empty forms, placeholders and count mismatch", "[parser]") {
  auto p = ParseText(
      "/KFM5 x\r\n\r\n"
      "1-0:99.97.0()\r\n"
      "1-0:99.97.0(0)(0-0:96.7.19)\r\n"
      "1-0:99.97.0(2)(0-0:96.7.19)(220525094346S)(0000002936*s)\r\n"
      "!\r\n");
  const Reading& r = p->reading;
  REQUIRE(r.objects.size() == 3);
  CHECK(r.objects[0].kind == ValueKind::kEvents);
  CHECK(r.objects[0].count == 0);
  CHECK(r.objects[1].count == 0);
  CHECK(r.objects[2].count == 1);
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].duration_s == 2936);
  CHECK(r.events[0].end.ToIso8601() == "2022-05-25T09:43:46+02:00");
  CHECK(r.errors == std::vector<std::string>{"line 5: event count does not match entries '2'"});
}

TEST_CASE("a reused Reading is cleared between telegrams", "[parser]") {
  std::string a = "/A\r\n\r\n1-0:1.8.1(1.0*kWh)\r\n0-1:24.1.0(3)\r\n1-0:99.97.0(1)(0-0:96.7.19)(220525094346S)(1*s)\r\n!\r\n";
  std::string b = "/B\r\n\r\nbad\r\n!\r\n";
  Reading r;
  CHECK(ParseTelegram(a, &r));
  CHECK(r.objects.size() == 3);
  CHECK_FALSE(ParseTelegram(b, &r));
  CHECK(r.header == "B");
  CHECK(r.objects.empty());
  CHECK(r.events.empty());
  CHECK(r.mbus.empty());
  CHECK(r.errors.size() == 1);
}

TEST_CASE("parsing into a reused Reading does not allocate in steady state", "[parser]") {
  const std::string telegram =
      testing::ReadCorpusFile("dsmr_parser__be-emucs__fluvius-v171.txt");  // M-Bus, 98.1.0
  REQUIRE_FALSE(telegram.empty());
  Reading r;
  REQUIRE(ParseTelegram(telegram, &r));  // warms up the vectors' capacity
  g_allocations = 0;
  g_count_allocations = true;
  bool ok = true;
  for (int i = 0; i < 100; ++i) ok &= ParseTelegram(telegram, &r);
  g_count_allocations = false;
  CHECK(ok);
  CHECK(g_allocations == 0);
  // The counter itself works: reporting an error allocates its message.
  g_count_allocations = true;
  ParseTelegram("/X\r\nbad line\r\n!\r\n", &r);
  g_count_allocations = false;
  CHECK(g_allocations > 0);
  REQUIRE(ParseTelegram(telegram, &r));
  CHECK(r.objects.size() == 36);
}

TEST_CASE("input without a '/' header is an error, never a crash", "[parser]") {
  Reading r;
  CHECK_FALSE(ParseTelegram("", &r));
  CHECK_FALSE(ParseTelegram("1-0:1.8.1(1.0*kWh)\r\n!\r\n", &r));
  CHECK(r.errors.size() == 1);
  CHECK(ParseTelegram("/", &r));
  CHECK(r.header.empty());
  CHECK_FALSE(ParseTelegram("/X\r\n1-0:1.8.1(", &r));
  CHECK_FALSE(ParseTelegram("/X\r\n(1)\r\n", &r));
  CHECK(r.errors == std::vector<std::string>{"line 2: value line without object '(1)'"});
}

}  // namespace
}  // namespace p1

namespace p1 {
namespace {

// Found by comparing the one-path parser with the old one over the fuzz
// corpora: more than 128 groups whose last value is never closed, at the
// very end of the text, once read past the end.
TEST_CASE("a record of more than 128 groups ending unterminated at the end of the text", "[parser]") {
  for (const char* tail : {"", "\r\n", "\n"}) {
    std::string text = "/ISK5\\2M550T-1012\r\n\r\n0-0:96.13.0";
    for (int i = 0; i < 200; ++i) text += "(" + std::to_string(i) + ")";
    text += "(12345";
    text += tail;
    Reading r;
    ParseTelegram(text, &r);
    REQUIRE(r.objects.size() == 1);
    CHECK(r.objects[0].obis.ToString() == "0-0:96.13.0");
    CHECK_FALSE(r.errors.empty());
  }
}

}  // namespace
}  // namespace p1
