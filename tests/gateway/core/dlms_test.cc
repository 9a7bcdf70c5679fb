#include "gateway/core/dlms.h"

#include <catch2/catch.hpp>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <string>

#include "gateway/base/hex.h"
#include "gateway/core/cosem.h"
#include "gateway/core/crc16.h"
#include "gateway/core/framer.h"
#include "gateway/core/mbus.h"
#include "gateway/core/parser.h"
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
          "[dlms][mbus]") {
  const std::string wire = testing::ReadCorpusFile(std::string(kAustria) + ".bin");
  MbusUnwrapper unwrapper;
  std::string payload;
  unwrapper.Feed(wire, &payload);
  CHECK(unwrapper.stats().frames == 2);
  CHECK(unwrapper.stats().apdus == 1);
  // Two frames: L=0xFA and L=0x14, each losing C, A, CI, STSAP, DTSAP.
  CHECK(payload.size() == (0xFA - 5) + (0x14 - 5));
  GloFrameHeader h;
  REQUIRE(ParseGloHeader(payload, payload.size(), &h) == GloParse::kOk);
  CHECK(h.security == 0x20);
  CHECK(h.frame_counter == 0x23);
  CHECK(h.system_title == std::string_view("KFMgP\0\0\t", 8));
  CHECK(h.total_length == payload.size());

  const CorpusKeys keys = ReadKeys(std::string(kAustria) + ".key.txt");
  std::string plain, err;
  REQUIRE(DecryptGloFrame(payload, keys.key, nullptr, &plain, &err));
  CHECK(plain == HexLineToBytes(testing::ReadCorpusFile(std::string(kAustria) + ".expected.txt")));
  CHECK(static_cast<uint8_t>(plain[0]) == kDlmsDataNotification);
}

TEST_CASE("M-Bus unwrapping passes nothing of damaged or incomplete APDUs", "[dlms][mbus]") {
  const std::string wire = testing::ReadCorpusFile(std::string(kAustria) + ".bin");
  const auto unwrap = [](std::string_view bytes, MbusStats* stats) {
    MbusUnwrapper u;
    std::string out;
    u.Feed(bytes, &out);
    *stats = u.stats();
    return out;
  };
  MbusStats st;
  std::string bad = wire;
  bad[20] ^= 1;  // the first frame's checksum no longer matches
  CHECK(unwrap(bad, &st).empty());
  CHECK(st.bad_frames == 1);
  CHECK(st.frames == 1);  // the second frame, alone: its APDU's start is missing
  bad = wire;
  bad[255] = 0x17;  // stop byte of the first frame
  CHECK(unwrap(bad, &st).empty());
  CHECK(st.bad_frames == 1);
  CHECK(unwrap(wire.substr(0, 256), &st).empty());  // last segment missing
  CHECK(st.frames == 1);
  CHECK(unwrap(wire.substr(0, 200), &st).empty());
  CHECK(unwrap(wire.substr(256), &st).empty());  // first segment missing
  CHECK(st.frames == 1);
  CHECK(st.apdus == 0);
  CHECK(unwrap("hello world", &st).empty());
  CHECK(st.skipped_bytes == 11);
  // The first segment twice: the first copy lost its end, the second one completes.
  std::string twice = wire.substr(0, 256) + wire;
  CHECK(unwrap(twice, &st).size() == (0xFA - 5) + (0x14 - 5));
  CHECK(st.lost_apdus == 1);
  CHECK(st.apdus == 1);
}

TEST_CASE("M-Bus unwrapping gives the same APDUs for every chunking, through noise",
          "[dlms][mbus]") {
  const std::string wire = testing::ReadCorpusFile(std::string(kAustria) + ".bin");
  // An ACK, a short frame, a false start, a non-DLMS long frame (CI 0x72)
  // and junk between three copies of the meter's push.
  const std::string foreign = "\x68\x05\x05\x68\x08\x01\x72\x00\x00\x7B\x16"s;
  const std::string noise = "\xE5\x10\x5B\xFE\x59\x16\x68\x68\x68\x01\x68"s + foreign + "junk";
  const std::string stream = noise + wire + noise + wire + "\x68\xFA\xFA\x68" + wire;
  MbusUnwrapper whole;
  std::string expected;
  whole.Feed(stream, &expected);
  REQUIRE(whole.stats().apdus == 3);
  CHECK(whole.stats().foreign_frames == 2);
  CHECK(whole.stats().lost_apdus == 0);
  const std::string one = expected.substr(0, expected.size() / 3);
  CHECK(expected == one + one + one);

  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    MbusUnwrapper u;
    std::string out;
    u.Feed(std::string_view(stream).substr(0, cut), &out);
    u.Feed(std::string_view(stream).substr(cut), &out);
    REQUIRE(out == expected);
    REQUIRE(u.stats().skipped_bytes == whole.stats().skipped_bytes);
    REQUIRE(u.stats().bad_frames == whole.stats().bad_frames);
  }
  MbusUnwrapper bytewise;
  std::string out;
  for (char c : stream) bytewise.Feed(std::string_view(&c, 1), &out);
  CHECK(out == expected);
}

TEST_CASE("MbusWrap segments an APDU that the unwrapper reassembles", "[dlms][mbus]") {
  for (size_t size : {size_t{1}, size_t{100}, size_t{245}, size_t{246}, size_t{490}, size_t{3920}}) {
    std::string apdu(size, 0);
    for (size_t i = 0; i < size; ++i) apdu[i] = static_cast<char>(i * 7 + 3);
    const std::string wire = MbusWrap(apdu);
    REQUIRE_FALSE(wire.empty());
    MbusUnwrapper u(4096);
    std::string out;
    u.Feed(wire, &out);
    CHECK(out == apdu);
    CHECK(u.stats().frames == (size + 244) / 245);
  }
  CHECK(MbusWrap(std::string(3921, 'x')).empty());  // 17 segments
  MbusUnwrapper small(1000);  // an APDU over the bound is dropped, not grown
  std::string out;
  small.Feed(MbusWrap(std::string(1200, 'x')), &out);
  CHECK(out.empty());
  CHECK(small.stats().lost_apdus == 1);
  small.Feed(MbusWrap("ok"), &out);
  CHECK(out == "ok");
}

TEST_CASE("an Austrian DLMS data-notification becomes DSMR text with its values",
          "[dlms][cosem]") {
  const std::string apdu =
      HexLineToBytes(testing::ReadCorpusFile(std::string(kAustria) + ".expected.txt"));
  std::string text, err;
  REQUIRE(DlmsNotificationToDsmr(apdu, "KFMgP\0\0\t"s, &text, &err));
  const std::string body =
      "/KFM5\\DLMS\r\n\r\n"
      "0-0:1.0.0(210927094715S)\r\n"
      "0-0:96.1.0(181220000009)\r\n"
      "1-0:1.8.0(12937*Wh)\r\n"
      "1-0:2.8.0(0*Wh)\r\n"
      "1-0:1.7.0(0*W)\r\n"
      "1-0:2.7.0(0*W)\r\n"
      "1-0:32.7.0(233.7*V)\r\n"
      "1-0:52.7.0(0.0*V)\r\n"
      "1-0:72.7.0(0.0*V)\r\n"
      "1-0:31.7.0(0.00*A)\r\n"
      "1-0:51.7.0(0.00*A)\r\n"
      "1-0:71.7.0(0.00*A)\r\n"
      "1-0:13.7.0(1.000)\r\n"
      "!";
  REQUIRE(text.substr(0, body.size()) == body);
  char crc[8];
  std::snprintf(crc, sizeof crc, "%04X\r\n", Crc16(body));
  CHECK(text.substr(body.size()) == crc);

  Reading r;
  REQUIRE(ParseTelegram(text, &r));
  REQUIRE(r.Find(Obis{1, 0, 1, 8, 0}));
  CHECK(r.Find(Obis{1, 0, 1, 8, 0})->number == 12937);
  CHECK(r.Find(Obis{1, 0, 1, 8, 0})->unit == "Wh");
  CHECK(r.Find(Obis{1, 0, 32, 7, 0})->number == Approx(233.7));
  REQUIRE(r.Find(Obis{0, 0, 1, 0, 0}));
  // 09:47:15 CEST on 27 Sep 2021 = 07:47:15 UTC.
  CHECK(r.Find(Obis{0, 0, 1, 0, 0})->timestamp.unix_seconds == 1632728835);

  // Every truncation fails with an error, never partial text.
  for (size_t n = 0; n < apdu.size(); ++n) {
    std::string t, e;
    REQUIRE_FALSE(DlmsNotificationToDsmr(apdu.substr(0, n), "KFM", &t, &e));
    REQUIRE(t.empty());
    REQUIRE_FALSE(e.empty());
  }
  std::string t, e;
  CHECK_FALSE(DlmsNotificationToDsmr("/ISk5 not DLMS", "", &t, &e));
  CHECK(e == "not a DLMS data-notification");
  // Without a system title the manufacturer is unknown.
  REQUIRE(DlmsNotificationToDsmr(apdu, "", &t, &e));
  CHECK(t.rfind("/XXX5\\DLMS\r\n", 0) == 0);
}

TEST_CASE("the framer turns an Austrian M-Bus push into a telegram; a wrong key is an error",
          "[dlms][mbus][framer]") {
  const std::string wire = testing::ReadCorpusFile(std::string(kAustria) + ".bin");
  const CorpusKeys keys = ReadKeys(std::string(kAustria) + ".key.txt");
  MbusUnwrapper u;
  std::string apdus;
  u.Feed(wire + wire, &apdus);
  for (bool right : {true, false}) {
    FramerOptions options;
    options.key = keys.key;
    if (!right) (*options.key)[0] ^= 1;
    Framer framer(options);
    std::vector<std::string> texts;
    std::vector<FrameStatus> statuses;
    framer.Feed(apdus, [&](const Frame& f) {
      statuses.push_back(f.status);
      texts.emplace_back(f.plaintext);
      if (f.status == FrameStatus::kTelegram) {
        CHECK(f.encrypted);
        CHECK(f.crc == CrcStatus::kValid);
      }
    });
    REQUIRE(statuses.size() == 2);
    if (right) {
      CHECK(statuses[0] == FrameStatus::kTelegram);
      CHECK(texts[0].rfind("/KFM5\\DLMS", 0) == 0);
      CHECK(texts[0] == texts[1]);
    } else {
      CHECK(statuses[0] == FrameStatus::kDecryptError);
      CHECK(framer.stats().decrypt_errors == 2);
    }
  }
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
