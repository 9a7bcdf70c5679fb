// libFuzzer target: Austrian M-Bus input (wrapping = "mbus", simulate =
// "at-mbus"). For any bytes and any chunking the unwrapper gives the same
// APDUs and counts and never passes on more bytes than came in; the same
// bytes read as a decrypted DLMS data-notification either fail with an
// error or give DSMR text with a valid CRC and bounded size; the framer
// behind the unwrapper (with a key) never emits a frame over its cap.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gateway/core/cosem.h"
#include "gateway/core/crc16.h"
#include "fuzz/chunked_feed.h"
#include "gateway/core/framer.h"
#include "gateway/core/mbus.h"

namespace {

struct Result {
  std::string out;
  p1::MbusStats stats;
};

bool Same(const p1::MbusStats& a, const p1::MbusStats& b) {
  return a.frames == b.frames && a.apdus == b.apdus && a.foreign_frames == b.foreign_frames &&
         a.bad_frames == b.bad_frames && a.lost_apdus == b.lost_apdus &&
         a.skipped_bytes == b.skipped_bytes;
}

Result Unwrap(std::string_view data, uint32_t seed) {
  p1::MbusUnwrapper u(4096);
  Result r;
  r.out = FeedInChunks(u, data, seed);
  r.stats = u.stats();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  p1::MbusUnwrapper whole(4096);
  Result a;
  whole.Feed(in, &a.out);
  a.stats = whole.stats();
  const Result b = Unwrap(in, static_cast<uint32_t>(size));
  if (a.out != b.out || !Same(a.stats, b.stats)) std::abort();
  if (a.out.size() + 11 * a.stats.apdus > size) std::abort();

  std::string text, err;
  if (p1::DlmsNotificationToDsmr(in, "KFMgP\0\0\t", &text, &err)) {
    const size_t bang = text.rfind('!');
    if (text[0] != '/' || bang == std::string::npos || text.size() != bang + 7) std::abort();
    char crc[5];
    std::snprintf(crc, sizeof crc, "%04X", p1::Crc16(std::string_view(text).substr(0, bang + 1)));
    if (text.compare(bang + 1, 4, crc) != 0) std::abort();
    if (text.size() > 128 + 16 * size) std::abort();
  } else if (!text.empty() || err.empty()) {
    std::abort();
  }

  constexpr size_t kMax = 2048;
  p1::FramerOptions options;
  options.max_telegram_bytes = kMax;
  options.key = p1::AesKey{0x36, 0xC6, 0x66, 0x39, 0xE4, 0x8A, 0x8C, 0xA4,
                           0xD6, 0xBC, 0x8B, 0x28, 0x2A, 0x79, 0x3B, 0xBB};
  p1::Framer framer(options);
  const auto check = [&](const p1::Frame& f) {
    if (f.raw.size() > kMax) std::abort();
  };
  framer.Feed(a.out, check);
  framer.Finish(check);
  return 0;
}
