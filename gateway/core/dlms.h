// Decryption of DLMS general-glo-ciphering frames (0xDB) as sent by
// Luxembourg Smarty and Austrian meters: AES-128-GCM, IV = system title ||
// frame counter, AAD = security byte || authentication key, 12-byte tag.
// Security byte 0x30 = authenticated+encrypted; 0x20 = encrypted only (no tag).
#ifndef P1GW_GATEWAY_CORE_DLMS_H_
#define P1GW_GATEWAY_CORE_DLMS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/base/aes_key.h"

struct evp_cipher_ctx_st;
struct evp_cipher_st;

namespace p1 {

struct GloFrameHeader {
  std::string_view system_title;  // 8 bytes
  uint8_t security = 0;           // 0x30 or 0x20
  uint32_t frame_counter = 0;
  size_t payload_offset = 0;  // ciphertext start within the frame
  size_t payload_length = 0;  // ciphertext length (tag excluded)
  size_t total_length = 0;    // whole frame including tag
};

enum class GloParse { kOk, kNeedMore, kInvalid };

// Inspects the start of `bytes` (which begins with 0xDB). kNeedMore when the
// header is incomplete; kInvalid when it cannot be a glo-ciphering frame
// (bad title length, bad length form, unknown security byte, length > max_size).
GloParse ParseGloHeader(std::string_view bytes, size_t max_size, GloFrameHeader* out);

// Decrypts one complete frame into *plaintext (resized, capacity reused).
// Security 0x30: AAD = 0x30 || aad_key. When aad_key is null the Smarty
// default authentication key (kSmartyDefaultAk, fixed in the Luxembourg P1
// spec) is tried first, then an empty AAD (frames made by tools that
// authenticate no AAD at all, e.g. node-dsmr-parser's "without AAD" vector).
// Security 0x20: no tag, so a wrong key cannot be detected here (the framer
// then rejects the plaintext by its shape/CRC).
// Returns false with *err set on a bad frame or a tag mismatch (wrong key);
// *plaintext is then empty, never partial garbage.
bool DecryptGloFrame(std::string_view frame, const AesKey& key, const AesKey* aad_key,
                     std::string* plaintext, std::string* err);

// Builds a 0xDB frame (0x82 two-byte length form) around `plaintext`, for
// the simulator and tests. security is 0x30 (with 12-byte tag; aad_key null
// means kSmartyDefaultAk) or 0x20 (no tag). False if system_title is not 8
// bytes, security is unknown or the frame would exceed 65535 bytes.
bool EncryptGloFrame(std::string_view plaintext, const AesKey& key, const AesKey* aad_key,
                     std::string_view system_title, uint32_t frame_counter, std::string* frame,
                     uint8_t security = 0x30);

// The authentication key of the Luxembourg Smarty P1 spec (v1.1.3), also the
// default in openHAB, node-dsmr-parser and esphome: 00112233445566778899AABBCCDDEEFF.
inline constexpr AesKey kSmartyDefaultAk = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                            0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};

// A reusable OpenSSL AES-128-GCM context so steady-state decryption does not
// allocate per frame. Not thread-safe; one per Framer. Same contract as the
// free functions above (which use a temporary GloCipher).
class GloCipher {
 public:
  GloCipher();
  ~GloCipher();
  GloCipher(const GloCipher&) = delete;
  GloCipher& operator=(const GloCipher&) = delete;

  bool Decrypt(std::string_view frame, const AesKey& key, const AesKey* aad_key,
               std::string* plaintext, std::string* err);
  bool Encrypt(std::string_view plaintext, const AesKey& key, const AesKey* aad_key,
               std::string_view system_title, uint32_t frame_counter, std::string* frame,
               uint8_t security = 0x30);

 private:
  bool Run(bool encrypt, const AesKey& key, const uint8_t* iv, std::string_view aad,
           const uint8_t* in, size_t len, uint8_t* out, uint8_t* tag /* null: no tag */);
  evp_cipher_ctx_st* ctx_ = nullptr;
  evp_cipher_st* cipher_ = nullptr;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_DLMS_H_
