// Telegram text for each simulated meter variant, modelled on real meters'
// telegrams (object order, digits, units): see the corpus in tests/data.
// Pure: formats a MeterState; the CRC line is included.
#ifndef P1GW_GATEWAY_SIM_SIM_FORMAT_H_
#define P1GW_GATEWAY_SIM_SIM_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/sim/sim_model.h"

namespace p1 {

enum class Variant : uint8_t { kDsmr2, kDsmr3, kDsmr4, kDsmr5, kBe, kLu, kSe, kQ3d, kAt, kAtMbus, kIe };

struct VariantInfo {
  Variant variant;
  const char* name;     // as in config: "dsmr5", "be", ...
  int64_t interval_ms;  // how often the real meter sends
  bool encrypted;       // may be wrapped in a DLMS 0xDB frame (lu, at); at-mbus always is
  ModelOptions model;
};

// nullptr when `name` is not a variant.
const VariantInfo* FindVariant(std::string_view name);

// Static identity of one simulated meter (serials etc.), drawn from the seed.
struct Identity {
  std::string equipment_id;  // plain ASCII; printed hex-encoded where the meter does so
  std::string gas_id;
  std::string water_id;
  uint64_t gateway_counter = 0;  // Q3D COM-1 gateway line after the telegram
};
Identity MakeIdentity(Variant v, Rng* rng);

// The whole plaintext telegram ('/' .. CRC line, CRLF line ends); for Q3D
// also the gateway's counter line after '!'. Increments id->gateway_counter.
// For at-mbus: the text the gateway makes of the meter's DLMS notification.
std::string FormatTelegram(Variant v, const MeterState& s, Identity* id);

}  // namespace p1

#endif  // P1GW_GATEWAY_SIM_SIM_FORMAT_H_
