#include "gateway/framer.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "gateway/crc16.h"

namespace p1 {
namespace {

constexpr char kStart = '/';
constexpr char kEnd = '!';
constexpr unsigned char kGloTag = 0xDB;
constexpr size_t kMaxGloHeader = 18;  // DB 08 title(8) 82 LL LL SC FC(4)

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

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
  // One reservation up front: steady-state framing never grows these.
  buf_.reserve(options_.max_telegram_bytes);
  error_.reserve(128);
  if (options_.key) {
    decrypted_.reserve(options_.max_telegram_bytes);
    cipher_ = std::make_unique<GloCipher>();
  }
}

void Framer::Feed(std::string_view chunk, const Callback& on_frame) { Consume(chunk, on_frame); }

void Framer::Consume(std::string_view in, const Callback& on_frame) {
  while (!in.empty()) {
    if (carry_len_ > 0) {
      // Complete the held-back bytes first; they are re-consumed as a unit
      // (and may be held back again if `in` ran out before 4 bytes followed).
      const size_t n = std::min(in.size(), carry_.size() - carry_len_);
      std::memcpy(carry_.data() + carry_len_, in.data(), n);
      in.remove_prefix(n);
      std::array<char, 5> local = carry_;
      const size_t len = carry_len_ + n;
      carry_len_ = 0;
      Consume(std::string_view(local.data(), len), on_frame);
      continue;
    }
    size_t used = 0;
    switch (state_) {
      case State::kIdle:
      case State::kSkip:
        used = ConsumeIdle(in);
        break;
      case State::kBody:
        used = ConsumeBody(in, on_frame);
        break;
      case State::kCrcDigits:
      case State::kCrcNul:
      case State::kCrcCr:
        used = ConsumeCrc(in, on_frame);
        break;
      case State::kGloHeader:
        used = ConsumeGloHeader(in, on_frame);
        break;
      case State::kGloBody:
        used = ConsumeGlo(in, on_frame);
        break;
    }
    in.remove_prefix(used);
  }
}

size_t Framer::ConsumeIdle(std::string_view in) {
  size_t i = 0;
  while (i < in.size() && in[i] != kStart && static_cast<unsigned char>(in[i]) != kGloTag) ++i;
  stats_.skipped_bytes += i;
  if (i == in.size()) return i;
  buf_.clear();
  buf_.push_back(in[i]);
  if (in[i] == kStart) {
    StartPlain();
  } else {
    state_ = State::kGloHeader;
  }
  return i + 1;
}

void Framer::StartPlain() {
  state_ = State::kBody;
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
  ++stats_.overflows;
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

size_t Framer::ConsumeBody(std::string_view in, const Callback& on_frame) {
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
      std::memcpy(carry_.data(), in.data() + slash, carry_len_);
      return in.size();
    }
    // A new telegram starts: report the partial one.
    ++stats_.truncated;
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

size_t Framer::ConsumeGloHeader(std::string_view in, const Callback& on_frame) {
  size_t i = 0;
  while (i < in.size()) {
    buf_.push_back(in[i++]);
    GloFrameHeader header;
    const GloParse r = ParseGloHeader(buf_, options_.max_telegram_bytes, &header);
    if (r == GloParse::kNeedMore) continue;
    if (r == GloParse::kOk) {
      expect_ = header.total_length;
      state_ = State::kGloBody;
      return i;
    }
    RescanAfterGloTag(on_frame);
    return i;
  }
  return i;
}

// The 0xDB did not start a frame: it is junk, and the bytes after it are
// scanned again as ordinary stream bytes (they may hold a '/').
void Framer::RescanAfterGloTag(const Callback& on_frame) {
  std::array<char, kMaxGloHeader> pending;
  const size_t n = buf_.size() - 1;
  std::memcpy(pending.data(), buf_.data() + 1, n);
  buf_.clear();
  ++stats_.skipped_bytes;
  state_ = State::kIdle;
  Consume(std::string_view(pending.data(), n), on_frame);
}

size_t Framer::ConsumeGlo(std::string_view in, const Callback& on_frame) {
  const size_t take = std::min(in.size(), expect_ - buf_.size());
  buf_.append(in.substr(0, take));
  if (buf_.size() == expect_) EmitGlo(on_frame);
  return take;
}

void Framer::EmitTelegram(const Callback& on_frame) {
  Frame f;
  f.status = FrameStatus::kTelegram;
  f.raw = f.plaintext = buf_;
  f.crc = CrcResult(crc_digits_, crc_value_, crc_);
  ++stats_.telegrams;
  if (f.crc == CrcStatus::kInvalid) ++stats_.crc_errors;
  state_ = State::kIdle;
  on_frame(f);
  buf_.clear();
}

void Framer::EmitGlo(const Callback& on_frame) {
  state_ = State::kIdle;
  const char* reason = nullptr;
  CrcStatus crc = CrcStatus::kAbsent;
  if (!options_.key) {
    reason = "no key configured for encrypted frame";
  } else if (!cipher_->Decrypt(buf_, *options_.key, options_.aad_key ? &*options_.aad_key : nullptr,
                               &decrypted_, &error_)) {
    reason = error_.c_str();
  } else if (!CheckPlaintext(decrypted_, &crc)) {
    reason = "decrypted payload is not a DSMR telegram (wrong key?)";
  }
  if (reason) {
    ++stats_.decrypt_errors;
    EmitError(FrameStatus::kDecryptError, reason, on_frame);
    return;
  }
  Frame f;
  f.status = FrameStatus::kTelegram;
  f.raw = buf_;
  f.plaintext = decrypted_;
  f.encrypted = true;
  f.crc = crc;
  ++stats_.telegrams;
  if (crc == CrcStatus::kInvalid) ++stats_.crc_errors;
  on_frame(f);
  buf_.clear();
}

void Framer::EmitError(FrameStatus status, std::string_view error, const Callback& on_frame) {
  Frame f;
  f.status = status;
  f.raw = buf_;
  f.error = error;
  on_frame(f);
  buf_.clear();
}

void Framer::Finish(const Callback& on_frame) {
  if (carry_len_ > 0) {
    std::array<char, 5> local = carry_;
    const size_t len = carry_len_;
    carry_len_ = 0;
    final_ = true;
    Consume(std::string_view(local.data(), len), on_frame);
    final_ = false;
  }
  switch (state_) {
    case State::kBody:
    case State::kGloBody:
      ++stats_.truncated;
      EmitError(FrameStatus::kTruncated, "stream ended inside a telegram", on_frame);
      break;
    case State::kCrcDigits:
    case State::kCrcNul:
    case State::kCrcCr:
      EmitTelegram(on_frame);
      break;
    case State::kGloHeader:
      // Never confirmed as a frame: the 0xDB is junk, what followed it may not be.
      RescanAfterGloTag(on_frame);
      Finish(on_frame);
      return;
    case State::kIdle:
    case State::kSkip:
      break;
  }
  Reset();
}

void Framer::Reset() {
  buf_.clear();
  carry_len_ = 0;
  decrypted_.clear();
  state_ = State::kIdle;
  expect_ = 0;
}

}  // namespace p1
