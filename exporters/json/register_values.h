// Register values of a Reading as the compatible JSON views want them: in
// a chosen unit, as plain integers, or as the meter's local time stamp.
// Shared by the HomeWizard and DSMR-logger renderers. Pure.
#ifndef P1GW_EXPORTERS_JSON_REGISTER_VALUES_H_
#define P1GW_EXPORTERS_JSON_REGISTER_VALUES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "exporters/metrics/units.h"
#include "gateway/core/reading.h"

namespace p1 {

// Digits or text as sent (number_text for numbers, text for text); empty for
// an absent object or one without such a value.
std::string_view RawValue(const CosemObject* o);

// The first object with `code` in `target`, a unit of `q` ("kWh", "W",
// "J"), converted from the digits as sent. Nullopt when the meter does not
// send it or sends it in a unit of another quantity.
std::optional<double> RegisterIn(const Reading& r, Obis code, Quantity q, std::string_view target);

// The first object with `code` when it is a plain unsigned integer as sent
// ("00004", "0002", "50"); the unit, if any, is ignored.
std::optional<int64_t> RegisterInteger(const Reading& r, Obis code);

// YYMMDDhhmmss of the meter's wall-clock time (the time as sent) as a
// number, e.g. 230312143055. Nullopt when the meter sent an invalid time.
std::optional<int64_t> LocalTimestampNumber(const Timestamp& ts);

// "YYMMDDhhmmssX", X being W for +01:00, S for +02:00 and absent for other
// offsets; empty when invalid. The suffix is rebuilt from the offset, so a
// DSMR 2.2 time that came without one gains it.
std::string LocalTimestampText(const Timestamp& ts);

// False for a device that reports no reading: a disconnected device sends a
// bare 0 with an impossible capture time (Iskra AM550 "(700101010000W)(0)").
bool HasReading(const MbusDevice& d);

// A gas meter: device type 3, or (DSMR 2.2 often omits 0-n:24.1.0) no type
// and a volume unit.
bool IsGasMeter(const MbusDevice& d);

// The first gas meter with a reading; nullptr if none.
const MbusDevice* FirstGasMeter(const Reading& r);

}  // namespace p1

#endif  // P1GW_EXPORTERS_JSON_REGISTER_VALUES_H_
