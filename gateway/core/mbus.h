// MbusUnwrapper: the DLMS APDUs inside wired M-Bus long frames, as Austrian
// meters (Kaifa MA309M and others at Netz NÖ, Wiener Netze, ...) push them on
// their M-Bus customer interface, read from a live byte stream. A long frame
// is 68 L L 68 C A CI [STSAP DTSAP user data] CS 16 with L = the bytes from C
// to the end of the user data and CS their sum mod 256. CI 0x00..0x1F is a
// DLMS transport segment: bits 0-3 its number, bit 0x10 the last segment.
// The user data of segments 0, 1, ... up to the last are one APDU (a 0xDB
// general-glo-ciphering frame, which the Framer then decrypts). Pure: no I/O;
// any chunking of the same stream gives the same output. It holds at most
// one partial frame (<= 261 bytes, scanned again from its second byte
// when it turns out not to be a frame) and one partial APDU (<= max_apdu bytes).
#ifndef P1GW_GATEWAY_CORE_MBUS_H_
#define P1GW_GATEWAY_CORE_MBUS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace p1 {

struct MbusStats {
  uint64_t frames = 0;          // long frames with a valid checksum and stop byte
  uint64_t apdus = 0;           // APDUs reassembled and passed on
  uint64_t foreign_frames = 0;  // valid long frames that are no DLMS segment (CI > 0x1F)
  uint64_t bad_frames = 0;      // a 68 L L 68 start whose checksum or stop byte is wrong
  uint64_t lost_apdus = 0;      // partial APDUs dropped: a segment missing, out of order, too long
  uint64_t skipped_bytes = 0;   // bytes outside any long frame (short frames, ACKs, noise)
};

class MbusUnwrapper {
 public:
  explicit MbusUnwrapper(size_t max_apdu = 16 * 1024) : max_apdu_(max_apdu) {}

  // Appends every APDU that `bytes` completes to *out.
  void Feed(std::string_view bytes, std::string* out);
  // Forgets the partial frame and APDU (the source reconnected).
  void Reset();
  const MbusStats& stats() const { return stats_; }

 private:
  void Byte(uint8_t b, std::string* out);
  // A whole frame is in frame_[0..have_): checks it and takes its segment.
  void Complete(std::string* out);
  // frame_[0] did not start a frame: the bytes after it are scanned again,
  // ahead of the rest of the replay (no recursion).
  void Resync();
  void DropApdu();

  static constexpr size_t kMaxFrame = 4 + 255 + 2;
  std::array<uint8_t, kMaxFrame> frame_{};
  size_t have_ = 0;
  std::string replay_;  // bytes to scan again after a false start
  size_t replay_pos_ = 0;
  std::string apdu_;
  int next_segment_ = -1;  // expected segment number; -1: no APDU in progress
  size_t max_apdu_;
  MbusStats stats_;
};

// The M-Bus long frames a meter sends for `apdu`: segments of up to 245
// bytes, C = 0x53, A = 0xFF, STSAP 0x01, DTSAP 0x67 (as Kaifa meters send).
// For the simulator and tests. Empty if the APDU needs more than 16 segments.
std::string MbusWrap(std::string_view apdu);

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_MBUS_H_
