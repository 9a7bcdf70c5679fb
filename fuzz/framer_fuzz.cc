// libFuzzer target: the Framer must give the same frames for any chunking of
// the same bytes (with and without a key), account for every input byte
// exactly once without a key (in a frame's raw bytes or as skipped), and
// never emit a frame over the size cap.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "gateway/core/framer.h"

namespace {

struct Seen {
  p1::FrameStatus status;
  std::string raw, plaintext;
  p1::CrcStatus crc;
  bool encrypted;
  bool operator==(const Seen&) const = default;
};

struct Result {
  std::vector<Seen> frames;
  p1::FramerStats stats;
};

p1::FramerOptions Options(size_t max_bytes, bool with_key) {
  p1::FramerOptions options;
  options.max_telegram_bytes = max_bytes;
  // The esphome corpus key, so the seed's encrypted frame decrypts.
  if (with_key) options.key = p1::ParseAesKey("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  return options;
}

Result Run(std::string_view data, size_t max_bytes, bool with_key, uint32_t chunk_seed) {
  p1::Framer framer(Options(max_bytes, with_key));
  Result result;
  const p1::Framer::Callback cb = [&](const p1::Frame& f) {
    if (f.raw.size() > max_bytes) std::abort();
    if (f.status == p1::FrameStatus::kTelegram && !f.encrypted && f.raw != f.plaintext) {
      std::abort();
    }
    result.frames.push_back(
        {f.status, std::string(f.raw), std::string(f.plaintext), f.crc, f.encrypted});
  };
  uint32_t state = chunk_seed;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t n = data.size() - pos;
    if (chunk_seed != 0) {
      state = state * 1103515245u + 12345u;  // deterministic split points
      n = std::min<size_t>(n, 1 + (state >> 16) % 37);
    }
    framer.Feed(data.substr(pos, n), cb);
    pos += n;
  }
  framer.Finish(cb);
  result.stats = framer.stats();
  return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 3) return 0;
  const uint32_t chunk_seed = (uint32_t{bytes[0]} << 8 | bytes[1]) + 1;
  const size_t max_bytes = bytes[2] < 128 ? 16 * 1024 : 64 + bytes[2] * 4;
  const std::string_view data(reinterpret_cast<const char*>(bytes) + 3, size - 3);

  for (const bool with_key : {false, true}) {
    const Result whole = Run(data, max_bytes, with_key, 0);
    const Result chunked = Run(data, max_bytes, with_key, chunk_seed);
    if (!(whole.frames == chunked.frames)) std::abort();
    if (whole.stats.skipped_bytes != chunked.stats.skipped_bytes) std::abort();
    // With a key the plain framing also runs under an encrypted frame, so a
    // telegram that ends a bogus one is in two frames: exact only without.
    if (with_key) continue;
    size_t accounted = whole.stats.skipped_bytes;
    for (const Seen& s : whole.frames) accounted += s.raw.size();
    if (accounted != data.size()) std::abort();
  }
  return 0;
}
