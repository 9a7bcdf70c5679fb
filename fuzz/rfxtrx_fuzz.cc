// libFuzzer target: RFXtrx-wrapped P1 (wrapping = "rfxtrx"). For any bytes
// and any chunking, the unwrapper gives the same output and counts, never
// passes on more bytes than came in, and the framer behind it never emits a
// frame over the size cap.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz/chunked_feed.h"
#include "gateway/core/framer.h"
#include "gateway/core/rfxtrx.h"

namespace {

struct Result {
  std::string out;
  p1::RfxtrxStats stats;
};

Result Unwrap(std::string_view data, uint32_t seed) {
  p1::RfxtrxUnwrapper u;
  Result r;
  r.out = FeedInChunks(u, data, seed);
  r.stats = u.stats();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  p1::RfxtrxUnwrapper whole;
  Result a;
  whole.Feed(in, &a.out);
  a.stats = whole.stats();
  const Result b = Unwrap(in, static_cast<uint32_t>(size));
  if (a.out != b.out || a.stats.p1_packets != b.stats.p1_packets ||
      a.stats.other_packets != b.stats.other_packets) {
    std::abort();
  }
  if (a.out.size() + 4 * a.stats.p1_packets > size) std::abort();
  constexpr size_t kMax = 2048;
  p1::FramerOptions options;
  options.max_telegram_bytes = kMax;
  p1::Framer framer(options);
  framer.Feed(a.out, [&](const p1::Frame& f) {
    if (f.raw.size() > kMax) std::abort();
  });
  framer.Finish([&](const p1::Frame& f) {
    if (f.raw.size() > kMax) std::abort();
  });
  return 0;
}
