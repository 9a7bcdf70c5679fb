// For the unwrapper fuzz targets: feeds `data` to an unwrapper in chunks of
// 1..300 bytes whose sizes follow from `seed` (an LCG), so the same input
// always gets the same chunking, and returns what it passed on.
#ifndef P1GW_FUZZ_CHUNKED_FEED_H_
#define P1GW_FUZZ_CHUNKED_FEED_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

template <typename Unwrapper>
std::string FeedInChunks(Unwrapper& u, std::string_view data, uint32_t seed) {
  std::string out;
  size_t at = 0;
  while (at < data.size()) {
    seed = seed * 1103515245u + 12345u;
    const size_t n = std::min<size_t>(1 + (seed >> 16) % 300, data.size() - at);
    u.Feed(data.substr(at, n), &out);
    at += n;
  }
  return out;
}

#endif  // P1GW_FUZZ_CHUNKED_FEED_H_
