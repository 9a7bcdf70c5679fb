// Loop tests of the whole App: SIGHUP reload keeps unchanged meters and
// their clients, SIGTERM shuts everything down with every handle closed.
#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <fstream>

#include "gateway/app.h"
#include "proxy/hub.h"
#include "tests/support/loop_helpers.h"

namespace p1 {
namespace {

using testing::RunUntil;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// A non-blocking loopback client whose bytes are collected while the test
// drives the loop.
class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    fcntl(fd_, F_SETFL, O_NONBLOCK);
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }
  // Reads what is there; false once the server closed the connection.
  bool Poll() {
    char buf[8192];
    for (;;) {
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n > 0) {
        data.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) closed = true;
      return !closed;
    }
  }
  size_t Telegrams() const {
    size_t count = 0;
    for (size_t i = 0; (i = data.find("\r\n!", i)) != std::string::npos; ++i) ++count;
    return count;
  }
  std::string data;
  bool closed = false;

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::string MeterToml(const std::string& name, const std::string& variant, double rate, int port) {
  return "[[meters]]\nname = \"" + name + "\"\nsimulate = \"" + variant + "\"\nrate = " +
         std::to_string(rate) + "\n  [[meters.listeners]]\n  listen = \"127.0.0.1:" +
         std::to_string(port) + "\"\n";
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

TEST_CASE("SIGHUP restarts a changed meter and leaves an unchanged one and its clients alone",
          "[app][loop]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port_a = FreePort(), port_b = FreePort(), port_m = FreePort();
  std::string path = testing::TempPath("reload.toml");
  std::string metrics = "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(port_m) + "\"\n";
  WriteFile(path, metrics + MeterToml("a", "dsmr5", 20, port_a) + MeterToml("b", "be", 20, port_b));
  {
    GatewayConfig config;
    std::string err;
    REQUIRE(LoadConfigFile(path, &config, &err));
    App app(&loop, path, config);
    REQUIRE(app.Start(&err));
    Client client_a(port_a), client_b(port_b);
    REQUIRE(client_a.connected());
    REQUIRE(client_b.connected());
    REQUIRE(RunUntil(&loop, [&] {
      client_a.Poll();
      client_b.Poll();
      return client_a.Telegrams() >= 2 && client_b.Telegrams() >= 2;
    }, 5000));
    const Meter* a_before = app.meter("a");
    uint64_t a_count_before = a_before->counters().telegrams;

    WriteFile(path, metrics + MeterToml("a", "dsmr5", 20, port_a) + MeterToml("b", "be", 10, port_b));
    uv_kill(getpid(), SIGHUP);
    // (A new Meter may reuse the old one's address: compare content.)
    REQUIRE(RunUntil(&loop, [&] { return app.meter("b")->config().simulate_rate_hz == 10; }, 5000));
    CHECK(app.meter("b")->counters().telegrams < 3);  // a fresh meter
    CHECK(app.meter("a") == a_before);

    // The unchanged meter's client keeps its session and its telegrams.
    size_t a_seen = client_a.Telegrams();
    REQUIRE(RunUntil(&loop, [&] {
      client_a.Poll();
      client_b.Poll();
      return client_a.Telegrams() >= a_seen + 3 && client_b.closed;
    }, 5000));
    CHECK_FALSE(client_a.closed);
    CHECK(app.meter("a")->counters().telegrams > a_count_before);
    // The restarted meter listens again on its port.
    Client client_b2(port_b);
    REQUIRE(client_b2.connected());
    REQUIRE(RunUntil(&loop, [&] {
      client_b2.Poll();
      return client_b2.Telegrams() >= 1;
    }, 5000));

    // A meter removed from the file stops, and its series leave /metrics.
    CHECK(app.RenderMetrics().find("meter=\"b\"") != std::string::npos);
    WriteFile(path, metrics + MeterToml("a", "dsmr5", 20, port_a));
    uv_kill(getpid(), SIGHUP);
    REQUIRE(RunUntil(&loop, [&] { return app.meter("b") == nullptr; }, 5000));
    CHECK(app.RenderMetrics().find("meter=\"b\"") == std::string::npos);
    CHECK(app.RenderMetrics().find("meter=\"a\"") != std::string::npos);
    CHECK(app.meter("a") == a_before);

    // A broken file on reload keeps the running config.
    WriteFile(path, "[[meters]]\nname = \"broken\"\n");
    uv_kill(getpid(), SIGHUP);
    RunUntil(&loop, [] { return false; }, 300);
    CHECK(app.meter("a") == a_before);
    CHECK(app.meter("broken") == nullptr);
    app.Shutdown();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  CHECK(testing::DrainAndClose(&loop) == 0);
  unlink(path.c_str());
}

TEST_CASE("SIGTERM closes every handle and uv_run returns", "[app][loop]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port_a = FreePort(), port_m = FreePort();
  std::string text = "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(port_m) +
         "\"\n[[meters]]\nname = \"a\"\nsimulate = \"lu\"\nrate = 20.0\n"
         "key = \"D491470F47126332B07D1923B3504188\"\n  [[meters.listeners]]\n  listen = \"127.0.0.1:" +
         std::to_string(port_a) + "\"\n";
  GatewayConfig config;
  std::string err;
  REQUIRE(ParseConfig(text, "sigterm.toml", &config, &err));
  {
    App app(&loop, "", config);
    REQUIRE(app.Start(&err));
    Client client(port_a);
    REQUIRE(RunUntil(&loop, [&] {
      client.Poll();
      return client.Telegrams() >= 2;
    }, 5000));
    // Encrypted on the wire, plaintext for clients.
    CHECK(client.data.rfind("/", 0) == 0);
    CHECK(app.meter("a")->counters().decrypt_errors == 0);
    std::string m = app.RenderMetrics();
    CHECK(m.find("dsmr_meter_up{meter=\"a\"} 1") != std::string::npos);

    uv_timer_t kill_timer;
    uv_timer_init(&loop, &kill_timer);
    uv_timer_start(&kill_timer, [](uv_timer_t* t) {
      uv_kill(getpid(), SIGTERM);
      uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
    }, 50, 0);
    // Returns only when every handle of the App is closed.
    uv_run(&loop, UV_RUN_DEFAULT);
    client.Poll();
    CHECK(client.closed);
  }
  CHECK(uv_loop_close(&loop) == 0);
}

}  // namespace
}  // namespace p1
