#include "exporters/json/register_values.h"

#include <catch2/catch.hpp>

#include "tests/gateway/core/parse_helpers.h"

namespace p1 {
namespace {

using testing::O;
using testing::ParseText;

Timestamp Local(const char* text) {
  auto p = ParseText(std::string("/X\r\n\r\n0-0:1.0.0(") + text + ")\r\n!\r\n");
  const CosemObject* o = p->reading.Find(O("0-0:1.0.0"));
  REQUIRE(o != nullptr);
  return o->timestamp;
}

TEST_CASE("local time stamps come back as the meter sent them, summer and winter") {
  CHECK(LocalTimestampNumber(Local("230312143055W")) == 230312143055);
  CHECK(LocalTimestampNumber(Local("200512135409S")) == 200512135409);
  CHECK(LocalTimestampText(Local("230312143055W")) == "230312143055W");
  CHECK(LocalTimestampText(Local("200512135409S")) == "200512135409S");
  // Year 2005: a leading zero that a number cannot keep.
  CHECK(LocalTimestampNumber(Local("050101000000W")) == 50101000000);
  // New Year's Eve crossing, in local time.
  CHECK(LocalTimestampNumber(Local("231231235959W")) == 231231235959);
  // No suffix (DSMR 2.2): resolved by the calendar, the suffix is added.
  CHECK(LocalTimestampText(Local("161107190000")) == "161107190000W");
  CHECK(LocalTimestampText(Local("160707190000")) == "160707190000S");
}

TEST_CASE("an invalid time stamp gives nothing") {
  Timestamp bad;
  CHECK_FALSE(LocalTimestampNumber(bad));
  CHECK(LocalTimestampText(bad).empty());
}

TEST_CASE("registers convert from the digits as sent; integers as sent; absent is nullopt") {
  auto p = ParseText(
      "/X\r\n\r\n1-0:1.8.1(000123.456*kWh)\r\n1-0:1.7.0(00.543*kW)\r\n0-0:96.14.0(0002)\r\n"
      "1-0:32.32.0(00004)\r\n1-0:32.7.0(230.1*V)\r\n!\r\n");
  const Reading& r = p->reading;
  CHECK(*RegisterIn(r, O("1-0:1.8.1"), Quantity::kEnergy, "kWh") == 123.456);
  CHECK(*RegisterIn(r, O("1-0:1.8.1"), Quantity::kEnergy, "J") == 444441600.0);
  CHECK(*RegisterIn(r, O("1-0:1.7.0"), Quantity::kPower, "W") == 543.0);
  CHECK(*RegisterIn(r, O("1-0:1.7.0"), Quantity::kPower, "kW") == 0.543);
  CHECK_FALSE(RegisterIn(r, O("1-0:1.7.0"), Quantity::kEnergy, "kWh"));  // kW is no energy
  CHECK_FALSE(RegisterIn(r, O("1-0:2.7.0"), Quantity::kPower, "W"));
  CHECK(*RegisterInteger(r, O("0-0:96.14.0")) == 2);
  CHECK(*RegisterInteger(r, O("1-0:32.32.0")) == 4);
  CHECK_FALSE(RegisterInteger(r, O("1-0:32.7.0")));  // 230.1 is not an integer
  CHECK_FALSE(RegisterInteger(r, O("1-0:52.32.0")));
}

}  // namespace
}  // namespace p1
