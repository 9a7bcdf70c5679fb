#include "gateway/core/crc16.h"

#include <array>
#include <cstddef>

namespace p1 {
namespace {

// Slicing-by-16: table k maps a byte to its CRC contribution when followed
// by k zero bytes, so 16 input bytes fold into the register with 16
// independent lookups instead of a 16-step dependency chain. The tables are
// built at compile time (8 KiB, fits in L1). Bytes are indexed one by one,
// so the code does not depend on host endianness.
constexpr int kSlices = 16;
using Tables = std::array<std::array<uint16_t, 256>, kSlices>;

constexpr Tables MakeTables() {
  Tables t{};
  for (int b = 0; b < 256; ++b) {
    uint16_t crc = static_cast<uint16_t>(b);
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
    t[0][b] = crc;
  }
  for (int k = 1; k < kSlices; ++k) {
    for (int b = 0; b < 256; ++b) {
      const uint16_t prev = t[k - 1][b];
      t[k][b] = static_cast<uint16_t>((prev >> 8) ^ t[0][prev & 0xFF]);
    }
  }
  return t;
}

constexpr Tables kTables = MakeTables();
static_assert(kTables[0][1] == 0xC0C1, "CRC-16/ARC table");

}  // namespace

uint16_t Crc16Update(uint16_t crc, std::string_view data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  const auto& t = kTables;
  while (n >= kSlices) {
    const unsigned lo = (crc ^ p[0]) & 0xFF;
    const unsigned hi = ((crc >> 8) ^ p[1]) & 0xFF;
    crc = t[15][lo] ^ t[14][hi] ^ t[13][p[2]] ^ t[12][p[3]] ^ t[11][p[4]] ^ t[10][p[5]] ^
          t[9][p[6]] ^ t[8][p[7]] ^ t[7][p[8]] ^ t[6][p[9]] ^ t[5][p[10]] ^ t[4][p[11]] ^
          t[3][p[12]] ^ t[2][p[13]] ^ t[1][p[14]] ^ t[0][p[15]];
    p += kSlices;
    n -= kSlices;
  }
  while (n--) crc = static_cast<uint16_t>((crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF]);
  return crc;
}

}  // namespace p1
