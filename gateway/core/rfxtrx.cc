#include "gateway/core/rfxtrx.h"

#include <algorithm>

namespace p1 {

void RfxtrxUnwrapper::Feed(std::string_view bytes, std::string* out) {
  size_t i = 0;
  while (i < bytes.size()) {
    if (have_ == 0) {
      packet_[have_++] = static_cast<uint8_t>(bytes[i++]);
    }
    // A packet is its length byte and packet_[0] bytes after it.
    const size_t total = size_t{packet_[0]} + 1;
    const size_t take = std::min(total - have_, bytes.size() - i);
    std::copy_n(bytes.data() + i, take, packet_.begin() + have_);
    have_ += take;
    i += take;
    if (have_ == total) Complete(out);
  }
}

void RfxtrxUnwrapper::Complete(std::string* out) {
  const size_t total = have_;
  have_ = 0;
  if (total >= 4 && packet_[1] == kRfxtrxTypeP1 && packet_[2] == kRfxtrxSubtypeP1) {
    ++stats_.p1_packets;
    out->append(reinterpret_cast<const char*>(packet_.data()) + 4, total - 4);
  } else {
    ++stats_.other_packets;
  }
}

std::string RfxtrxWrap(std::string_view data, uint8_t seq, uint8_t type, uint8_t subtype) {
  std::string p;
  p.reserve(4 + data.size());
  p += static_cast<char>(3 + data.size());
  p += static_cast<char>(type);
  p += static_cast<char>(subtype);
  p += static_cast<char>(seq);
  p += data;
  return p;
}

}  // namespace p1
