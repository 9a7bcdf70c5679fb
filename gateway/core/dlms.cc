#include "gateway/core/dlms.h"

#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include <cstring>
#include <string>

#include "gateway/base/hex.h"
#include "gateway/base/shared_library.h"

namespace p1 {
namespace {

#define P1GW_STR2(x) #x
#define P1GW_STR(x) P1GW_STR2(x)

// libcrypto is opened on first use, not linked: loading it costs ~1.4 MB of
// RSS (its symbol tables and relocated method tables) in every gateway, and
// only meters with a key (LU, AT, ...) ever decrypt. Process-wide and never
// closed; function-local so it is initialised once, thread-safely.
struct Crypto {
  decltype(&EVP_CIPHER_CTX_new) ctx_new = nullptr;
  decltype(&EVP_CIPHER_CTX_free) ctx_free = nullptr;
  decltype(&EVP_CIPHER_fetch) fetch = nullptr;
  decltype(&EVP_CIPHER_free) cipher_free = nullptr;
  decltype(&EVP_CipherInit_ex) init = nullptr;
  decltype(&EVP_CipherUpdate) update = nullptr;
  decltype(&EVP_CipherFinal_ex) final_ex = nullptr;
  decltype(&EVP_CIPHER_CTX_ctrl) ctrl = nullptr;
  std::string error;  // empty when every symbol resolved
};

const Crypto& LoadCrypto() {
  static const Crypto crypto = [] {
    Crypto c;
    SharedLibrary lib("libcrypto.so." P1GW_STR(OPENSSL_SHLIB_VERSION));
    lib.Get("EVP_CIPHER_CTX_new", &c.ctx_new);
    lib.Get("EVP_CIPHER_CTX_free", &c.ctx_free);
    lib.Get("EVP_CIPHER_fetch", &c.fetch);
    lib.Get("EVP_CIPHER_free", &c.cipher_free);
    lib.Get("EVP_CipherInit_ex", &c.init);
    lib.Get("EVP_CipherUpdate", &c.update);
    lib.Get("EVP_CipherFinal_ex", &c.final_ex);
    lib.Get("EVP_CIPHER_CTX_ctrl", &c.ctrl);
    c.error = lib.error();
    return c;
  }();
  return crypto;
}

constexpr uint8_t kGloTag = 0xDB;
constexpr uint8_t kSecurityAuthEnc = 0x30;
constexpr uint8_t kSecurityEnc = 0x20;
constexpr size_t kTitleLength = 8;
constexpr size_t kTagLength = 12;
constexpr size_t kIvLength = 12;

const uint8_t* U8(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// AAD = security byte || authentication key; empty_aad selects the variant
// without any AAD. Returns the number of bytes written to buf (<= 17).
size_t BuildAad(uint8_t security, const AesKey* aad_key, bool empty_aad, uint8_t* buf) {
  if (empty_aad) return 0;
  buf[0] = security;
  const AesKey& ak = aad_key ? *aad_key : kSmartyDefaultAk;
  std::memcpy(buf + 1, ak.data(), ak.size());
  return 1 + ak.size();
}

}  // namespace

GloParse ParseGloHeader(std::string_view bytes, size_t max_size, GloFrameHeader* out) {
  const uint8_t* b = U8(bytes);
  const size_t n = bytes.size();
  if (n < 1) return GloParse::kNeedMore;
  if (b[0] != kGloTag) return GloParse::kInvalid;
  if (n < 2) return GloParse::kNeedMore;
  if (b[1] != kTitleLength) return GloParse::kInvalid;
  const size_t length_at = 2 + kTitleLength;
  if (n <= length_at) return GloParse::kNeedMore;
  size_t length = 0;
  size_t header = 0;  // bytes before the security byte
  const uint8_t form = b[length_at];
  if (form < 0x80) {
    length = form;
    header = length_at + 1;
  } else if (form == 0x81) {
    if (n < length_at + 2) return GloParse::kNeedMore;
    length = b[length_at + 1];
    header = length_at + 2;
  } else if (form == 0x82) {
    if (n < length_at + 3) return GloParse::kNeedMore;
    length = size_t{b[length_at + 1]} << 8 | b[length_at + 2];
    header = length_at + 3;
  } else {
    return GloParse::kInvalid;
  }
  if (n <= header) return GloParse::kNeedMore;
  const uint8_t security = b[header];
  size_t tag = 0;
  if (security == kSecurityAuthEnc) {
    tag = kTagLength;
  } else if (security != kSecurityEnc) {
    return GloParse::kInvalid;
  }
  // Security byte + 4-byte frame counter + at least one ciphertext byte + tag.
  if (length < 5 + 1 + tag) return GloParse::kInvalid;
  const size_t total = header + length;
  if (total > max_size) return GloParse::kInvalid;
  if (n < header + 5) return GloParse::kNeedMore;
  out->system_title = bytes.substr(2, kTitleLength);
  out->security = security;
  out->frame_counter = uint32_t{b[header + 1]} << 24 | uint32_t{b[header + 2]} << 16 |
                       uint32_t{b[header + 3]} << 8 | b[header + 4];
  out->payload_offset = header + 5;
  out->payload_length = length - 5 - tag;
  out->total_length = total;
  return GloParse::kOk;
}

GloCipher::GloCipher() {
  const Crypto& c = LoadCrypto();
  if (!c.error.empty()) return;
  ctx_ = c.ctx_new();
  cipher_ = c.fetch(nullptr, "AES-128-GCM", nullptr);
}

GloCipher::~GloCipher() {
  const Crypto& c = LoadCrypto();
  if (cipher_) c.cipher_free(cipher_);
  if (ctx_) c.ctx_free(ctx_);
}

bool GloCipher::Run(bool encrypt, const AesKey& key, const uint8_t* iv, std::string_view aad,
                    const uint8_t* in, size_t len, uint8_t* out, uint8_t* tag) {
  if (!ctx_ || !cipher_ || len > static_cast<size_t>(INT32_MAX)) return false;
  const Crypto& c = LoadCrypto();
  int outl = 0;
  const int enc = encrypt ? 1 : 0;
  if (c.init(ctx_, cipher_, nullptr, nullptr, nullptr, enc) != 1) return false;
  if (c.ctrl(ctx_, EVP_CTRL_GCM_SET_IVLEN, kIvLength, nullptr) != 1) return false;
  if (c.init(ctx_, nullptr, nullptr, key.data(), iv, enc) != 1) return false;
  if (!aad.empty() && c.update(ctx_, nullptr, &outl, U8(aad), static_cast<int>(aad.size())) != 1) {
    return false;
  }
  if (len > 0 && c.update(ctx_, out, &outl, in, static_cast<int>(len)) != 1) return false;
  if (!tag) return true;  // security 0x20: GCM keystream only, nothing to verify
  if (!encrypt && c.ctrl(ctx_, EVP_CTRL_GCM_SET_TAG, kTagLength, tag) != 1) {
    return false;
  }
  uint8_t final_block[16];
  if (c.final_ex(ctx_, final_block, &outl) != 1) return false;  // tag mismatch
  if (encrypt && c.ctrl(ctx_, EVP_CTRL_GCM_GET_TAG, kTagLength, tag) != 1) {
    return false;
  }
  return true;
}

bool GloCipher::Decrypt(std::string_view frame, const AesKey& key, const AesKey* aad_key,
                        std::string* plaintext, std::string* err) {
  plaintext->clear();
  if (!ctx_ || !cipher_) {
    const std::string& why = LoadCrypto().error;
    *err = "AES-128-GCM unavailable: " + (why.empty() ? std::string("OpenSSL init failed") : why);
    return false;
  }
  GloFrameHeader h;
  const GloParse parsed = ParseGloHeader(frame, frame.size(), &h);
  if (parsed != GloParse::kOk) {
    *err = parsed == GloParse::kNeedMore ? "glo frame truncated" : "not a glo-ciphering frame";
    return false;
  }
  if (h.total_length != frame.size()) {
    *err = "glo frame length mismatch";
    return false;
  }
  uint8_t iv[kIvLength];
  std::memcpy(iv, h.system_title.data(), kTitleLength);
  std::memcpy(iv + kTitleLength, frame.data() + h.payload_offset - 4, 4);
  const uint8_t* ct = U8(frame) + h.payload_offset;
  plaintext->resize(h.payload_length);
  auto* out = reinterpret_cast<uint8_t*>(plaintext->data());
  if (h.security == kSecurityEnc) {
    if (!Run(false, key, iv, {}, ct, h.payload_length, out, nullptr)) {
      plaintext->clear();
      *err = "cipher failure";
      return false;
    }
    return true;
  }
  uint8_t tag[kTagLength];
  std::memcpy(tag, ct + h.payload_length, kTagLength);
  uint8_t aad[1 + sizeof(AesKey)];
  // With no configured AK, a frame authenticated with an empty AAD is accepted
  // too: the key itself is still verified by the tag.
  const int attempts = aad_key ? 1 : 2;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    const size_t aad_len = BuildAad(h.security, aad_key, attempt == 1, aad);
    const std::string_view aad_view(reinterpret_cast<const char*>(aad), aad_len);
    if (Run(false, key, iv, aad_view, ct, h.payload_length, out, tag)) return true;
  }
  plaintext->clear();
  *err = "GCM tag mismatch (wrong key or authentication key)";
  return false;
}

bool GloCipher::Encrypt(std::string_view plaintext, const AesKey& key, const AesKey* aad_key,
                        std::string_view system_title, uint32_t frame_counter, std::string* frame,
                        uint8_t security) {
  frame->clear();
  if (system_title.size() != kTitleLength || plaintext.empty()) return false;
  if (security != kSecurityAuthEnc && security != kSecurityEnc) return false;
  const size_t tag_len = security == kSecurityAuthEnc ? kTagLength : 0;
  const size_t length = 5 + plaintext.size() + tag_len;
  if (length > 0xFFFF) return false;
  const size_t payload_offset = 2 + kTitleLength + 3 + 5;
  frame->resize(payload_offset + plaintext.size() + tag_len);
  auto* f = reinterpret_cast<uint8_t*>(frame->data());
  f[0] = kGloTag;
  f[1] = kTitleLength;
  std::memcpy(f + 2, system_title.data(), kTitleLength);
  f[10] = 0x82;
  f[11] = static_cast<uint8_t>(length >> 8);
  f[12] = static_cast<uint8_t>(length);
  f[13] = security;
  for (int i = 0; i < 4; ++i) f[14 + i] = static_cast<uint8_t>(frame_counter >> (24 - 8 * i));
  uint8_t iv[kIvLength];
  std::memcpy(iv, f + 2, kTitleLength);
  std::memcpy(iv + kTitleLength, f + 14, 4);
  uint8_t aad[1 + sizeof(AesKey)];
  const size_t aad_len = tag_len ? BuildAad(security, aad_key, false, aad) : 0;
  const std::string_view aad_view(reinterpret_cast<const char*>(aad), aad_len);
  uint8_t* tag = tag_len ? f + payload_offset + plaintext.size() : nullptr;
  if (!Run(true, key, iv, aad_view, U8(plaintext), plaintext.size(), f + payload_offset, tag)) {
    frame->clear();
    return false;
  }
  return true;
}

bool DecryptGloFrame(std::string_view frame, const AesKey& key, const AesKey* aad_key,
                     std::string* plaintext, std::string* err) {
  GloCipher cipher;
  return cipher.Decrypt(frame, key, aad_key, plaintext, err);
}

bool EncryptGloFrame(std::string_view plaintext, const AesKey& key, const AesKey* aad_key,
                     std::string_view system_title, uint32_t frame_counter, std::string* frame,
                     uint8_t security) {
  GloCipher cipher;
  return cipher.Encrypt(plaintext, key, aad_key, system_title, frame_counter, frame, security);
}

}  // namespace p1
