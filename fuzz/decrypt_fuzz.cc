// libFuzzer target: glo-ciphering header parsing, decryption, M-Bus
// unwrapping and the encrypt->decrypt round trip never crash, and decryption
// never reports success with a different plaintext.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gateway/core/dlms.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  // Keys of the corpus seeds, so real frames get past the tag check.
  static const p1::AesKey kKeys[] = {
      *p1::ParseAesKey("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
      *p1::ParseAesKey("0123456789ABCDEF0123456789ABCDEF"),
      *p1::ParseAesKey("D491470F47126332B07D1923B3504188"),
      *p1::ParseAesKey("36C66639E48A8CA4D6BC8B282A793BBB"),
  };
  static const p1::AesKey kNodeAk = *p1::ParseAesKey("FFEEDDCCBBAA99887766554433221100");
  static p1::GloCipher cipher;
  std::string plain, err, frame, again;

  p1::GloFrameHeader header;
  const p1::GloParse parsed = p1::ParseGloHeader(data, 16 * 1024, &header);
  if (parsed == p1::GloParse::kOk) {
    if (header.payload_offset + header.payload_length > header.total_length) std::abort();
  }
  for (const p1::AesKey& key : kKeys) {
    for (const p1::AesKey* ak : {static_cast<const p1::AesKey*>(nullptr), &kNodeAk}) {
      if (cipher.Decrypt(data, key, ak, &plain, &err)) {
        if (parsed != p1::GloParse::kOk || plain.size() != header.payload_length) std::abort();
      } else if (!plain.empty() || err.empty()) {
        std::abort();
      }
    }
  }

  // Round trip: the input as plaintext under both security modes.
  if (!data.empty() && data.size() < 60000) {
    const uint8_t security = (bytes[0] & 1) ? 0x30 : 0x20;
    if (!cipher.Encrypt(data, kKeys[0], nullptr, "SYSTITLE", static_cast<uint32_t>(size), &frame,
                        security))
      std::abort();
    if (!cipher.Decrypt(frame, kKeys[0], nullptr, &again, &err) || again != data) std::abort();
  }
  return 0;
}
