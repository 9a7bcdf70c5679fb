// Hex digits, both ways: the one decoder for keys, CRC digits and octet
// strings, and the one encoder. Pure and header-only.
#ifndef P1GW_BASE_HEX_H_
#define P1GW_BASE_HEX_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace p1 {

// Value of one hex digit (either case), or -1.
constexpr int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr bool IsHexDigit(char c) { return HexDigit(c) >= 0; }

// Decodes exactly 2 * out.size() hex digits. False, with `out` unspecified,
// for any other length or a character that is not a hex digit.
inline bool HexToBytes(std::string_view hex, std::span<uint8_t> out) {
  if (hex.size() != 2 * out.size()) return false;
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexDigit(hex[2 * i]);
    const int lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

// Decodes an even number of hex digits into bytes; false (and `out` cleared)
// for an odd length or a character that is not a hex digit.
inline bool HexToBytes(std::string_view hex, std::string* out) {
  out->assign(hex.size() / 2, '\0');
  if (hex.size() % 2 == 0 &&
      HexToBytes(hex, std::span<uint8_t>(reinterpret_cast<uint8_t*>(out->data()), out->size()))) {
    return true;
  }
  out->clear();
  return false;
}

// Appends the two hex digits of `byte`, lower case unless `upper`.
inline void AppendHexByte(std::string* out, uint8_t byte, bool upper = false) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  out->push_back(digits[byte >> 4]);
  out->push_back(digits[byte & 15]);
}

inline std::string ToHex(std::span<const uint8_t> bytes, bool upper = false) {
  std::string out;
  out.reserve(2 * bytes.size());
  for (uint8_t b : bytes) AppendHexByte(&out, b, upper);
  return out;
}

inline std::string ToHex(std::string_view bytes, bool upper = false) {
  return ToHex(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
      upper);
}

}  // namespace p1

#endif  // P1GW_BASE_HEX_H_
