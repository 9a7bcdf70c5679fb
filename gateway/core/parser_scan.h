// Scanning primitives of the telegram parser (gateway/core/parser.cc): OBIS
// codes, numbers, group ends. Internal to the parser; pure and portable
// (plain C++, no intrinsics), so x86 and the ARM boards run the same code.
// Digits and units are scanned byte by byte (why: bench/README.md).
#ifndef P1GW_GATEWAY_CORE_PARSER_SCAN_H_
#define P1GW_GATEWAY_CORE_PARSER_SCAN_H_

#include <bit>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "gateway/core/reading.h"

namespace p1 {

// > 9: not a digit (bytes below '0' wrap around).
inline unsigned DigitValue(char c) { return static_cast<unsigned char>(c) - unsigned{'0'}; }
inline bool IsDigit(char c) { return DigitValue(c) <= 9; }
inline bool IsAlpha(char c) { return static_cast<unsigned char>((c | 0x20) - 'a') <= 'z' - 'a'; }
inline bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }

// Parses "A-B:C.D.E" with an optional F group ("*255" from EasyMeter and
// ACE4000, ".255" in spec documents; dropped) at the start of `text`;
// *end is the index after it. Each field is 1-3 digits, at most 255.
// kUnchecked skips the bounds checks; the caller then guarantees
// kObisUncheckedBytes readable bytes (fields and separators read at most
// 5 * 4 bytes, the F test one more).
constexpr size_t kObisUncheckedBytes = 21;

template <bool kUnchecked>
[[gnu::always_inline]] inline bool ParseObisPrefix(std::string_view text, Obis* out, size_t* end) {
  // Past the end reads as a byte that is neither digit nor separator.
  auto at = [&](size_t k) { return kUnchecked || k < text.size() ? text[k] : '\0'; };
  size_t i = 0;
  auto field = [&](uint8_t* f) {
    // Nested branches, not selects (see the top of this file).
    unsigned v = DigitValue(at(i));
    if (v > 9) return false;
    if (unsigned d = DigitValue(at(++i)); d <= 9) {
      v = v * 10 + d;
      if (d = DigitValue(at(++i)); d <= 9) {
        v = v * 10 + d;
        ++i;
        if (v > 255) return false;
      }
    }
    *f = static_cast<uint8_t>(v);
    return true;
  };
  auto sep = [&](char c) { return at(i) == c && (++i, true); };
  Obis o;
  if (IsDigit(at(0)) && at(1) == '-' && IsDigit(at(2)) && at(3) == ':') {
    // "d-d:", as nearly every meter sends: one test for both fields.
    o.a = static_cast<uint8_t>(at(0) - '0');
    o.b = static_cast<uint8_t>(at(2) - '0');
    i = 4;
  } else if (!(field(&o.a) && sep('-') && field(&o.b) && sep(':'))) {
    return false;
  }
  if (!(field(&o.c) && sep('.') && field(&o.d) && sep('.') && field(&o.e))) return false;
  if ((at(i) == '*' || at(i) == '.') && IsDigit(at(i + 1))) {
    for (++i; i < text.size() && IsDigit(text[i]);) ++i;
  }
  *out = o;
  *end = i;
  return true;
}

// The shape [digits][.digits][[*]unit] scanned from *p, as in "123.45*kWh",
// "001247.747kWh" (no '*', Fluvius), "00000000". Scanning stops at the
// first byte that does not fit; the caller decides whether it may end the
// value.
struct NumberShape {
  uint64_t mantissa;  // all digits; exact while at most 19
  size_t digits;      // integer and fraction digits
  size_t frac_digits;
  bool point;
  bool empty_unit;         // '*' without a unit
  const char* digits_end;  // end of the digits and point
  const char* unit_begin;  // after the '*', if any
  const char* end;         // end of the unit
};

// Scans [p, limit). kUnchecked: the caller guarantees a byte that is not a
// digit, letter, '.' or '*' before `limit` (a telegram's final '\n'), which
// stops every loop.
template <bool kUnchecked>
inline void ScanNumber(const char* p, const char* limit, NumberShape* out) {
  auto at = [limit](const char* q) { return kUnchecked || q < limit ? *q : '\0'; };
  const char* q = p;
  uint64_t mantissa = 0;
  for (unsigned d; (d = DigitValue(at(q))) <= 9; ++q) mantissa = mantissa * 10 + d;
  const char* int_end = q;
  const bool point = at(q) == '.';
  if (point) {
    for (unsigned d; (d = DigitValue(at(++q))) <= 9;) mantissa = mantissa * 10 + d;
  }
  out->mantissa = mantissa;
  out->point = point;
  out->frac_digits = point ? static_cast<size_t>(q - int_end - 1) : 0;
  out->digits = static_cast<size_t>(q - p) - point;
  out->digits_end = q;
  const bool star = at(q) == '*';
  out->unit_begin = q + star;
  if (star || IsAlpha(at(q))) {
    for (q = out->unit_begin; IsAlnum(at(q));) ++q;
  }
  out->end = q;
  out->empty_unit = star && q == out->unit_begin;
}

// Numbers Clinger's fast path cannot take; out of line so that
// NumberValue inlines.
[[gnu::noinline]] inline bool SlowNumberValue(std::string_view digits, double* value) {
  std::string_view num = digits[0] == '+' ? digits.substr(1) : digits;
  auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), *value);
  return ec == std::errc() && end == num.data() + num.size();
}

// Value of a scanned number whose digits (with any sign) are `digits`.
inline bool NumberValue(const NumberShape& n, std::string_view digits, bool negative,
                        double* value) {
  // Clinger's fast path: an exact mantissa divided by an exact power of ten
  // is correctly rounded, and covers every meter value seen; from_chars for
  // the rest.
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  if (n.digits <= 19 && n.mantissa <= (uint64_t{1} << 53) && n.frac_digits <= 22) {
    const double v = static_cast<double>(n.mantissa) / kPow10[n.frac_digits];
    *value = negative ? -v : v;
    return true;
  }
  return SlowNumberValue(digits, value);
}

// Index of the first ')' or '\n' in text[i, size), or text.size(). Eight
// bytes per step (SWAR): text values and hex ids run to 40 bytes, and no
// later load waits on the result within the line. One test per step finds
// the first byte below '*', which covers both; the other such bytes (space,
// '(', '\r', controls) are rare inside a value and cost another step.
inline size_t FindCloseOrNewline(std::string_view text, size_t i) {
  constexpr uint64_t kOnes = 0x0101010101010101, kHigh = 0x8080808080808080;
  // Little-endian hosts (all the targets): the first byte in memory order is
  // the lowest. Others take the byte loop below.
  while (std::endian::native == std::endian::little && i + 8 <= text.size()) {
    uint64_t w;
    std::memcpy(&w, text.data() + i, sizeof w);
    // Bit 7 of each byte below '*'. Exact for the lowest such byte; a borrow
    // can only mark bytes above it.
    if (const uint64_t m = (w - kOnes * '*') & ~w & kHigh) {
      i += static_cast<size_t>(std::countr_zero(m)) / 8;
      if (text[i] == ')' || text[i] == '\n') return i;
      ++i;
    } else {
      i += 8;
    }
  }
  while (i < text.size() && text[i] != ')' && text[i] != '\n') ++i;
  return i;
}

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_PARSER_SCAN_H_
