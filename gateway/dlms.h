// Decryption of DLMS general-glo-ciphering frames (0xDB) as sent by
// Luxembourg Smarty and Austrian meters: AES-128-GCM, IV = system title ||
// frame counter, AAD = security byte || authentication key, 12-byte tag.
// Security byte 0x30 = authenticated+encrypted; 0x20 = encrypted only (no tag).
#ifndef P1GW_GATEWAY_DLMS_H_
#define P1GW_GATEWAY_DLMS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace p1 {

using AesKey = std::array<uint8_t, 16>;

// Parses 32 hex digits (either case). Returns nullopt otherwise.
std::optional<AesKey> ParseAesKey(std::string_view hex);

struct GloFrameHeader {
  std::string_view system_title;  // 8 bytes
  uint8_t security = 0;           // 0x30 or 0x20
  uint32_t frame_counter = 0;
  size_t payload_offset = 0;      // ciphertext start within the frame
  size_t payload_length = 0;      // ciphertext length (tag excluded)
  size_t total_length = 0;        // whole frame including tag
};

enum class GloParse { kOk, kNeedMore, kInvalid };

// Inspects the start of `bytes` (which begins with 0xDB). kNeedMore when the
// header is incomplete; kInvalid when it cannot be a glo-ciphering frame
// (bad title length, bad length form, unknown security byte, length > max_size).
GloParse ParseGloHeader(std::string_view bytes, size_t max_size, GloFrameHeader* out);

// Decrypts one complete frame into *plaintext (resized, capacity reused).
// aad_key may be null: the AAD is then the security byte alone... see .cc.
// Returns false with *err set on a bad frame or a tag mismatch (wrong key).
bool DecryptGloFrame(std::string_view frame, const AesKey& key, const AesKey* aad_key,
                     std::string* plaintext, std::string* err);

}  // namespace p1

#endif  // P1GW_GATEWAY_DLMS_H_
