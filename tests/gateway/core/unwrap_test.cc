// StreamUnwrapper: one interface over "none", "rfxtrx" and "mbus" for the
// Meter and `parse`.
#include "gateway/core/unwrap.h"

#include <catch2/catch.hpp>
#include <string>

namespace p1 {
namespace {

TEST_CASE("without wrapping the bytes pass through as the same view", "[unwrap]") {
  StreamUnwrapper u(Wrapping::kNone);
  CHECK_FALSE(u.active());
  const std::string in = "/ISK5\\2M550T-1012\r\n";
  const std::string_view out = u.Feed(in);
  CHECK(out.data() == in.data());
  CHECK(out.size() == in.size());
  CHECK(u.foreign_packets() == 0);
}

TEST_CASE("rfxtrx: P1 data out, other packets counted", "[unwrap]") {
  StreamUnwrapper u(Wrapping::kRfxtrx);
  CHECK(u.active());
  const std::string stream = RfxtrxWrap("/AB", 0) + RfxtrxWrap("xyz", 1, 0x52, 0x01) +
                             RfxtrxWrap("C!", 2);
  CHECK(u.Feed(stream.substr(0, 5)).empty());  // a packet is passed on once whole
  CHECK(u.Feed(stream.substr(5)) == "/ABC!");
  CHECK(u.foreign_packets() == 1);
}

TEST_CASE("mbus: the APDU out; other, damaged and incomplete frames counted; Reset drops a part",
          "[unwrap]") {
  StreamUnwrapper u(Wrapping::kMbus);
  const std::string apdu(600, 'a');  // three segments
  const std::string wire = MbusWrap(apdu);
  REQUIRE(wire.size() > apdu.size());
  std::string other = "\x68\x03\x03\x68\x08\x01\x72";
  other += static_cast<char>(0x08 + 0x01 + 0x72);
  other += '\x16';
  std::string damaged = MbusWrap("bb");
  damaged[damaged.size() - 2] ^= 0x01;  // checksum
  CHECK(u.Feed(other + damaged).empty());
  CHECK(std::string(u.Feed(wire)) == apdu);
  CHECK(u.foreign_packets() == 2);
  // Half an APDU, then the source reconnects: the next APDU comes out whole.
  CHECK(u.Feed(wire.substr(0, 300)).empty());
  u.Reset();
  CHECK(std::string(u.Feed(wire)) == apdu);
}

}  // namespace
}  // namespace p1
