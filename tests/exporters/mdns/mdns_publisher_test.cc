// MdnsPublisher without a system bus: it keeps the set, retries with
// backoff on the loop, never blocks, and closes every handle when
// destroyed. (With a bus and avahi-daemon: tests/e2e/mdns_e2e.py.)
#include "exporters/mdns/mdns_publisher.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "tests/support/loop_helpers.h"

namespace p1 {
namespace {

TEST_CASE("without a system bus the publisher retries with backoff and closes cleanly", "[mdns]") {
  setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/p1gw-test-bus", 1);
  testing::LoopFixture f;  // aborts if a handle stays open
  {
    MdnsPublisher pub(f.loop(), MdnsPublisher::Options{});
    pub.SetServices({{"_http._tcp", "p1gateway on test", 9464, {"path=/"}}});
    const auto t0 = std::chrono::steady_clock::now();
    pub.Start();
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(500));  // no wait
    CHECK(pub.stats().connect_attempts == 1);
    // Backoff 0.1 s, 0.2 s: the third attempt comes about 0.3 s later.
    REQUIRE(testing::RunUntil(
        f.loop(), [&] { return pub.stats().connect_attempts >= 3; }, 5000));
    const MdnsPublisher::Stats s = pub.stats();
    CHECK_FALSE(s.daemon_running);
    CHECK(s.services == 1);
    CHECK(s.established == 0);
    CHECK(pub.names() == std::vector<std::string>{"p1gateway on test"});
    pub.SetServices({});
    CHECK(pub.stats().services == 0);
  }
  unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

}  // namespace
}  // namespace p1
