// AesKey: an AES-128 key, and the one parser of its written form (32 hex
// digits, either case), used by config/ (key, aad_key) and the CLI's --key.
#ifndef P1GW_BASE_AES_KEY_H_
#define P1GW_BASE_AES_KEY_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "gateway/base/hex.h"

namespace p1 {

using AesKey = std::array<uint8_t, 16>;

// Exactly 32 hex digits -> the key; nullopt otherwise.
inline std::optional<AesKey> ParseAesKey(std::string_view hex) {
  AesKey key{};
  if (!HexToBytes(hex, key)) return std::nullopt;
  return key;
}

}  // namespace p1

#endif  // P1GW_BASE_AES_KEY_H_
