#include "gateway/core/framer.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "gateway/base/hex.h"
#include "gateway/core/cosem.h"
#include "gateway/core/crc16.h"

namespace p1 {
namespace {

constexpr char kStart = '/';
constexpr char kEnd = '!';
constexpr unsigned char kGloTag = 0xDB;
constexpr size_t kInitialBuffer = 2048;  // a DSMR 5 telegram is ~1 KB, a Belgian one ~2 KB

CrcStatus CrcResult(uint8_t digits, uint16_t sent, uint16_t computed) {
  if (digits == 0) return CrcStatus::kAbsent;
  return sent == computed ? CrcStatus::kValid : CrcStatus::kInvalid;
}

// Checks a decrypted payload: '/' .. a '!' at a line start, then 0-4 hex
// digits. False if it is not a DSMR telegram (e.g. a DLMS APDU).
bool CheckPlaintext(std::string_view text, CrcStatus* crc) {
  if (text.empty() || text[0] != kStart) return false;
  size_t bang = 0;
  while (true) {
    bang = text.find(kEnd, bang + 1);
    if (bang == std::string_view::npos) return false;
    if (text[bang - 1] == '\n') break;
  }
  uint16_t sent = 0;
  uint8_t digits = 0;
  for (size_t i = bang + 1; i < text.size() && digits < 4; ++i, ++digits) {
    const int d = HexDigit(text[i]);
    if (d < 0) break;
    sent = static_cast<uint16_t>(sent << 4 | d);
  }
  *crc = CrcResult(digits, sent, Crc16(text.substr(0, bang + 1)));
  return true;
}

}  // namespace

Framer::Framer(FramerOptions options) : options_(std::move(options)) {
  // Room for a typical telegram up front; a larger one grows a buffer (by
  // doubling, within that first telegram) and steady-state framing never
  // grows it again. Not max_telegram_bytes: in a fleet of hundreds of
  // meters those 16 KiB per buffer add up.
  const size_t initial = std::min<size_t>(options_.max_telegram_bytes, kInitialBuffer);
  buf_.reserve(initial);
  error_.reserve(128);
  if (options_.key) {
    glo_buf_.reserve(initial);
    decrypted_.reserve(initial);
    cipher_ = std::make_unique<GloCipher>();
  }
}

void Framer::Feed(std::string_view chunk, const Callback& on_frame) { Consume(chunk, on_frame); }

void Framer::Consume(std::string_view in, const Callback& on_frame) {
  if (!cipher_) {
    PlainConsume(in, pos_, on_frame);
    pos_ += in.size();
    return;
  }
  // The plain framing takes each byte first, then the encrypted tracker sees
  // the same bytes. GloLimit ends a step wherever the tracker changes state,
  // so the order of events never depends on how the input was chunked.
  while (!in.empty()) {
    const size_t used = PlainStep(in.substr(0, GloLimit(in)), pos_, on_frame);
    TrackGlo(in.substr(0, used), on_frame);
    pos_ += used;
    in.remove_prefix(used);
  }
}

void Framer::PlainConsume(std::string_view in, uint64_t base, const Callback& on_frame) {
  while (!in.empty()) {
    const size_t used = PlainStep(in, base, on_frame);
    base += used;
    in.remove_prefix(used);
  }
}

size_t Framer::PlainStep(std::string_view in, uint64_t base, const Callback& on_frame) {
  if (carry_len_ > 0) {
    // Complete the held-back bytes first; they are re-consumed as a unit
    // (and may be held back again if `in` ran out before 4 bytes followed).
    const size_t n = std::min(in.size(), carry_.size() - carry_len_);
    std::memcpy(carry_.data() + carry_len_, in.data(), n);
    std::array<char, 5> local = carry_;
    const size_t len = carry_len_ + n;
    carry_len_ = 0;
    PlainConsume(std::string_view(local.data(), len), carry_pos_, on_frame);
    return n;
  }
  switch (state_) {
    case State::kIdle:
    case State::kSkip:
      return ConsumeIdle(in, base);
    case State::kBody:
      return ConsumeBody(in, base, on_frame);
    case State::kCrcDigits:
    case State::kCrcNul:
    case State::kCrcCr:
      return ConsumeCrc(in, on_frame);
  }
  return in.size();
}

size_t Framer::ConsumeIdle(std::string_view in, uint64_t base) {
  size_t i = 0;
  while (i < in.size() && in[i] != kStart) {
    if (!cipher_ && static_cast<unsigned char>(in[i]) == kGloTag) {
      // Without a key an encrypted frame is junk; a whole valid header in
      // this chunk is noted for diagnostics (noise almost never makes one).
      GloFrameHeader header;
      if (ParseGloHeader(in.substr(i), options_.max_telegram_bytes, &header) == GloParse::kOk) {
        ++stats_.encrypted_hints;
      }
    }
    ++i;
  }
  stats_.skipped_bytes += i;
  if (i == in.size()) return i;
  buf_.clear();
  buf_.push_back(in[i]);
  StartPlain(base + i);
  return i + 1;
}

void Framer::StartPlain(uint64_t at) {
  state_ = State::kBody;
  plain_start_ = at;
  crc_ = Crc16Update(0, std::string_view(&kStart, 1));
  crc_value_ = 0;
  crc_digits_ = 0;
}

// Appends what fits of `bytes` and returns how many were taken. If not all
// fit, the frame is filled to the cap, reported as kOverflow and the state
// becomes kSkip; the caller hands the rest back to the stream, where kSkip
// looks for the next start. Filling to the cap first and rescanning the rest
// keeps the outcome independent of how the input was chunked.
size_t Framer::Append(std::string_view bytes, const Callback& on_frame) {
  const size_t room = options_.max_telegram_bytes - buf_.size();
  if (bytes.size() <= room) {
    buf_.append(bytes);
    return bytes.size();
  }
  buf_.append(bytes.substr(0, room));
  EmitError(FrameStatus::kOverflow, "telegram exceeds max_telegram_bytes", on_frame);
  state_ = State::kSkip;
  return room;
}

Framer::HeaderMatch Framer::MatchHeader(std::string_view at_slash) const {
  // '/' + 3 letters + a digit (manufacturer id and baud character).
  for (size_t j = 1; j <= 4; ++j) {
    if (j >= at_slash.size()) return final_ ? HeaderMatch::kNo : HeaderMatch::kNeedMore;
    const unsigned char c = static_cast<unsigned char>(at_slash[j]);
    const bool ok = j < 4 ? ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') : (c >= '0' && c <= '9');
    if (!ok) return HeaderMatch::kNo;
  }
  return HeaderMatch::kYes;
}

size_t Framer::ConsumeBody(std::string_view in, uint64_t base, const Callback& on_frame) {
  // The whole span up to '!' (or a resync '/') is appended and CRC'd in one
  // go; '/' is rare inside a telegram so the second scan is cheap.
  const void* bang_ptr = std::memchr(in.data(), kEnd, in.size());
  const size_t bang = bang_ptr ? static_cast<const char*>(bang_ptr) - in.data() : in.size();
  size_t slash = 0;
  bool hold_back = false;
  while (true) {
    const void* p = std::memchr(in.data() + slash, kStart, bang - slash);
    if (!p) {
      slash = bang;
      break;
    }
    slash = static_cast<const char*>(p) - in.data();
    const char prev = slash > 0 ? in[slash - 1] : buf_.back();
    if (prev == '\n') break;
    const HeaderMatch m = MatchHeader(in.substr(slash));
    if (m == HeaderMatch::kYes) break;
    if (m == HeaderMatch::kNeedMore) {
      hold_back = true;  // only near the end of `in`, so no '!' follows
      break;
    }
    ++slash;
  }
  if (slash < bang) {
    const std::string_view part = in.substr(0, slash);
    const size_t taken = Append(part, on_frame);
    if (state_ == State::kSkip) return taken;
    crc_ = Crc16Update(crc_, part);
    if (hold_back) {
      carry_len_ = in.size() - slash;
      carry_pos_ = base + slash;
      std::memcpy(carry_.data(), in.data() + slash, carry_len_);
      return in.size();
    }
    // A new telegram starts: report the partial one.
    EmitError(FrameStatus::kTruncated, "telegram interrupted by a new start", on_frame);
    state_ = State::kIdle;
    return slash;
  }
  const size_t take = bang < in.size() ? bang + 1 : bang;
  const std::string_view span = in.substr(0, take);
  const size_t taken = Append(span, on_frame);
  if (state_ == State::kSkip) return taken;
  crc_ = Crc16Update(crc_, span);
  if (bang < in.size()) state_ = State::kCrcDigits;
  return take;
}

size_t Framer::ConsumeCrc(std::string_view in, const Callback& on_frame) {
  size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    bool take = false;
    bool done = false;
    if (state_ == State::kCrcDigits && crc_digits_ < 4 && HexDigit(c) >= 0) {
      crc_value_ = static_cast<uint16_t>(crc_value_ << 4 | HexDigit(c));
      ++crc_digits_;
      take = true;
    } else if (state_ == State::kCrcDigits && c == '\0') {
      state_ = State::kCrcNul;
      take = true;
    } else if (state_ != State::kCrcCr && c == '\r') {
      state_ = State::kCrcCr;
      take = true;
    } else if (c == '\n') {
      take = done = true;
    } else {
      done = true;  // this byte is not part of the CRC line
    }
    if (take) {
      if (Append(in.substr(i, 1), on_frame) == 0) return i;
      ++i;
    }
    if (done) {
      EmitTelegram(on_frame);
      return i;
    }
  }
  return i;
}

size_t Framer::GloLimit(std::string_view in) const {
  switch (glo_) {
    case Glo::kIdle: {
      const void* p = std::memchr(in.data(), kGloTag, in.size());
      return p ? static_cast<const char*>(p) - in.data() + 1 : in.size();
    }
    case Glo::kHeader:
      return 1;
    case Glo::kBody:
      return std::min(in.size(), expect_ - glo_buf_.size());
  }
  return in.size();
}

void Framer::TrackGlo(std::string_view bytes, const Callback& on_frame) {
  if (bytes.empty()) return;
  switch (glo_) {
    case Glo::kIdle:
      // GloLimit ended the step at the first 0xDB, so only the last byte can be one.
      if (static_cast<unsigned char>(bytes.back()) == kGloTag) {
        glo_buf_.assign(1, bytes.back());
        glo_start_ = pos_ + bytes.size() - 1;
        glo_ = Glo::kHeader;
      }
      return;
    case Glo::kHeader:
      glo_buf_.append(bytes);
      RestartGloHeader();
      return;
    case Glo::kBody:
      glo_buf_.append(bytes);
      if (glo_buf_.size() == expect_) EmitGlo(on_frame);
      return;
  }
}

// glo_buf_ holds a candidate header. Keeps it, or drops the 0xDB that did
// not start a frame and tries the next 0xDB among the bytes already seen.
void Framer::RestartGloHeader() {
  while (!glo_buf_.empty()) {
    GloFrameHeader header;
    switch (ParseGloHeader(glo_buf_, options_.max_telegram_bytes, &header)) {
      case GloParse::kNeedMore:
        glo_ = Glo::kHeader;
        return;
      case GloParse::kOk:
        expect_ = header.total_length;
        glo_ = Glo::kBody;
        return;
      case GloParse::kInvalid:
        break;
    }
    const size_t next = glo_buf_.find(static_cast<char>(kGloTag), 1);
    if (next == std::string::npos) break;
    glo_buf_.erase(0, next);
    glo_start_ += next;
  }
  glo_buf_.clear();
  glo_ = Glo::kIdle;
}

void Framer::EmitTelegram(const Callback& on_frame) {
  Frame f;
  f.status = FrameStatus::kTelegram;
  f.raw = f.plaintext = buf_;
  f.crc = CrcResult(crc_digits_, crc_value_, crc_);
  f.offset = plain_start_;
  state_ = State::kIdle;
  EmitPlain(f, on_frame);
  buf_.clear();
}

void Framer::EmitGlo(const Callback& on_frame) {
  glo_ = Glo::kIdle;
  const char* reason = nullptr;
  CrcStatus crc = CrcStatus::kAbsent;
  const bool decrypted = cipher_->Decrypt(
      glo_buf_, *options_.key, options_.aad_key ? &*options_.aad_key : nullptr, &decrypted_, &error_);
  std::string_view plaintext = decrypted_;  // after Decrypt: it resizes decrypted_
  if (!decrypted) {
    reason = error_.c_str();
  } else if (!decrypted_.empty() &&
             static_cast<uint8_t>(decrypted_[0]) == kDlmsDataNotification) {
    // Austrian M-Bus meters: binary DLMS, turned into DSMR text.
    const std::string_view title = std::string_view(glo_buf_).substr(2, 8);
    if (!DlmsNotificationToDsmr(decrypted_, title, &dlms_text_, &error_)) {
      error_ += " (wrong key?)";
      reason = error_.c_str();
    }
    plaintext = dlms_text_;
  }
  if (!reason && !CheckPlaintext(plaintext, &crc)) {
    reason = "decrypted payload is not a DSMR telegram (wrong key?)";
  }
  Frame f;
  f.raw = glo_buf_;
  f.offset = glo_start_;
  if (reason) {
    f.status = FrameStatus::kDecryptError;
    f.error = reason;
  } else {
    // A real encrypted frame: what the plain framing made of it was ciphertext.
    ResetPlain();
    f.status = FrameStatus::kTelegram;
    f.plaintext = plaintext;
    f.encrypted = true;
    f.crc = crc;
  }
  Deliver(f, on_frame);
  glo_buf_.clear();
}

void Framer::EmitError(FrameStatus status, std::string_view error, const Callback& on_frame) {
  Frame f;
  f.status = status;
  f.raw = buf_;
  f.error = error;
  f.offset = plain_start_;
  EmitPlain(f, on_frame);
  buf_.clear();
}

void Framer::EmitPlain(const Frame& frame, const Callback& on_frame) {
  if (glo_ == Glo::kIdle) {
    Deliver(frame, on_frame);
    return;
  }
  if (frame.status != FrameStatus::kTelegram || frame.crc != CrcStatus::kValid) {
    return;  // most likely ciphertext that happened to hold a '/'
  }
  // A telegram with a valid CRC inside what looked like an encrypted frame:
  // that frame was line noise.
  // The encrypted frame ends where the telegram starts (how many of the
  // telegram's bytes were collected meanwhile depends on chunking).
  const uint64_t end = frame.offset > glo_start_ ? frame.offset : glo_start_;
  AbandonGlo("encrypted frame interrupted by a valid telegram", end, on_frame);
  Deliver(frame, on_frame);
}

void Framer::AbandonGlo(std::string_view why, uint64_t end, const Callback& on_frame) {
  glo_ = Glo::kIdle;
  const size_t size = std::min<uint64_t>(glo_buf_.size(), end - glo_start_);
  if (size > 0) {  // a 0xDB inside the valid telegram itself is no frame at all
    Frame f;
    f.status = FrameStatus::kTruncated;
    f.raw = std::string_view(glo_buf_).substr(0, size);
    f.offset = glo_start_;
    f.error = why;
    Deliver(f, on_frame);
  }
  glo_buf_.clear();
}

void Framer::Deliver(const Frame& frame, const Callback& on_frame) {
  switch (frame.status) {
    case FrameStatus::kTelegram:
      ++stats_.telegrams;
      if (frame.crc == CrcStatus::kInvalid) ++stats_.crc_errors;
      break;
    case FrameStatus::kTruncated:
      ++stats_.truncated;
      break;
    case FrameStatus::kOverflow:
      ++stats_.overflows;
      break;
    case FrameStatus::kDecryptError:
      ++stats_.decrypt_errors;
      break;
  }
  on_frame(frame);
}

void Framer::Finish(const Callback& on_frame) {
  if (glo_ != Glo::kIdle) {
    // The stream ended inside an encrypted frame; what the plain framing
    // holds is its ciphertext.
    AbandonGlo("stream ended inside an encrypted frame", glo_start_ + glo_buf_.size(), on_frame);
    Reset();
    return;
  }
  if (carry_len_ > 0) {
    std::array<char, 5> local = carry_;
    const size_t len = carry_len_;
    carry_len_ = 0;
    final_ = true;
    PlainConsume(std::string_view(local.data(), len), carry_pos_, on_frame);
    final_ = false;
  }
  switch (state_) {
    case State::kBody:
      EmitError(FrameStatus::kTruncated, "stream ended inside a telegram", on_frame);
      break;
    case State::kCrcDigits:
    case State::kCrcNul:
    case State::kCrcCr:
      EmitTelegram(on_frame);
      break;
    case State::kIdle:
    case State::kSkip:
      break;
  }
  Reset();
}

void Framer::ResetPlain() {
  buf_.clear();
  carry_len_ = 0;
  state_ = State::kIdle;
}

void Framer::Reset() {
  ResetPlain();
  glo_buf_.clear();
  decrypted_.clear();
  glo_ = Glo::kIdle;
  expect_ = 0;
}

}  // namespace p1
