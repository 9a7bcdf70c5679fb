// RfxtrxUnwrapper: the P1 byte stream inside an RFXtrx433XL's packets (a P1
// cable integrated in the RFXtrx, as Home Assistant's DSMR integration
// supports). The RFXtrx sends packets [length][type][subtype][seq][data...]
// with `length` the number of bytes that follow it; P1 data comes in packets
// of type 0x62 subtype 0x01, whose data bytes are the meter's stream. Other
// packets (the RFXtrx's own 433 MHz receptions, status replies) are skipped
// and counted. Any chunking of the same stream gives the same output. Pure:
// no I/O; it holds at most one partial packet (<= 256 bytes).
#ifndef P1GW_GATEWAY_CORE_RFXTRX_H_
#define P1GW_GATEWAY_CORE_RFXTRX_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace p1 {

inline constexpr uint8_t kRfxtrxTypeP1 = 0x62;
inline constexpr uint8_t kRfxtrxSubtypeP1 = 0x01;

struct RfxtrxStats {
  uint64_t p1_packets = 0;     // type 0x62 subtype 0x01: data passed on
  uint64_t other_packets = 0;  // any other type or subtype, or shorter than a header: skipped
};

class RfxtrxUnwrapper {
 public:
  // Appends the P1 data of every packet that `bytes` completes to *out.
  void Feed(std::string_view bytes, std::string* out);
  // Forgets a partial packet (the source reconnected: the next byte is a
  // length again).
  void Reset() { have_ = 0; }
  const RfxtrxStats& stats() const { return stats_; }

 private:
  void Complete(std::string* out);

  std::array<uint8_t, 256> packet_{};  // length byte and what followed it so far
  size_t have_ = 0;
  RfxtrxStats stats_;
};

// One RFXtrx P1 packet around `data` (at most 252 bytes), for tests and the
// simulator: [3 + size][0x62][0x01][seq][data].
std::string RfxtrxWrap(std::string_view data, uint8_t seq, uint8_t type = kRfxtrxTypeP1,
                       uint8_t subtype = kRfxtrxSubtypeP1);

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_RFXTRX_H_
