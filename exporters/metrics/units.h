// Unit conversion for exported registers: a DSMR value in whatever unit the
// meter sent -> the Prometheus base unit of the metric it feeds. Pure.
#ifndef P1GW_EXPORTERS_METRICS_UNITS_H_
#define P1GW_EXPORTERS_METRICS_UNITS_H_

#include <optional>
#include <string_view>

namespace p1 {

// What a metric measures; decides which units are accepted and the base unit.
enum class Quantity {
  kEnergy,          // joules      (kWh, Wh, MWh, GJ, MJ, kJ, J)
  kPower,           // watts       (kW, W, MW)
  kReactiveEnergy,  // varhours    (kvarh, varh)
  kReactivePower,   // vars        (kvar, var)
  kVoltage,         // volts       (V, kV)
  kCurrent,         // amperes     (A)
  kVolume,          // m3          (m3, dm3, l)
  kFrequency,       // hertz       (Hz)
  kPlain,           // counts, ratios, states: no unit expected
};

// Converts `number` (as parsed) / `number_text` (digits as sent, may be
// empty) in `unit` (matched case-insensitively; empty means the DSMR
// default unit of the quantity) to the base unit of `q`. Nullopt when the
// unit does not measure `q` (e.g. kVA on a watts register).
//
// With a number text the result is computed from the decimal digits, so
// whole base-unit values (1 Wh = 3600 J) are exact and others are the
// double nearest to the true decimal value: 000123.456 kWh is exactly
// 444441600 J, not 123.456 * 3.6e6 with its rounding error.
std::optional<double> ToBaseUnit(double number, std::string_view number_text, std::string_view unit,
                                 Quantity q);

// The same conversion to `target`, another unit of `q` ("kWh", "kW"; the
// same names, case-insensitive), for documents that keep the meter's units:
// 000123.456 kWh is 123.456 kWh and 00.543 kW is 543 W exactly. From the
// digits the result is one correctly rounded division of two exact
// integers whenever they fit in 53 bits. Nullopt when either unit does not
// measure `q`; `q` must not be kPlain.
std::optional<double> ToUnit(double number, std::string_view number_text, std::string_view unit,
                             Quantity q, std::string_view target);

}  // namespace p1

#endif  // P1GW_EXPORTERS_METRICS_UNITS_H_
