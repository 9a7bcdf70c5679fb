#include "proxy/recent_peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

namespace p1 {
namespace {

PeerAddress V4(const char* text) {
  sockaddr_storage s{};
  auto* in = reinterpret_cast<sockaddr_in*>(&s);
  in->sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, text, &in->sin_addr) == 1);
  return PeerAddress::From(s);
}

PeerAddress V6(const char* text) {
  sockaddr_storage s{};
  auto* in = reinterpret_cast<sockaddr_in6*>(&s);
  in->sin6_family = AF_INET6;
  REQUIRE(inet_pton(AF_INET6, text, &in->sin6_addr) == 1);
  return PeerAddress::From(s);
}

TEST_CASE("recent peers keep the highest telegram each address was sent") {
  RecentPeers peers;
  CHECK(peers.LastSeq(V4("10.0.0.1")) == 0);
  peers.Record(V4("10.0.0.1"), 5);
  peers.Record(V4("10.0.0.1"), 3);
  CHECK(peers.LastSeq(V4("10.0.0.1")) == 5);
  CHECK(peers.LastSeq(V4("10.0.0.2")) == 0);
  // A v4 client on a dual-stack listener is the same address.
  CHECK(peers.LastSeq(V6("::ffff:10.0.0.1")) == 5);
  CHECK(peers.LastSeq(V6("::1")) == 0);
}

TEST_CASE("recent peers are bounded and forget the oldest address first") {
  RecentPeers peers(4);
  for (int i = 1; i <= 4; ++i) peers.Record(V4(("10.0.0." + std::to_string(i)).c_str()), 10);
  peers.Record(V4("10.0.0.1"), 11);  // an update does not grow the memory
  CHECK(peers.size() == 4);
  peers.Record(V4("10.0.0.5"), 12);
  CHECK(peers.size() == 4);
  CHECK(peers.LastSeq(V4("10.0.0.1")) == 0);
  CHECK(peers.LastSeq(V4("10.0.0.2")) == 10);
  CHECK(peers.LastSeq(V4("10.0.0.5")) == 12);
  for (int i = 6; i <= 100; ++i) peers.Record(V4(("10.0.1." + std::to_string(i)).c_str()), 13);
  CHECK(peers.size() == 4);
  CHECK(peers.LastSeq(V4("10.0.1.100")) == 13);
  CHECK(peers.LastSeq(V4("10.0.1.96")) == 0);
}

}  // namespace
}  // namespace p1
