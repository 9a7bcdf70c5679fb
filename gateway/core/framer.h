// Framer: turns a byte stream from a meter into telegrams, incrementally.
// Any chunking of the same stream yields the same frames. Pure: no I/O, no
// clock. Plain telegrams run from '/' to the CRC line ("!XXXX", 1-4 hex
// digits, either case) or, for DSMR 2.2/3, a bare "!" line. Encrypted DLMS
// frames (0xDB) are framed by their length field and decrypted with the key
// given in the options, then CRC-checked like plain telegrams; a decrypted
// DLMS data-notification (Austrian M-Bus meters, see cosem.h) becomes DSMR
// text first.
// Encrypted frames are speculative: the plain telegram framing keeps running
// underneath a 0xDB frame being collected, so a bogus 0xDB header in line
// noise never swallows the telegrams after it (a plain telegram with a valid
// CRC ends the 0xDB frame at once). Without a key 0xDB is never a start.
// Boundaries: between frames any '/' starts a telegram; inside one only a '/'
// at a line start, or one followed by an IEC identification prefix (3 letters
// and a digit, "/ISk5"), does ("(test-/-test)" is text), reporting the partial
// one as kTruncated. A telegram ends at the LF of its CRC line, at the first byte
// that cannot continue that line (the byte then belongs to the stream again),
// or at Finish(). Bytes after the CRC line up to the next start are skipped.
#ifndef P1GW_GATEWAY_CORE_FRAMER_H_
#define P1GW_GATEWAY_CORE_FRAMER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/core/dlms.h"
#include "gateway/core/reading.h"

namespace p1 {

struct FramerOptions {
  size_t max_telegram_bytes = 16 * 1024;
  std::optional<AesKey> key;      // decrypt 0xDB frames; without a key 0xDB is junk
  std::optional<AesKey> aad_key;  // authentication key for the GCM AAD
};

enum class FrameStatus : uint8_t {
  kTelegram,      // complete telegram; crc says whether it verified
  kTruncated,     // a new start ('/' at a line start) or the end of stream arrived before the
                  // end of the telegram; `raw` holds the partial bytes
  kOverflow,      // exceeded max_telegram_bytes; bytes dropped until the next start
  kDecryptError,  // encrypted frame that failed to decrypt (wrong key, bad tag, no key)
};

// A frame as handed to the callback. Views are valid only during the call.
struct Frame {
  FrameStatus status = FrameStatus::kTelegram;
  std::string_view raw;        // bytes as received (0xDB frame for encrypted)
  std::string_view plaintext;  // '/'..end of CRC line; == raw unless decrypted
  bool encrypted = false;
  CrcStatus crc = CrcStatus::kAbsent;
  std::string_view error;  // reason text for non-kTelegram statuses
  uint64_t offset = 0;     // stream position of the frame's first byte
};

struct FramerStats {
  uint64_t telegrams = 0;  // kTelegram frames emitted (any CRC status)
  uint64_t crc_errors = 0;
  uint64_t truncated = 0;
  uint64_t overflows = 0;
  uint64_t decrypt_errors = 0;
  // Bytes outside any plain frame (junk, NUL, partial starts). With a key
  // the bytes of encrypted frames count too: the plain framing runs under them.
  uint64_t skipped_bytes = 0;
  // Without a key: valid DLMS general-glo-ciphering headers (0xDB ...) among
  // the skipped bytes, seen whole within one chunk. A hint that the meter
  // needs a key.
  uint64_t encrypted_hints = 0;
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
  // Plain telegram framing.
  enum class State : uint8_t {
    kIdle,       // between frames: skip junk until '/'
    kSkip,       // after an overflow: like kIdle (bytes counted as skipped)
    kBody,       // plain telegram before '!'
    kCrcDigits,  // after '!': up to 4 hex digits
    kCrcNul,     // a NUL after the digits (seen in the wild before CRLF)
    kCrcCr,      // CR seen, LF may follow
  };
  // Encrypted frame tracking (only with a key), alongside the plain framing.
  enum class Glo : uint8_t {
    kIdle,    // looking for 0xDB
    kHeader,  // 0xDB seen, header incomplete
    kBody,    // header valid, collecting expect_ bytes
  };

  enum class HeaderMatch : uint8_t { kYes, kNo, kNeedMore };

  void Consume(std::string_view in, const Callback& on_frame);
  // One step of the plain framing over a prefix of `in`; returns the bytes used.
  // `base` is the stream position of in[0].
  size_t PlainStep(std::string_view in, uint64_t base, const Callback& on_frame);
  void PlainConsume(std::string_view in, uint64_t base, const Callback& on_frame);
  // How many bytes of `in` the plain step may take before the encrypted
  // tracker must see them (it changes state at a 0xDB, per header byte and
  // at the end of a frame).
  size_t GloLimit(std::string_view in) const;
  void TrackGlo(std::string_view bytes, const Callback& on_frame);
  void RestartGloHeader();
  HeaderMatch MatchHeader(std::string_view at_slash) const;
  size_t ConsumeIdle(std::string_view in, uint64_t base);
  size_t ConsumeBody(std::string_view in, uint64_t base, const Callback& on_frame);
  size_t ConsumeCrc(std::string_view in, const Callback& on_frame);
  size_t Append(std::string_view bytes, const Callback& on_frame);
  void EmitTelegram(const Callback& on_frame);
  void EmitGlo(const Callback& on_frame);
  void EmitError(FrameStatus status, std::string_view error, const Callback& on_frame);
  // Every plain frame passes here: while an encrypted frame is being
  // collected only a CRC-valid telegram gets through (and ends it).
  void EmitPlain(const Frame& frame, const Callback& on_frame);
  // Reports the encrypted frame being collected, up to stream position
  // `end`, as kTruncated and drops it.
  void AbandonGlo(std::string_view why, uint64_t end, const Callback& on_frame);
  // Counts and hands a frame to the callback.
  void Deliver(const Frame& frame, const Callback& on_frame);
  void StartPlain(uint64_t at);
  void ResetPlain();

  FramerOptions options_;
  FramerStats stats_;
  State state_ = State::kIdle;
  std::string buf_;                    // current plain frame bytes; grows to the largest telegram once
  std::string glo_buf_;                // current encrypted frame bytes (key only)
  std::string decrypted_;              // plaintext of the current encrypted frame
  std::string dlms_text_;              // DSMR text of a decrypted DLMS data-notification
  std::string error_;                  // decryption error text; capacity reserved once
  std::unique_ptr<GloCipher> cipher_;  // created once when a key is set
  uint16_t crc_ = 0;                   // running CRC over buf_ up to and including '!'
  uint16_t crc_value_ = 0;             // CRC digits received so far
  uint8_t crc_digits_ = 0;
  uint64_t pos_ = 0;          // stream bytes consumed so far
  uint64_t plain_start_ = 0;  // stream position of buf_[0]
  uint64_t glo_start_ = 0;    // stream position of glo_buf_[0]
  uint64_t carry_pos_ = 0;    // stream position of carry_[0]
  Glo glo_ = Glo::kIdle;
  size_t expect_ = 0;  // 0xDB frames: total length once the header is known
  // A mid-line '/' whose next 4 bytes have not arrived yet: held back until
  // they do, so the resync decision never depends on chunk boundaries.
  std::array<char, 5> carry_{};
  size_t carry_len_ = 0;
  bool final_ = false;  // inside Finish(): no more bytes will come
};

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_FRAMER_H_
