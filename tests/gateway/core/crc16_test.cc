#include "gateway/core/crc16.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "tests/support/corpus_files.h"

namespace p1 {
namespace {

// Bit-at-a-time CRC-16/ARC straight from the definition (reflected 0xA001).
uint16_t ReferenceCrc16(std::string_view data) {
  uint16_t crc = 0;
  for (unsigned char c : data) {
    crc ^= c;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
  }
  return crc;
}

TEST_CASE("crc16 check value of \"123456789\" is 0xBB3D", "[crc16]") {
  CHECK(Crc16("123456789") == 0xBB3D);
  CHECK(Crc16("") == 0);
}

TEST_CASE("crc16 equals the bitwise reference at every length and alignment", "[crc16]") {
  std::mt19937 rng(1234);
  std::string pool(4096 + 64, '\0');
  for (char& c : pool) c = static_cast<char>(rng());
  for (int round = 0; round < 2000; ++round) {
    const size_t offset = rng() % 64;
    const size_t len = round < 100 ? round : rng() % 4096;
    const std::string_view data(pool.data() + offset, len);
    const uint16_t want = ReferenceCrc16(data);
    REQUIRE(Crc16(data) == want);
    REQUIRE(Crc16UpdateTables(0, data) == want);
    REQUIRE(Crc16UpdateClmul(0, data) == want);
  }
}

// Both implementations continue from any running value: a CRC of a prefix
// taken by one and the rest by the other gives the whole message's CRC.
TEST_CASE("crc16 tables and carry-less folding agree when mixed", "[crc16]") {
  WARN("carry-less multiply path " << (Crc16HasClmul() ? "in use" : "not available on this CPU"));
  std::mt19937 rng(7);
  std::string data(3000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  const uint16_t whole = ReferenceCrc16(data);
  for (size_t cut = 0; cut <= data.size(); cut += 1 + rng() % 97) {
    const std::string_view a = std::string_view(data).substr(0, cut);
    const std::string_view b = std::string_view(data).substr(cut);
    REQUIRE(Crc16UpdateClmul(Crc16UpdateTables(0, a), b) == whole);
    REQUIRE(Crc16UpdateTables(Crc16UpdateClmul(0, a), b) == whole);
  }
  // Lengths around the fold sizes (16, 64 and their multiples).
  for (size_t len : {63, 64, 65, 79, 80, 81, 127, 128, 129, 143, 144, 1023, 1024}) {
    const std::string_view d = std::string_view(data).substr(3, len);
    REQUIRE(Crc16UpdateClmul(0xBEEF, d) == Crc16UpdateTables(0xBEEF, d));
  }
}

TEST_CASE("crc16 can be continued across arbitrary splits", "[crc16]") {
  std::mt19937 rng(99);
  std::string data(1500, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  const uint16_t whole = Crc16(data);
  for (int round = 0; round < 200; ++round) {
    uint16_t crc = 0;
    size_t pos = 0;
    while (pos < data.size()) {
      const size_t n = std::min<size_t>(data.size() - pos, 1 + rng() % 40);
      crc = Crc16Update(crc, std::string_view(data).substr(pos, n));
      pos += n;
    }
    REQUIRE(crc == whole);
  }
}

TEST_CASE("crc16 verifies corpus telegrams with valid CRCs", "[crc16]") {
  // Telegrams INDEX.md lists as "valid", with the CRC they carry.
  const std::pair<const char*, uint16_t> cases[] = {
      {"arduino-dsmr__dsmr40__kaifa-example.txt", 0x6F4A},
      {"dsmr_parser__dsmr50__warmtelink-heat-unpadded-crc.txt", 0x0B9F},
      {"dsmr_parser__hu-eon__sagemcom-eon-hungary.txt", 0x99DA},
      {"openhab-dsmr__dsmr50__iskra-am550.txt", 0xD82C},
      {"dsmr-tools__dsmr50__ttyusb0-raw-first-complete.txt", 0xD4BA},
  };
  for (const auto& [name, expected] : cases) {
    INFO(name);
    const std::string text = testing::ReadCorpusFile(name);
    const size_t bang = text.rfind('!');
    REQUIRE(bang != std::string::npos);
    CHECK(Crc16(std::string_view(text).substr(0, bang + 1)) == expected);
    CHECK(ReferenceCrc16(std::string_view(text).substr(0, bang + 1)) == expected);
  }
}

}  // namespace
}  // namespace p1
