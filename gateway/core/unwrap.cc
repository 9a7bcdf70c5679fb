#include "gateway/core/unwrap.h"

namespace p1 {

StreamUnwrapper::StreamUnwrapper(Wrapping wrapping) {
  if (wrapping == Wrapping::kRfxtrx) rfxtrx_.emplace();
  if (wrapping == Wrapping::kMbus) mbus_.emplace();
}

std::string_view StreamUnwrapper::Feed(std::string_view bytes) {
  if (!active()) return bytes;
  out_.clear();
  if (rfxtrx_) rfxtrx_->Feed(bytes, &out_);
  if (mbus_) mbus_->Feed(bytes, &out_);
  return out_;
}

void StreamUnwrapper::Reset() {
  if (rfxtrx_) rfxtrx_->Reset();
  if (mbus_) mbus_->Reset();
}

uint64_t StreamUnwrapper::foreign_packets() const {
  if (rfxtrx_) return rfxtrx_->stats().other_packets;
  if (mbus_) {
    const MbusStats& s = mbus_->stats();
    return s.foreign_frames + s.bad_frames + s.lost_apdus;
  }
  return 0;
}

}  // namespace p1
