#include "gateway/core/rfxtrx.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "gateway/core/framer.h"
#include "tests/support/corpus_files.h"

namespace p1 {
namespace {

// `data` as an RFXtrx sends it: P1 packets of random sizes (1..252 data
// bytes), with the RFXtrx's other packets (a 433 MHz reception, a status
// reply, a packet too short to have a header) in between.
std::string WrapStream(const std::string& data, std::mt19937* rng, size_t* others) {
  std::uniform_int_distribution<size_t> size(1, 252);
  std::uniform_int_distribution<int> coin(0, 3);
  const std::vector<std::string> foreign = {
      RfxtrxWrap("\x01\x02\x03\x04\x05\x06\x07", 7, 0x52, 0x01),   // temperature/humidity sensor
      RfxtrxWrap(std::string(10, '/'), 1, 0x01, 0x00),             // status reply full of '/'
      RfxtrxWrap("!ABCD\r\n", 2, 0x62, 0x02),                       // type 0x62, another subtype
      std::string("\x01\x62", 2),                                   // length 1: no header
      std::string("\x00", 1),                                       // length 0
  };
  std::string out;
  uint8_t seq = 0;
  for (size_t at = 0; at < data.size();) {
    if (coin(*rng) == 0) {
      out += foreign[(*others)++ % foreign.size()];
      continue;
    }
    const size_t n = std::min(size(*rng), data.size() - at);
    out += RfxtrxWrap(std::string_view(data).substr(at, n), seq++);
    at += n;
  }
  return out;
}

TEST_CASE("RFXtrx P1 packets unwrap into the meter's stream, other packets skipped and counted",
          "[rfxtrx]") {
  const std::string telegram =
      testing::ReadCorpusFile("dsmr_parser__dsmr50__iskra-am550-two-mbus.txt");
  const std::string stream = telegram + "junk between\r\n" + telegram;
  std::mt19937 rng(5);
  size_t others = 0;
  const std::string wrapped = WrapStream(stream, &rng, &others);
  REQUIRE(others > 5);

  RfxtrxUnwrapper whole;
  std::string out;
  whole.Feed(wrapped, &out);
  CHECK(out == stream);
  CHECK(whole.stats().other_packets == others);
  CHECK(whole.stats().p1_packets > 5);

  SECTION("split at every position, the same stream") {
    for (size_t cut = 0; cut <= wrapped.size(); ++cut) {
      RfxtrxUnwrapper u;
      std::string o;
      u.Feed(std::string_view(wrapped).substr(0, cut), &o);
      u.Feed(std::string_view(wrapped).substr(cut), &o);
      REQUIRE(o == stream);
      REQUIRE(u.stats().other_packets == others);
    }
  }
  SECTION("fed a byte at a time, the same stream, framed into both telegrams") {
    RfxtrxUnwrapper u;
    std::string o;
    for (char c : wrapped) u.Feed(std::string_view(&c, 1), &o);
    REQUIRE(o == stream);
    Framer framer(FramerOptions{});
    std::vector<std::string> valid;
    framer.Feed(o, [&](const Frame& f) {
      if (f.status == FrameStatus::kTelegram && f.crc == CrcStatus::kValid) {
        valid.emplace_back(f.plaintext);
      }
    });
    CHECK(valid == std::vector<std::string>{telegram, telegram});
  }
}

TEST_CASE("after Reset the next byte is a packet length again", "[rfxtrx]") {
  RfxtrxUnwrapper u;
  std::string out;
  const std::string packet = RfxtrxWrap("/ISK5", 0);
  u.Feed(packet.substr(0, 3), &out);  // a connection lost mid-packet
  u.Reset();
  u.Feed(RfxtrxWrap("/ISK5\\2M550T", 1), &out);
  CHECK(out == "/ISK5\\2M550T");
  CHECK(u.stats().p1_packets == 1);
  CHECK(u.stats().other_packets == 0);
}

TEST_CASE("a plain (unwrapped) P1 stream fed to the unwrapper passes nothing on",
          "[rfxtrx]") {
  // A meter configured as RFXtrx-wrapped that is not: '/' (0x2F) reads as a
  // 47-byte packet of type 'I' — skipped, counted, never passed on as P1.
  const std::string telegram =
      testing::ReadCorpusFile("dsmr_parser__dsmr50__iskra-am550-two-mbus.txt");
  RfxtrxUnwrapper u;
  std::string out;
  for (int i = 0; i < 5; ++i) u.Feed(telegram, &out);
  CHECK(out.empty());  // no packet of type 'b' (0x62) and subtype 0x01 in printable text
  CHECK(u.stats().p1_packets == 0);
  CHECK(u.stats().other_packets > 0);
}

}  // namespace
}  // namespace p1
