#include "exporters/metrics/units.h"

#include <catch2/catch.hpp>

namespace p1 {
namespace {

TEST_CASE("kWh text converts to joules exactly, not via a rounded double product") {
  // 123.456 kWh = 123456 Wh = 444441600 J exactly.
  CHECK(*ToBaseUnit(123.456, "000123.456", "kWh", Quantity::kEnergy) == 444441600.0);
  // A value whose naive product drifts: 4.426 * 3.6e6 in doubles is not 15933600.
  CHECK(*ToBaseUnit(4.426, "000004.426", "kWh", Quantity::kEnergy) == 15933600.0);
  CHECK(*ToBaseUnit(6545766, "006545766", "Wh", Quantity::kEnergy) == 6545766.0 * 3600.0);
  CHECK(*ToBaseUnit(240.86, "240.860", "GJ", Quantity::kEnergy) == 240860000000.0);
  CHECK(*ToBaseUnit(1.5, "1.5", "MWh", Quantity::kEnergy) == 5400000000.0);
}

TEST_CASE("unit names match case-insensitively") {
  CHECK(*ToBaseUnit(1.5, "1.5", "KWH", Quantity::kEnergy) == 5400000.0);
  CHECK(*ToBaseUnit(1.5, "1.5", "kwh", Quantity::kEnergy) == 5400000.0);
  CHECK(*ToBaseUnit(2.5, "02.5", "KW", Quantity::kPower) == 2500.0);
  CHECK(*ToBaseUnit(0.504, "00.504", "kVar", Quantity::kReactivePower) == 504.0);
  CHECK(*ToBaseUnit(0.123, "000000.123", "KVARH", Quantity::kReactiveEnergy) == 123.0);
  CHECK(*ToBaseUnit(50, "50.00", "HZ", Quantity::kFrequency) == 50.0);
}

TEST_CASE("power, reactive, voltage, current and volume units") {
  CHECK(*ToBaseUnit(286, "000000286", "W", Quantity::kPower) == 286.0);
  CHECK(*ToBaseUnit(0.244, "00.244", "kW", Quantity::kPower) == 244.0);
  CHECK(*ToBaseUnit(166, "000000166", "var", Quantity::kReactivePower) == 166.0);
  CHECK(*ToBaseUnit(747, "000000747", "varh", Quantity::kReactiveEnergy) == 747.0);
  CHECK(*ToBaseUnit(230.1, "230.1", "V", Quantity::kVoltage) == 230.1);
  CHECK(*ToBaseUnit(0.48, "0.48", "A", Quantity::kCurrent) == 0.48);
  CHECK(*ToBaseUnit(112.384, "00112.384", "m3", Quantity::kVolume) == 112.384);
  CHECK(*ToBaseUnit(1500, "1500", "dm3", Quantity::kVolume) == 1.5);
}

TEST_CASE("an empty unit means the DSMR default unit of the quantity") {
  CHECK(*ToBaseUnit(1.25, "01.25", "", Quantity::kReactivePower) == 1250.0);  // kvar
  CHECK(*ToBaseUnit(3.0, "3.000", "", Quantity::kEnergy) == 10800000.0);      // kWh
  CHECK(*ToBaseUnit(13, "00013", "", Quantity::kPlain) == 13.0);
}

TEST_CASE("a unit that does not measure the quantity gives no value") {
  CHECK_FALSE(ToBaseUnit(9.9, "9.9", "kVA", Quantity::kPower));
  CHECK_FALSE(ToBaseUnit(1, "1", "kWh", Quantity::kVolume));
  CHECK_FALSE(ToBaseUnit(1, "1", "m3", Quantity::kEnergy));
  CHECK_FALSE(ToBaseUnit(4.5, "4.5", "A", Quantity::kPlain));
  CHECK_FALSE(ToBaseUnit(1, "1", "bogus", Quantity::kEnergy));
}

TEST_CASE("values with more decimals than the unit resolves round once, to the nearest double") {
  // EasyMeter Q3D: 7 decimals of kWh. True value 187868817111.24 J.
  double v = *ToBaseUnit(52185.7825309, "00052185.7825309", "kWh", Quantity::kEnergy);
  CHECK(v == 18786881711124.0 / 100.0);
  // Without a number text the double is scaled as is.
  CHECK(*ToBaseUnit(2.0, "", "kWh", Quantity::kEnergy) == 7200000.0);
  // Garbage text falls back to the parsed number.
  CHECK(*ToBaseUnit(2.0, "2,0", "kWh", Quantity::kEnergy) == 7200000.0);
}

TEST_CASE("ToUnit keeps the meter's decimal value in another unit of the same quantity") {
  CHECK(*ToUnit(123.456, "000123.456", "kWh", Quantity::kEnergy, "kWh") == 123.456);
  CHECK(*ToUnit(6545766, "006545766", "Wh", Quantity::kEnergy, "kWh") == 6545.766);
  CHECK(*ToUnit(0.543, "00.543", "kW", Quantity::kPower, "W") == 543.0);
  CHECK(*ToUnit(286, "000000286", "W", Quantity::kPower, "kW") == 0.286);
  CHECK(*ToUnit(1500, "1500", "dm3", Quantity::kVolume, "m3") == 1.5);
  // Q3D: 7 decimals of kWh stay exactly what was sent.
  CHECK(*ToUnit(32549.5061662, "00032549.5061662", "kWh", Quantity::kEnergy, "kWh") ==
        32549.5061662);
  // Different multipliers (GJ -> kWh = 1e9 / 3.6e6): one rounding of an exact quotient.
  CHECK(*ToUnit(3.6, "3.6", "GJ", Quantity::kEnergy, "kWh") == 1000.0);
  CHECK(*ToUnit(1, "1", "kWh", Quantity::kEnergy, "GJ") == 0.0036);
  // Same as ToBaseUnit when the target is the base unit.
  CHECK(*ToUnit(4.426, "000004.426", "kWh", Quantity::kEnergy, "J") == 15933600.0);
  CHECK(*ToUnit(2.0, "", "kWh", Quantity::kEnergy, "Wh") == 2000.0);
}

TEST_CASE("ToUnit gives nothing for a unit or target of another quantity, or for plain values") {
  CHECK_FALSE(ToUnit(1, "1", "kW", Quantity::kEnergy, "kWh"));
  CHECK_FALSE(ToUnit(1, "1", "kWh", Quantity::kEnergy, "W"));
  CHECK_FALSE(ToUnit(1, "1", "", Quantity::kPlain, ""));
}

}  // namespace
}  // namespace p1
