// Simulator: a simulated smart meter of one variant (dsmr2, dsmr3, dsmr4,
// dsmr5, be, lu, se, q3d, at, at-mbus, ie) producing realistic, evolving telegrams byte
// for byte as the real meter sends them. Pure: the caller passes wall time,
// so a seed and the same call times always give the same bytes.
#ifndef P1GW_GATEWAY_SIM_SIMULATOR_H_
#define P1GW_GATEWAY_SIM_SIMULATOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/core/dlms.h"
#include "gateway/sim/sim_format.h"
#include "gateway/sim/sim_model.h"

namespace p1 {

class Simulator {
 public:
  // key/aad_key: for lu and at the telegram is wrapped in an encrypted DLMS
  // 0xDB frame (aad_key null: the Smarty default authentication key); without
  // a key it is plain. at-mbus needs a key: it sends its DLMS notification
  // encrypted (0x20, no tag) in M-Bus long frames. A key for any other
  // variant is an error, as is an unknown variant or at-mbus without a key;
  // all return nullptr with *err set.
  static std::unique_ptr<Simulator> Create(std::string_view variant, uint64_t seed,
                                           const std::optional<AesKey>& key,
                                           const std::optional<AesKey>& aad_key, std::string* err);
  static bool IsVariant(std::string_view variant);

  // How often the real meter sends (dsmr5/be 1 s; dsmr2/3/4, lu, se 10 s; q3d 2 s; at 5 s).
  int64_t interval_ms() const { return info_.interval_ms; }
  const char* variant() const { return info_.name; }

  // The telegram at wall time unix_ms, as sent on the wire: plain text with
  // CRLF and CRC line (none for dsmr2/3 and q3d, whose gateway line follows
  // the '!'), or the 0xDB frame. Registers integrate the power since the
  // previous call; a time earlier than the previous one adds nothing.
  std::string Next(int64_t unix_ms);

  // The model state behind the last telegram (for tests and diagnostics).
  const MeterState& state() const { return model_.state(); }
  uint32_t frame_counter() const { return frame_counter_; }

 private:
  Simulator(const VariantInfo& info, uint64_t seed);

  const VariantInfo& info_;
  Model model_;
  Identity identity_;
  std::optional<AesKey> key_, aad_key_;
  std::string system_title_;  // 8 bytes: "SAGgp" + 3 bytes of the serial
  uint32_t frame_counter_ = 0;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_SIM_SIMULATOR_H_
