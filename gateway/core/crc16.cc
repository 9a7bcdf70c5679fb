#include "gateway/core/crc16.h"

#include <array>
#include <cstddef>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define P1GW_CRC16_CLMUL 1
#endif

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

#ifdef P1GW_CRC16_CLMUL
// Folding with carry-less multiplies (the method of Intel's "Fast CRC
// Computation for Generic Polynomials Using PCLMULQDQ", reflected form).
// A 16-byte block loaded little-endian holds, in bit j, the coefficient of
// x^(127-j) of the block's polynomial; its low and high qwords are H and L
// of X = H*x^64 + L. Moving X forward by D bytes is X*x^(8D) mod P =
// H*x^(8D+64) + L*x^(8D); a reflected 64x64 multiply yields its product
// times x, hence the constants x^(8D+63) and x^(8D-1) mod P, bit-reversed
// into the top 16 bits of a qword. No Barrett step: the folded last block
// and the tail go through the tables, since crc(M) = crc(R || tail) when R
// is congruent to everything before the tail.
constexpr uint64_t FoldConstant(int k) {
  uint32_t v = 1;  // x^k mod P, P = x^16 + x^15 + x^2 + 1, not reflected
  for (int i = 0; i < k; ++i) {
    v <<= 1;
    if (v & 0x10000) v ^= 0x18005;
  }
  uint64_t c = 0;  // bit 63-d holds the coefficient of x^d
  for (int d = 0; d < 16; ++d) {
    if (v >> d & 1) c |= uint64_t{1} << (63 - d);
  }
  return c;
}

[[gnu::target("pclmul,sse4.1")]] inline __m128i Fold(__m128i x, __m128i k, __m128i next) {
  const __m128i h = _mm_clmulepi64_si128(x, k, 0x00);
  const __m128i l = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(h, l), next);
}

[[gnu::target("pclmul,sse4.1")]] uint16_t ClmulUpdate(uint16_t crc, const unsigned char* p,
                                                      size_t n) {
  // n >= 64. Four lanes 16 bytes apart, each folded by 64 bytes per step.
  const __m128i k64 = _mm_set_epi64x(static_cast<long long>(FoldConstant(8 * 64 - 1)),
                                     static_cast<long long>(FoldConstant(8 * 64 + 63)));
  const __m128i k16 = _mm_set_epi64x(static_cast<long long>(FoldConstant(8 * 16 - 1)),
                                     static_cast<long long>(FoldConstant(8 * 16 + 63)));
  auto load = [](const unsigned char* q) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  };
  // A running CRC is the first two bytes' xor (reflected, no final xor).
  __m128i a0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(crc));
  __m128i a1 = load(p + 16), a2 = load(p + 32), a3 = load(p + 48);
  p += 64;
  n -= 64;
  for (; n >= 64; p += 64, n -= 64) {
    a0 = Fold(a0, k64, load(p));
    a1 = Fold(a1, k64, load(p + 16));
    a2 = Fold(a2, k64, load(p + 32));
    a3 = Fold(a3, k64, load(p + 48));
  }
  __m128i r = Fold(Fold(Fold(a0, k16, a1), k16, a2), k16, a3);
  for (; n >= 16; p += 16, n -= 16) r = Fold(r, k16, load(p));
  unsigned char last[16];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(last), r);
  const uint16_t c = Crc16UpdateTables(0, std::string_view(reinterpret_cast<char*>(last), 16));
  return Crc16UpdateTables(c, std::string_view(reinterpret_cast<const char*>(p), n));
}

const bool kHasClmul = [] {
  __builtin_cpu_init();  // static initialisers may run before libgcc's
  return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}();
#endif

// Below this the tables are as fast: the fold's set-up and the final 16
// bytes through the tables cost about as much as 64 bytes of lookups.
constexpr size_t kClmulMin = 64;

}  // namespace

uint16_t Crc16UpdateTables(uint16_t crc, std::string_view data) {
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

bool Crc16HasClmul() {
#ifdef P1GW_CRC16_CLMUL
  return kHasClmul;
#else
  return false;
#endif
}

uint16_t Crc16UpdateClmul(uint16_t crc, std::string_view data) {
#ifdef P1GW_CRC16_CLMUL
  if (kHasClmul && data.size() >= kClmulMin) {
    return ClmulUpdate(crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  }
#endif
  return Crc16UpdateTables(crc, data);
}

uint16_t Crc16Update(uint16_t crc, std::string_view data) { return Crc16UpdateClmul(crc, data); }

}  // namespace p1
