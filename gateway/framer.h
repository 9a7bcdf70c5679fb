// Framer: turns a byte stream from a meter into telegrams, incrementally.
// Any chunking of the same stream yields the same frames. Pure: no I/O, no
// clock. Plain telegrams run from '/' to the CRC line ("!XXXX", 1-4 hex
// digits, either case) or, for DSMR 2.2/3, a bare "!" line. Encrypted DLMS
// frames (0xDB) are framed by their length field and decrypted with the key
// given in the options, then CRC-checked like plain telegrams.
// Boundaries: between frames any '/' starts a telegram; inside one only a '/'
// at a line start, or one followed by an IEC identification prefix (3 letters
// and a digit, "/ISk5"), does ("(test-/-test)" is text), reporting the partial
// one as kTruncated. A telegram ends at the LF of its CRC line, at the first byte
// that cannot continue that line (the byte then belongs to the stream again),
// or at Finish(). Bytes after the CRC line up to the next start are skipped.
#ifndef P1GW_GATEWAY_FRAMER_H_
#define P1GW_GATEWAY_FRAMER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
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
  kTruncated,  // a new start ('/' at a line start) or the end of stream arrived before the
               // end of the telegram; `raw` holds the partial bytes
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
  // on_frame must not call back into this Framer.
  void Feed(std::string_view chunk, const Callback& on_frame);
  // End of stream: reports a pending partial telegram as kTruncated.
  void Finish(const Callback& on_frame);
  // Drops any partial frame (e.g. after a reconnect) without reporting it.
  void Reset();

  const FramerStats& stats() const { return stats_; }

 private:
  enum class State : uint8_t {
    kIdle,       // between frames: skip junk until '/' or 0xDB
    kSkip,       // after an overflow: like kIdle (bytes counted as skipped)
    kBody,       // plain telegram before '!'
    kCrcDigits,  // after '!': up to 4 hex digits
    kCrcNul,     // a NUL after the digits (seen in the wild before CRLF)
    kCrcCr,      // CR seen, LF may follow
    kGloHeader,  // 0xDB seen, header incomplete
    kGloBody,    // header valid, collecting total_length bytes
  };

  enum class HeaderMatch : uint8_t { kYes, kNo, kNeedMore };

  void Consume(std::string_view in, const Callback& on_frame);
  HeaderMatch MatchHeader(std::string_view at_slash) const;
  size_t ConsumeIdle(std::string_view in);
  size_t ConsumeBody(std::string_view in, const Callback& on_frame);
  size_t ConsumeCrc(std::string_view in, const Callback& on_frame);
  size_t ConsumeGloHeader(std::string_view in, const Callback& on_frame);
  size_t ConsumeGlo(std::string_view in, const Callback& on_frame);
  size_t Append(std::string_view bytes, const Callback& on_frame);
  void EmitTelegram(const Callback& on_frame);
  void EmitGlo(const Callback& on_frame);
  void EmitError(FrameStatus status, std::string_view error, const Callback& on_frame);
  void StartPlain();
  void RescanAfterGloTag(const Callback& on_frame);

  FramerOptions options_;
  FramerStats stats_;
  State state_ = State::kIdle;
  std::string buf_;        // current frame bytes; capacity reserved once
  std::string decrypted_;  // plaintext of the current encrypted frame
  std::string error_;      // decryption error text; capacity reserved once
  std::unique_ptr<GloCipher> cipher_;  // created once when a key is set
  uint16_t crc_ = 0;       // running CRC over buf_ up to and including '!'
  uint16_t crc_value_ = 0; // CRC digits received so far
  uint8_t crc_digits_ = 0;
  size_t expect_ = 0;      // 0xDB frames: total length once the header is known
  // A mid-line '/' whose next 4 bytes have not arrived yet: held back until
  // they do, so the resync decision never depends on chunk boundaries.
  std::array<char, 5> carry_{};
  size_t carry_len_ = 0;
  bool final_ = false;     // inside Finish(): no more bytes will come
};

}  // namespace p1

#endif  // P1GW_GATEWAY_FRAMER_H_
