#include "gateway/core/mbus.h"

namespace p1 {

namespace {

constexpr uint8_t kStart = 0x68;
constexpr uint8_t kStop = 0x16;
constexpr uint8_t kLastSegment = 0x10;
constexpr size_t kSegmentHeader = 5;  // C, A, CI, STSAP, DTSAP
constexpr size_t kMaxSegmentData = 0xFA - kSegmentHeader;

}  // namespace

void MbusUnwrapper::Feed(std::string_view bytes, std::string* out) {
  for (char c : bytes) {
    Byte(static_cast<uint8_t>(c), out);
    while (replay_pos_ < replay_.size()) {
      Byte(static_cast<uint8_t>(replay_[replay_pos_++]), out);
    }
    replay_.clear();
    replay_pos_ = 0;
  }
}

void MbusUnwrapper::Reset() {
  have_ = 0;
  replay_.clear();
  replay_pos_ = 0;
  apdu_.clear();
  next_segment_ = -1;
}

void MbusUnwrapper::Byte(uint8_t b, std::string* out) {
  frame_[have_++] = b;
  switch (have_) {
    case 1:
      if (b != kStart) {
        ++stats_.skipped_bytes;
        have_ = 0;
      }
      return;
    case 2:
      if (b < 3) Resync();  // a long frame has at least C, A and CI
      return;
    case 3:
      if (b != frame_[1]) Resync();
      return;
    case 4:
      if (b != kStart) Resync();
      return;
    default:
      if (have_ == size_t{frame_[1]} + 6) Complete(out);
      return;
  }
}

void MbusUnwrapper::Resync() {
  ++stats_.skipped_bytes;
  replay_.replace(0, replay_pos_, reinterpret_cast<const char*>(frame_.data()) + 1, have_ - 1);
  replay_pos_ = 0;
  have_ = 0;
}

void MbusUnwrapper::DropApdu() {
  if (next_segment_ >= 0) ++stats_.lost_apdus;
  apdu_.clear();
  next_segment_ = -1;
}

void MbusUnwrapper::Complete(std::string* out) {
  const size_t l = frame_[1];
  uint8_t sum = 0;
  for (size_t i = 0; i < l; ++i) sum = static_cast<uint8_t>(sum + frame_[4 + i]);
  if (sum != frame_[4 + l] || frame_[5 + l] != kStop) {
    ++stats_.bad_frames;
    Resync();  // the 68 may have been noise, a real frame may start inside
    return;
  }
  have_ = 0;
  ++stats_.frames;
  const uint8_t ci = frame_[6];
  if (ci > 0x1F || l < kSegmentHeader) {  // not a DLMS segment (too short for STSAP, DTSAP)
    ++stats_.foreign_frames;
    return;
  }
  const int segment = ci & 0x0F;
  if (segment == 0) {
    DropApdu();  // a new APDU starts: one in progress lost its end
  } else if (segment != next_segment_) {
    DropApdu();  // a segment went missing: the rest of this APDU is useless
    return;
  }
  const auto* data = reinterpret_cast<const char*>(frame_.data()) + 4 + kSegmentHeader;
  const size_t size = l - kSegmentHeader;
  if (apdu_.size() + size > max_apdu_) {
    ++stats_.lost_apdus;
    apdu_.clear();
    next_segment_ = -1;
    return;
  }
  apdu_.append(data, size);
  next_segment_ = segment + 1;
  if (ci & kLastSegment) {
    ++stats_.apdus;
    out->append(apdu_);
    apdu_.clear();
    next_segment_ = -1;
  } else if (next_segment_ > 0x0F) {
    DropApdu();  // 16 segments and still no last one
  }
}

std::string MbusWrap(std::string_view apdu) {
  const size_t segments = apdu.empty() ? 1 : (apdu.size() + kMaxSegmentData - 1) / kMaxSegmentData;
  if (segments > 16) return {};
  std::string out;
  out.reserve(apdu.size() + segments * (kSegmentHeader + 6));
  for (size_t s = 0; s < segments; ++s) {
    const std::string_view data = apdu.substr(s * kMaxSegmentData, kMaxSegmentData);
    const uint8_t ci = static_cast<uint8_t>(s | (s + 1 == segments ? kLastSegment : 0));
    const uint8_t l = static_cast<uint8_t>(kSegmentHeader + data.size());
    const size_t begin = out.size();
    out += static_cast<char>(kStart);
    out += static_cast<char>(l);
    out += static_cast<char>(l);
    out += static_cast<char>(kStart);
    out += '\x53';  // C: SND_UD
    out += '\xFF';  // A: broadcast
    out += static_cast<char>(ci);
    out += '\x01';  // STSAP
    out += '\x67';  // DTSAP
    out += data;
    uint8_t sum = 0;
    for (size_t i = begin + 4; i < out.size(); ++i) sum = static_cast<uint8_t>(sum + out[i]);
    out += static_cast<char>(sum);
    out += static_cast<char>(kStop);
  }
  return out;
}

}  // namespace p1
