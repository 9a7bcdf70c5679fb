#include "gateway/core/dlms.h"

#include <catch2/catch.hpp>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <string>

#include "gateway/base/hex.h"
#include "tests/support/corpus_files.h"

namespace p1 {
namespace {

using namespace std::string_literals;

struct CorpusKeys {
  AesKey key{};
  std::optional<AesKey> aad_key;  // none: the frame uses the default / no AK
};

// The .key.txt files are free text: "encryption_key ... = HEX" and
// "authentication_key ... = HEX" (or ": none"); the first 32-hex-digit token
// on each line is the key.
CorpusKeys ReadKeys(const std::string& key_file) {
  std::istringstream in(testing::ReadCorpusFile(key_file));
  const std::regex hex32("\\b[0-9A-Fa-f]{32}\\b");
  CorpusKeys keys;
  bool have_key = false;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, hex32)) continue;
    if (line.rfind("encryption_key", 0) == 0) {
      keys.key = *ParseAesKey(m.str());
      have_key = true;
    } else if (line.rfind("authentication_key", 0) == 0) {
      keys.aad_key = ParseAesKey(m.str());
    }
  }
  REQUIRE(have_key);
  return keys;
}

// The hex on the first line of an .expected.txt file, as bytes.
std::string HexLineToBytes(std::string_view text) {
  std::string out;
  CHECK(HexToBytes(text.substr(0, text.find_first_of("\r\n")), &out));
  return out;
}

const char* const kGcmSamples[] = {
    "esphome-dsmr_parser__at__encrypted-packet-t210",
    "node-dsmr-parser__lu-smarty__spec-example-encrypted-with-aad",
    "node-dsmr-parser__lu-smarty__spec-example-encrypted-without-aad",
    "openhab-dsmr__lu-smarty__smarty-decrypter-test",
};
const char kAustria[] = "node-dsmr-parser__at-mbus-dlms__austria-example-1";

TEST_CASE("ParseAesKey accepts 32 hex digits of either case only", "[dlms]") {
  const auto key = ParseAesKey("00112233445566778899aabbccDDEEFF");
  REQUIRE(key);
  CHECK(*key == kSmartyDefaultAk);
  CHECK_FALSE(ParseAesKey("00112233445566778899AABBCCDDEEF"));
  CHECK_FALSE(ParseAesKey("00112233445566778899AABBCCDDEEFF0"));
  CHECK_FALSE(ParseAesKey("00112233445566778899AABBCCDDEEFG"));
  CHECK_FALSE(ParseAesKey(""));
}

TEST_CASE("every GCM corpus frame decrypts byte-exactly to its expected plaintext", "[dlms]") {
  for (const char* base : kGcmSamples) {
    INFO(base);
    const std::string name(base);
    const std::string frame = testing::ReadCorpusFile(name + ".bin");
    const std::string expected = testing::ReadCorpusFile(name + ".expected.txt");
    REQUIRE_FALSE(frame.empty());
    REQUIRE_FALSE(expected.empty());
    const CorpusKeys keys = ReadKeys(name + ".key.txt");
    std::string plain, err;
    REQUIRE(
        DecryptGloFrame(frame, keys.key, keys.aad_key ? &*keys.aad_key : nullptr, &plain, &err));
    CHECK(err.empty());
    CHECK(plain == expected);

    GloFrameHeader h;
    REQUIRE(ParseGloHeader(frame, frame.size(), &h) == GloParse::kOk);
    CHECK(h.security == 0x30);
    CHECK(h.total_length == frame.size());
    CHECK(h.payload_length == expected.size());
  }
}

TEST_CASE("without an AK the Smarty default AK and then an empty AAD are used", "[dlms]") {
  std::string plain, err;
  // esphome and openHAB frames are authenticated with the default AK.
  for (const char* base : {kGcmSamples[0], kGcmSamples[3], kGcmSamples[2]}) {
    INFO(base);
    const std::string name(base);
    const CorpusKeys keys = ReadKeys(name + ".key.txt");
    REQUIRE(
        DecryptGloFrame(testing::ReadCorpusFile(name + ".bin"), keys.key, nullptr, &plain, &err));
    CHECK(plain == testing::ReadCorpusFile(name + ".expected.txt"));
  }
  // node's with-AAD frame needs its own AK: the default must not verify.
  const std::string name = kGcmSamples[1];
  const CorpusKeys keys = ReadKeys(name + ".key.txt");
  CHECK_FALSE(
      DecryptGloFrame(testing::ReadCorpusFile(name + ".bin"), keys.key, nullptr, &plain, &err));
  CHECK(plain.empty());
  CHECK_FALSE(err.empty());
}

TEST_CASE("Austrian M-Bus frames unwrap and decrypt (security 0x20) to the expected APDU",
          "[dlms]") {
  const std::string name = kAustria;
  const std::string wire = testing::ReadCorpusFile(name + ".bin");
  std::string payload, err;
  REQUIRE(UnwrapMbusLongFrames(wire, &payload, &err));
  // Two frames: L=0xFA and L=0x14, each losing C, A, CI, STSAP, DTSAP.
  CHECK(payload.size() == (0xFA - 5) + (0x14 - 5));
  GloFrameHeader h;
  REQUIRE(ParseGloHeader(payload, payload.size(), &h) == GloParse::kOk);
  CHECK(h.security == 0x20);
  CHECK(h.frame_counter == 0x23);
  CHECK(h.system_title == std::string_view("KFMgP\0\0\t", 8));
  CHECK(h.total_length == payload.size());

  const CorpusKeys keys = ReadKeys(name + ".key.txt");
  std::string plain;
  REQUIRE(DecryptGloFrame(payload, keys.key, nullptr, &plain, &err));
  CHECK(plain == HexLineToBytes(testing::ReadCorpusFile(name + ".expected.txt")));
  CHECK(static_cast<uint8_t>(plain[0]) == 0x0F);  // DLMS data-notification
}

TEST_CASE("M-Bus unwrapping rejects damaged frames", "[dlms]") {
  const std::string wire = testing::ReadCorpusFile(std::string(kAustria) + ".bin");
  std::string payload, err;
  std::string bad = wire;
  bad[20] ^= 1;  // checksum no longer matches
  CHECK_FALSE(UnwrapMbusLongFrames(bad, &payload, &err));
  CHECK_FALSE(err.empty());
  CHECK_FALSE(UnwrapMbusLongFrames(wire.substr(0, 256), &payload, &err));  // last segment missing
  CHECK_FALSE(UnwrapMbusLongFrames(wire.substr(0, 200), &payload, &err));
  CHECK_FALSE(UnwrapMbusLongFrames("hello world", &payload, &err));
  bad = wire;
  bad[255] = 0x17;  // stop byte of the first frame
  CHECK_FALSE(UnwrapMbusLongFrames(bad, &payload, &err));
}

TEST_CASE("wrong key, wrong AK, truncation and bit flips fail with an error", "[dlms]") {
  const std::string name = kGcmSamples[1];
  const std::string frame = testing::ReadCorpusFile(name + ".bin");
  const CorpusKeys keys = ReadKeys(name + ".key.txt");
  const AesKey* ak = &*keys.aad_key;
  std::string plain, err;

  AesKey wrong = keys.key;
  wrong[5] ^= 0x40;
  CHECK_FALSE(DecryptGloFrame(frame, wrong, ak, &plain, &err));
  CHECK(plain.empty());
  CHECK_THAT(err, Catch::Contains("tag"));

  AesKey wrong_ak = *ak;
  wrong_ak[0] ^= 1;
  err.clear();
  CHECK_FALSE(DecryptGloFrame(frame, keys.key, &wrong_ak, &plain, &err));
  CHECK_FALSE(err.empty());

  for (size_t cut : {size_t{0}, size_t{1}, size_t{12}, size_t{18}, frame.size() - 1}) {
    INFO("truncated to " << cut);
    err.clear();
    CHECK_FALSE(
        DecryptGloFrame(std::string_view(frame).substr(0, cut), keys.key, ak, &plain, &err));
    CHECK(plain.empty());
    CHECK_FALSE(err.empty());
  }
  CHECK_FALSE(DecryptGloFrame(frame + "x", keys.key, ak, &plain, &err));

  // Title (IV), frame counter (IV), ciphertext and tag are all authenticated.
  for (size_t pos : {size_t{3}, size_t{15}, size_t{18}, size_t{700}, frame.size() - 1}) {
    INFO("flipped byte " << pos);
    std::string bad = frame;
    bad[pos] ^= 0x01;
    err.clear();
    CHECK_FALSE(DecryptGloFrame(bad, keys.key, ak, &plain, &err));
    CHECK(plain.empty());
    CHECK_FALSE(err.empty());
  }
}

TEST_CASE("encrypt then decrypt round-trips for both security modes", "[dlms]") {
  std::mt19937 rng(7);
  AesKey key, ak;
  for (auto& b : key) b = static_cast<uint8_t>(rng());
  for (auto& b : ak) b = static_cast<uint8_t>(rng());
  for (size_t len : {size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{100}, size_t{4000}}) {
    std::string text(len, '\0');
    for (char& c : text) c = static_cast<char>(rng());
    for (uint8_t security : {uint8_t{0x30}, uint8_t{0x20}}) {
      for (const AesKey* aad : std::initializer_list<const AesKey*>{nullptr, &ak}) {
        INFO("len " << len << " security " << int{security} << " ak " << (aad != nullptr));
        std::string frame, plain, err;
        REQUIRE(EncryptGloFrame(text, key, aad, "SYSTITLE", 0x01020304, &frame, security));
        GloFrameHeader h;
        REQUIRE(ParseGloHeader(frame, frame.size(), &h) == GloParse::kOk);
        CHECK(h.frame_counter == 0x01020304);
        CHECK(h.system_title == "SYSTITLE");
        CHECK(h.payload_length == len);
        CHECK(frame.substr(h.payload_offset, len) != text);
        REQUIRE(DecryptGloFrame(frame, key, aad, &plain, &err));
        CHECK(plain == text);
      }
    }
  }
  std::string frame;
  CHECK_FALSE(EncryptGloFrame("x", key, nullptr, "SHORT", 1, &frame));
  CHECK_FALSE(EncryptGloFrame("x", key, nullptr, "SYSTITLE", 1, &frame, 0x10));
}

TEST_CASE("glo header accepts 0x81 and short length forms", "[dlms]") {
  const std::string title = "ABCDEFGH";
  // Short form: length 0x20 = SC + FC + 15 ciphertext + 12 tag.
  std::string shortform = "\xDB\x08"s + title + "\x20"s + "\x30"s + "\x00\x00\x00\x07"s;
  shortform.append(0x20 - 5, 'c');
  GloFrameHeader h;
  REQUIRE(ParseGloHeader(shortform, 4096, &h) == GloParse::kOk);
  CHECK(h.payload_offset == 16);
  CHECK(h.payload_length == 15);
  CHECK(h.total_length == 11 + 0x20);
  CHECK(h.frame_counter == 7);

  std::string one_byte = "\xDB\x08"s + title + "\x81\xF8"s + "\x20"s + "\x00\x00\x00\x23"s;
  REQUIRE(ParseGloHeader(one_byte, 4096, &h) == GloParse::kOk);
  CHECK(h.payload_offset == 17);
  CHECK(h.payload_length == 0xF8 - 5);
  CHECK(h.total_length == 12 + 0xF8);

  // Every proper prefix of a valid header asks for more.
  for (size_t n = 0; n < 17; ++n) {
    INFO(n);
    CHECK(ParseGloHeader(std::string_view(one_byte).substr(0, n), 4096, &h) == GloParse::kNeedMore);
  }
}

TEST_CASE("glo header rejects what cannot be a frame", "[dlms]") {
  const std::string title = "ABCDEFGH";
  auto header = [&](std::string title_len, std::string len, std::string sc) {
    return "\xDB" + title_len + title + len + sc + std::string("\0\0\0\1", 4);
  };
  GloFrameHeader h;
  CHECK(ParseGloHeader("\xDA", 100, &h) == GloParse::kInvalid);
  CHECK(ParseGloHeader(header("\x07"s, "\x82\x01\x00"s, "\x30"s), 1000, &h) == GloParse::kInvalid);
  CHECK(ParseGloHeader(header("\x08"s, "\x83\x00\x01\x00"s, "\x30"s), 1000, &h) ==
        GloParse::kInvalid);
  CHECK(ParseGloHeader(header("\x08"s, "\x82\x01\x00"s, "\x10"s), 1000, &h) == GloParse::kInvalid);
  CHECK(ParseGloHeader(header("\x08"s, "\x82\x01\x00"s, "\x30"s), 100, &h) == GloParse::kInvalid);
  CHECK(ParseGloHeader(header("\x08"s, "\x82\x01\x00"s, "\x30"s), 1000, &h) == GloParse::kOk);
  // Too short to hold SC, FC, one byte and the tag.
  CHECK(ParseGloHeader(header("\x08"s, "\x11"s, "\x30"s), 1000, &h) == GloParse::kInvalid);
  CHECK(ParseGloHeader(header("\x08"s, "\x12"s, "\x30"s), 1000, &h) == GloParse::kOk);
}

}  // namespace
}  // namespace p1
