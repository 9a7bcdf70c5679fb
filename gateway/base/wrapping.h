// The link layer a meter's byte stream may arrive in, removed before the
// framer sees the P1 bytes: config/ names it, the core unwraps it.
#ifndef P1GW_GATEWAY_BASE_WRAPPING_H_
#define P1GW_GATEWAY_BASE_WRAPPING_H_

#include <cstdint>
#include <string_view>

namespace p1 {

enum class Wrapping : uint8_t {
  kNone,
  kRfxtrx,  // an RFXtrx433XL's P1 cable: P1 data in its 0x62/0x01 packets
  kMbus,    // wired M-Bus long frames carrying DLMS APDUs (Austrian meters)
};

inline std::string_view WrappingName(Wrapping w) {
  switch (w) {
    case Wrapping::kRfxtrx: return "rfxtrx";
    case Wrapping::kMbus: return "mbus";
    case Wrapping::kNone: break;
  }
  return "none";
}

// False for an unknown name.
inline bool ParseWrapping(std::string_view name, Wrapping* out) {
  for (Wrapping w : {Wrapping::kNone, Wrapping::kRfxtrx, Wrapping::kMbus}) {
    if (name == WrappingName(w)) {
      *out = w;
      return true;
    }
  }
  return false;
}

}  // namespace p1

#endif  // P1GW_GATEWAY_BASE_WRAPPING_H_
