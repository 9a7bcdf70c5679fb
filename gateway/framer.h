// Framer: turns a byte stream from a meter into telegrams, incrementally.
// Any chunking of the same stream yields the same frames. Pure: no I/O, no
// clock. Plain telegrams run from '/' to the CRC line ("!XXXX", 1-4 hex
// digits, either case) or, for DSMR 2.2/3, a bare "!" line. Encrypted DLMS
// frames (0xDB) are framed by their length field and decrypted with the key
// given in the options, then CRC-checked like plain telegrams.
#ifndef P1GW_GATEWAY_FRAMER_H_
#define P1GW_GATEWAY_FRAMER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/dlms.h"
#include "gateway/reading.h"

namespace p1 {

struct FramerOptions {
  size_t max_telegram_bytes = 16 * 1024;
  std::optional<AesKey> key;      // decrypt 0xDB frames; without a key they are counted as decrypt errors
  std::optional<AesKey> aad_key;  // authentication key for the GCM AAD
};

enum class FrameStatus : uint8_t {
  kTelegram,   // complete telegram; crc says whether it verified
  kTruncated,  // a new '/' (or 0xDB) arrived before the end; `raw` holds the partial bytes
  kOverflow,   // exceeded max_telegram_bytes; bytes dropped until the next start
  kDecryptError,  // encrypted frame that failed to decrypt (wrong key, bad tag, no key)
};

// A frame as handed to the callback. Views are valid only during the call.
struct Frame {
  FrameStatus status = FrameStatus::kTelegram;
  std::string_view raw;        // bytes as received (0xDB frame for encrypted)
  std::string_view plaintext;  // '/'..end of CRC line; == raw unless decrypted
  bool encrypted = false;
  CrcStatus crc = CrcStatus::kAbsent;
  std::string_view error;      // reason text for non-kTelegram statuses
};

struct FramerStats {
  uint64_t telegrams = 0;      // kTelegram frames emitted (any CRC status)
  uint64_t crc_errors = 0;
  uint64_t truncated = 0;
  uint64_t overflows = 0;
  uint64_t decrypt_errors = 0;
  uint64_t skipped_bytes = 0;  // bytes outside any frame (junk, NUL, partial starts)
};

class Framer {
 public:
  using Callback = std::function<void(const Frame&)>;

  explicit Framer(FramerOptions options = {});

  // Consumes `chunk`, calling `on_frame` for each frame completed by it.
  void Feed(std::string_view chunk, const Callback& on_frame);
  // End of stream: reports a pending partial telegram as kTruncated.
  void Finish(const Callback& on_frame);
  // Drops any partial frame (e.g. after a reconnect) without reporting it.
  void Reset();

  const FramerStats& stats() const { return stats_; }

 private:
  // Implementation state lives in framer.cc; see there for the state machine.
  enum class State : uint8_t;
  FramerOptions options_;
  FramerStats stats_;
  std::string buf_;        // current frame bytes; capacity reserved once
  std::string decrypted_;  // plaintext of the current encrypted frame
  int state_ = 0;
  uint16_t crc_ = 0;
  size_t expect_ = 0;      // for 0xDB frames: total length once known
  size_t crc_digits_ = 0;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_FRAMER_H_
