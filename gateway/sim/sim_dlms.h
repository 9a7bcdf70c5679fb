// The DLMS data-notification an Austrian Kaifa MA309M pushes on its M-Bus
// customer interface (before encryption), for a simulated meter's state:
// the layout of the node-dsmr-parser Austria sample in tests/data (clock,
// then OBIS code / value / {scaler, unit} for energy, power, voltage,
// current and power factor, then the serial number). Pure.
#ifndef P1GW_GATEWAY_SIM_SIM_DLMS_H_
#define P1GW_GATEWAY_SIM_SIM_DLMS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/sim/sim_model.h"

namespace p1 {

// The plaintext APDU (0x0F ...). `serial`: the meter's 12-digit number.
std::string FormatDlmsNotification(const MeterState& s, std::string_view serial,
                                   uint32_t invoke_id);

}  // namespace p1

#endif  // P1GW_GATEWAY_SIM_SIM_DLMS_H_
