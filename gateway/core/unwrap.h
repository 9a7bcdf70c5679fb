// StreamUnwrapper: removes a meter stream's link-layer wrapping (RFXtrx
// packets, M-Bus long frames) so the Framer sees the P1 bytes or DLMS
// APDUs inside. One object per stream; with Wrapping::kNone it passes the
// bytes through untouched. Pure, and chunking-invariant like the unwrappers.
#ifndef P1GW_GATEWAY_CORE_UNWRAP_H_
#define P1GW_GATEWAY_CORE_UNWRAP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/base/wrapping.h"
#include "gateway/core/mbus.h"
#include "gateway/core/rfxtrx.h"

namespace p1 {

class StreamUnwrapper {
 public:
  explicit StreamUnwrapper(Wrapping wrapping);

  bool active() const { return rfxtrx_.has_value() || mbus_.has_value(); }
  // The payload that `bytes` completes: `bytes` itself without wrapping,
  // else a view of an internal buffer valid until the next call.
  std::string_view Feed(std::string_view bytes);
  // Forgets partial packets (the source reconnected).
  void Reset();
  // Packets or frames that carried no P1 data: other RFXtrx packet types;
  // M-Bus frames of other kinds, with a bad checksum, or of an incomplete APDU.
  uint64_t foreign_packets() const;

 private:
  std::optional<RfxtrxUnwrapper> rfxtrx_;
  std::optional<MbusUnwrapper> mbus_;
  std::string out_;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_UNWRAP_H_
