// Loop tests of the whole App: SIGHUP reload keeps unchanged meters and
// their clients, SIGTERM shuts everything down with every handle closed.
#include "gateway/app/app.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "exporters/remote_write/remote_writer.h"
#include "proxy/hub.h"
#include "tests/exporters/remote_write/fake_receiver.h"
#include "tests/support/loop_helpers.h"
#include "tests/support/tcp_client.h"

namespace p1 {
namespace {

using testing::Client;
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

std::string MeterToml(const std::string& name, const std::string& variant, double rate, int port) {
  return "[[meters]]\nname = \"" + name + "\"\nsimulate = \"" + variant +
         "\"\nrate = " + std::to_string(rate) +
         "\n  [[meters.listeners]]\n  listen = \"127.0.0.1:" + std::to_string(port) + "\"\n";
}

// A listening socket on a free loopback port, standing for someone else
// holding it; *port is its number. The caller closes it.
int HoldPort(int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(fd, 1) == 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

// Runs the loop until `client` has received `n` telegrams in all (5 s at most).
bool WaitTelegrams(uv_loop_t* loop, Client* client, size_t n) {
  return RunUntil(
      loop,
      [&] {
        client->Drain();
        return client->Telegrams() >= n;
      },
      5000);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

TEST_CASE("SIGHUP restarts a changed meter and leaves unchanged meters and listeners alone",
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
    REQUIRE(RunUntil(
        &loop,
        [&] {
          client_a.Drain();
          client_b.Drain();
          return client_a.Telegrams() >= 2 && client_b.Telegrams() >= 2;
        },
        5000));
    const Meter* a_before = app.meter("a");
    uint64_t a_count_before = a_before->counters().telegrams;

    WriteFile(path,
              metrics + MeterToml("a", "dsmr5", 20, port_a) + MeterToml("b", "be", 10, port_b));
    uv_kill(getpid(), SIGHUP);
    // (A new Meter may reuse the old one's address: compare content.)
    REQUIRE(RunUntil(
        &loop, [&] { return app.meter("b")->config().simulate_rate_hz == 10; }, 5000));
    CHECK(app.meter("b")->counters().telegrams < 3);  // a fresh meter
    CHECK(app.meter("a") == a_before);

    // The unchanged meter's client keeps its session and its telegrams, and
    // so does the client of the changed meter's unchanged listener.
    size_t a_seen = client_a.Telegrams();
    size_t b_seen = client_b.Telegrams();
    REQUIRE(RunUntil(
        &loop,
        [&] {
          client_a.Drain();
          client_b.Drain();
          return client_a.Telegrams() >= a_seen + 3 && client_b.Telegrams() >= b_seen + 2;
        },
        5000));
    CHECK_FALSE(client_a.eof());
    CHECK_FALSE(client_b.eof());
    CHECK(app.meter("a")->counters().telegrams > a_count_before);
    // New clients are served too.
    Client client_b2(port_b);
    REQUIRE(client_b2.connected());
    REQUIRE(RunUntil(
        &loop,
        [&] {
          client_b2.Drain();
          return client_b2.Telegrams() >= 1;
        },
        5000));

    // A meter removed from the file stops, and its series leave /metrics.
    CHECK(app.RenderMetrics().find("meter=\"b\"") != std::string::npos);
    WriteFile(path, metrics + MeterToml("a", "dsmr5", 20, port_a));
    uv_kill(getpid(), SIGHUP);
    REQUIRE(RunUntil(
        &loop, [&] { return app.meter("b") == nullptr; }, 5000));
    CHECK(app.RenderMetrics().find("meter=\"b\"") == std::string::npos);
    CHECK(app.RenderMetrics().find("meter=\"a\"") != std::string::npos);
    CHECK(app.meter("a") == a_before);

    // A broken file on reload keeps the running config.
    WriteFile(path, "[[meters]]\nname = \"broken\"\n");
    uv_kill(getpid(), SIGHUP);
    REQUIRE(RunUntil(
        &loop, [&] { return app.reload_failures() == 1; }, 5000));
    CHECK(app.meter("a") == a_before);
    CHECK(app.meter("broken") == nullptr);
    app.Shutdown();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  CHECK(testing::DrainAndClose(&loop) == 0);
  unlink(path.c_str());
}

// Sends this process SIGTERM from a one-shot timer on `loop` after `ms`.
void SigtermAfter(uv_loop_t* loop, uint64_t ms) {
  auto* timer = new uv_timer_t;
  uv_timer_init(loop, timer);
  uv_timer_start(
      timer,
      [](uv_timer_t* t) {
        uv_kill(getpid(), SIGTERM);
        uv_close(reinterpret_cast<uv_handle_t*>(t),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
      },
      ms, 0);
}

TEST_CASE("SIGTERM closes every handle and uv_run returns", "[app][loop]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port_a = FreePort(), port_m = FreePort();
  std::string text = "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(port_m) +
                     "\"\n[[meters]]\nname = \"a\"\nsimulate = \"lu\"\nrate = 20.0\n"
                     "key = \"D491470F47126332B07D1923B3504188\"\n  [[meters.listeners]]\n  listen "
                     "= \"127.0.0.1:" +
                     std::to_string(port_a) + "\"\n";
  GatewayConfig config;
  std::string err;
  REQUIRE(ParseConfig(text, "sigterm.toml", &config, &err));
  {
    App app(&loop, "", config);
    REQUIRE(app.Start(&err));
    Client client(port_a);
    REQUIRE(RunUntil(
        &loop,
        [&] {
          client.Drain();
          return client.Telegrams() >= 2;
        },
        5000));
    // Encrypted on the wire, plaintext for clients.
    CHECK(client.got().rfind("/", 0) == 0);
    CHECK(app.meter("a")->counters().decrypt_errors == 0);
    std::string m = app.RenderMetrics();
    CHECK(m.find("dsmr_meter_up{meter=\"a\"} 1") != std::string::npos);

    SigtermAfter(&loop, 50);
    // Returns only when every handle of the App is closed.
    uv_run(&loop, UV_RUN_DEFAULT);
    client.Drain();
    CHECK(client.eof());
  }
  CHECK(uv_loop_close(&loop) == 0);
}

}  // namespace
}  // namespace p1

namespace p1 {
namespace {

TEST_CASE("after line noise a slow client still gets the valid telegram", "[app][loop]") {
  // Issue 8, defect 3b: bogus "telegrams" from noise filled a slow client's
  // queue, so the real one that followed was dropped for it.
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    ListenerConfig l;
    l.listen = SocketAddress{"127.0.0.1", 0};
    l.queue_bytes = 4096;
    l.replay_last = false;
    Hub hub(&loop, "m", {l}, SerialSettings{});
    std::string err;
    REQUIRE(hub.Start(&err));
    MeterConfig c;
    c.name = "m";
    c.source = SourceKind::kSerial;
    c.serial = "/nonexistent";
    struct Quiet : MeterObserver {
      void OnMeterChanged(Meter*) override {}
    } observer;
    Meter meter(&loop, c, &observer);
    meter.AddSink(&hub);
    Client client(hub.BoundPorts()[0]);
    REQUIRE(client.connected());
    REQUIRE(RunUntil(
        &loop, [&] { return hub.Stats()[0].clients == 1; }, 3000));
    // The client does not read while 256 KiB of noise arrive, then one telegram.
    std::string noise(256 * 1024, '\0');
    uint32_t s = 3;
    for (char& ch : noise) {
      s = s * 1664525u + 1013904223u;
      ch = static_cast<char>(s >> 24);
    }
    for (size_t pos = 0; pos < noise.size(); pos += 1000) {
      meter.OnSourceData(std::string_view(noise).substr(pos, 1000));
    }
    std::ifstream in(std::string(P1GW_TEST_DATA) +
                     "/dsmr-tools__dsmr50__onrealdsmr5-parse-real-telegram.txt");
    const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(!good.empty());
    meter.OnSourceData(good);
    REQUIRE(RunUntil(
        &loop,
        [&] {
          client.Drain();
          return client.got().find(good) != std::string::npos;
        },
        5000));
    // Nothing but the real telegram was sent.
    CHECK(client.got() == good);
  }
  CHECK(testing::DrainAndClose(&loop) == 0);
}

}  // namespace
}  // namespace p1

namespace p1 {
namespace {

std::string TwoListenerMeter(const std::string& name, int port1, const std::string& second) {
  return MeterToml(name, "dsmr5", 20, port1) + "  [[meters.listeners]]\n" + second;
}

TEST_CASE("a reload whose new port is taken changes nothing; the old meter keeps serving",
          "[app][loop]") {
  // Issue 8, defect 5: the changed meter was stopped before its new port
  // failed to bind, and stayed down.
  uv_loop_t loop;
  uv_loop_init(&loop);
  // Someone else holds this port (taken first: a port FreePort() returned
  // is free again and bind(0) may hand it out once more).
  int taken = 0;
  const int blocker = HoldPort(&taken);
  int port_a = FreePort(), port_b = FreePort(), port_m = FreePort();
  std::string path = testing::TempPath("reload-taken.toml");
  std::string metrics = "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(port_m) + "\"\n";
  const std::string before =
      metrics + MeterToml("a", "dsmr5", 20, port_a) + MeterToml("b", "be", 20, port_b);
  WriteFile(path, before);
  {
    GatewayConfig config;
    std::string err;
    REQUIRE(LoadConfigFile(path, &config, &err));
    App app(&loop, path, config);
    REQUIRE(app.Start(&err));
    Client client_a(port_a);
    REQUIRE(WaitTelegrams(&loop, &client_a, 1));
    const Meter* a_before = app.meter("a");
    const Meter* b_before = app.meter("b");
    // a moves to a taken port and changes rate; b changes rate too.
    WriteFile(path,
              metrics + MeterToml("a", "dsmr5", 10, taken) + MeterToml("b", "be", 10, port_b));
    CHECK_FALSE(app.Reload(&err));
    CHECK(err.find(std::to_string(taken)) != std::string::npos);
    CHECK(app.reload_failures() == 1);
    // Nothing changed: same meters, a's client still served, a's port still open.
    CHECK(app.meter("a") == a_before);
    CHECK(app.meter("b") == b_before);
    CHECK(app.meter("b")->config().simulate_rate_hz == 20);
    size_t seen = client_a.Telegrams();
    Client client_a2(port_a);
    REQUIRE(RunUntil(
        &loop,
        [&] {
          client_a.Drain();
          client_a2.Drain();
          return client_a.Telegrams() >= seen + 2 && client_a2.Telegrams() >= 1;
        },
        5000));
    CHECK_FALSE(client_a.eof());
    // Once the port is free the same file applies fully.
    close(blocker);
    REQUIRE(app.Reload(&err));
    CHECK(app.meter("a")->config().simulate_rate_hz == 10);
    Client client_new(taken);
    REQUIRE(RunUntil(
        &loop,
        [&] {
          client_new.Drain();
          client_a.Drain();
          return client_new.Telegrams() >= 1 && client_a.eof();
        },
        5000));
    app.Shutdown();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  CHECK(testing::DrainAndClose(&loop) == 0);
  unlink(path.c_str());
}

TEST_CASE("a gateway started without meters gains one on reload and loses it again",
          "[app][loop]") {
  // The packaged default config has no meter: the user adds one and runs
  // `systemctl reload p1gateway`.
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port_a = FreePort(), port_m = FreePort();
  std::string path = testing::TempPath("reload-from-empty.toml");
  std::string http = "[http]\nlisten = \"127.0.0.1:" + std::to_string(port_m) + "\"\n";
  WriteFile(path, http);
  {
    GatewayConfig config;
    std::string err;
    REQUIRE(LoadConfigFile(path, &config, &err));
    App app(&loop, path, config);
    REQUIRE(app.Start(&err));
    CHECK(app.meter("a") == nullptr);
    WriteFile(path, http + MeterToml("a", "dsmr5", 20, port_a));
    REQUIRE(app.Reload(&err));
    REQUIRE(app.meter("a") != nullptr);
    Client client(port_a);
    REQUIRE(RunUntil(
        &loop,
        [&] {
          client.Drain();
          return client.Telegrams() >= 1;
        },
        5000));
    WriteFile(path, http);
    REQUIRE(app.Reload(&err));
    CHECK(app.meter("a") == nullptr);
    REQUIRE(RunUntil(
        &loop,
        [&] {
          client.Drain();
          return client.eof();
        },
        5000));
    app.Shutdown();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  CHECK(testing::DrainAndClose(&loop) == 0);
  unlink(path.c_str());
}

TEST_CASE("meters_dir: a reload that changes one meter's file restarts only that meter",
          "[app][loop]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port_a = FreePort(), port_b = FreePort(), port_m = FreePort();
  const std::string dir = testing::TempPath("meters.d");
  REQUIRE(mkdir(dir.c_str(), 0755) == 0);
  const std::string path = testing::TempPath("fleet.toml");
  WriteFile(path, "[gateway]\nmeters_dir = \"" + dir + "\"\n[http]\nlisten = \"127.0.0.1:" +
                      std::to_string(port_m) + "\"\n");
  WriteFile(dir + "/a.toml", MeterToml("a", "dsmr5", 20, port_a));
  WriteFile(dir + "/b.toml", MeterToml("b", "be", 20, port_b));
  {
    GatewayConfig config;
    std::string err;
    REQUIRE(LoadConfigFile(path, &config, &err));
    App app(&loop, path, config);
    REQUIRE(app.Start(&err));
    Client client_a(port_a);
    REQUIRE(WaitTelegrams(&loop, &client_a, 1));
    const Meter* a_before = app.meter("a");
    const Meter* b_before = app.meter("b");
    WriteFile(dir + "/b.toml", MeterToml("b", "be", 10, port_b));
    REQUIRE(app.Reload(&err));
    CHECK(app.meter("a") == a_before);
    CHECK(app.meter("b") != b_before);
    CHECK(app.meter("b")->config().simulate_rate_hz == 10);
    REQUIRE(WaitTelegrams(&loop, &client_a, client_a.Telegrams() + 2));
    CHECK_FALSE(client_a.eof());  // a's client never noticed
    app.Shutdown();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  CHECK(testing::DrainAndClose(&loop) == 0);
  unlink((dir + "/a.toml").c_str());
  unlink((dir + "/b.toml").c_str());
  rmdir(dir.c_str());
  unlink(path.c_str());
}

TEST_CASE("remote write: on_telegram pushes without waiting for the interval; a reload that "
          "changes one target restarts only it, a bad one changes nothing", "[app][loop]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    testing::FakeReceiver rx(&loop);
    const std::string path = testing::TempPath("remote-write.toml");
    auto toml = [&](const std::string& b_extra) {
      return "[http]\nlisten = \"\"\n"
             "[[remote_write]]\nurl = \"" + rx.url() + "\"\nname = \"a\"\ninterval = \"100ms\"\n"
             "[[remote_write]]\nurl = \"" + rx.url() + "\"\nname = \"b\"\ninterval = \"1h\"\n"
             "on_telegram = true\nqueue_samples = 1000\nmax_samples_per_send = 100\n" + b_extra +
             "[[meters]]\nname = \"m\"\nsimulate = \"dsmr5\"\nrate = 20\n";
    };
    WriteFile(path, toml(""));
    GatewayConfig config;
    std::string err;
    REQUIRE(LoadConfigFile(path, &config, &err));
    App app(&loop, path, config);
    REQUIRE(app.Start(&err));
    const RemoteWriter* a = app.remote_writer("a");
    const RemoteWriter* b = app.remote_writer("b");
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    // b's interval is an hour away: only full requests of telegram samples go.
    REQUIRE(RunUntil(&loop, [&] { return b->metrics().sent >= 200 && a->metrics().sent > 0; }, 10000));
    CHECK(b->metrics().sent % 100 == 0);

    WriteFile(path, toml("external_labels = { household = \"12b\" }\n"));
    REQUIRE(app.Reload(&err));
    CHECK(app.remote_writer("a") == a);  // unchanged: same queue, same connection
    CHECK(app.remote_writer("b") != b);
    b = app.remote_writer("b");
    CHECK(b->config().external_labels.at("household") == "12b");
    const uint64_t a_sent = a->metrics().sent;
    REQUIRE(RunUntil(&loop, [&] { return b->metrics().sent >= 100 && a->metrics().sent > a_sent; },
                     10000));

    WriteFile(path, toml("url = \"ftp://nowhere\"\n"));
    CHECK_FALSE(app.Reload(&err));
    CHECK(app.remote_writer("a") == a);
    CHECK(app.remote_writer("b") == b);
    WriteFile(path, "[http]\nlisten = \"\"\n[[meters]]\nname = \"m\"\nsimulate = \"dsmr5\"\n");
    REQUIRE(app.Reload(&err));
    CHECK(app.remote_writer("a") == nullptr);
    CHECK(app.remote_writer("b") == nullptr);
    app.Shutdown();
    rx.Close();
    uv_run(&loop, UV_RUN_DEFAULT);
    unlink(path.c_str());
  }
  CHECK(testing::DrainAndClose(&loop) == 0);
}

TEST_CASE("changing one listener keeps the clients of the meter's other listeners", "[app][loop]") {
  // Issue 8, defect 5: any listener change restarted the whole meter.
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port_1 = FreePort(), port_2 = FreePort(), port_3 = FreePort(), port_m = FreePort();
  std::string path = testing::TempPath("reload-listener.toml");
  std::string metrics = "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(port_m) + "\"\n";
  auto listen = [](int port, const std::string& extra) {
    return "  listen = \"127.0.0.1:" + std::to_string(port) + "\"\n" + extra;
  };
  WriteFile(path, metrics + TwoListenerMeter("a", port_1, listen(port_2, "")));
  {
    GatewayConfig config;
    std::string err;
    REQUIRE(LoadConfigFile(path, &config, &err));
    App app(&loop, path, config);
    REQUIRE(app.Start(&err));
    Client c1(port_1), c2(port_2);
    REQUIRE(RunUntil(
        &loop,
        [&] {
          c1.Drain();
          c2.Drain();
          return c1.Telegrams() >= 1 && c2.Telegrams() >= 1;
        },
        5000));
    const Meter* meter = app.meter("a");
    // The second listener turns telnet; a third one appears.
    WriteFile(path, metrics +
                        TwoListenerMeter("a", port_1, listen(port_2, "  protocol = \"telnet\"\n")) +
                        "  [[meters.listeners]]\n" + listen(port_3, ""));
    REQUIRE(app.Reload(&err));
    CHECK(app.meter("a") == meter);  // the source was not restarted
    Client c2b(port_2), c3(port_3);
    const size_t seen = c1.Telegrams();
    REQUIRE(RunUntil(
        &loop,
        [&] {
          c1.Drain();
          c2.Drain();
          c2b.Drain();
          c3.Drain();
          return c1.Telegrams() >= seen + 3 && c2.eof() && c2b.Telegrams() >= 1 &&
                 c3.Telegrams() >= 1;
        },
        5000));
    CHECK_FALSE(c1.eof());
    // The telnet listener greets with negotiation (IAC).
    CHECK(c2b.got().find('\xFF') != std::string::npos);
    app.Shutdown();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  CHECK(testing::DrainAndClose(&loop) == 0);
  unlink(path.c_str());
}

}  // namespace
}  // namespace p1

namespace p1 {
namespace {

// One GET on a fresh connection to 127.0.0.1:port while the loop runs;
// the whole answer, or "" when the connection is refused or nothing came.
std::string HttpGet(uv_loop_t* loop, int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return "";
  }
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  (void)!send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string in;
  bool closed = false;
  RunUntil(
      loop,
      [&] {
        char buf[4096];
        ssize_t n;
        while ((n = recv(fd, buf, sizeof buf, 0)) > 0) in.append(buf, static_cast<size_t>(n));
        closed = n == 0 || (n < 0 && errno != EAGAIN);
        return closed;
      },
      5000);
  close(fd);
  return in;
}

TEST_CASE(
    "a reload adds, keeps, refuses and removes a meter's HomeWizard port without restarting it",
    "[app][loop]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int taken = 0;
  const int blocker = HoldPort(&taken);  // first, as above
  const int port_a = FreePort(), port_m = FreePort(), hw = FreePort();
  const std::string path = testing::TempPath("reload-hw.toml");
  const std::string head = "[http]\nlisten = \"127.0.0.1:" + std::to_string(port_m) + "\"\n";
  const std::string meter = MeterToml("a", "dsmr5", 20, port_a);
  auto with_hw = [&](int port) {
    // homewizard belongs to the meter table, before its listeners.
    std::string m = meter;
    m.insert(m.find("  [[meters.listeners]]"),
             "homewizard = \"127.0.0.1:" + std::to_string(port) + "\"\n");
    return head + m;
  };
  WriteFile(path, head + meter);
  {
    GatewayConfig config;
    std::string err;
    REQUIRE(LoadConfigFile(path, &config, &err));
    App app(&loop, path, config);
    REQUIRE(app.Start(&err));
    const Meter* a = app.meter("a");
    CHECK(HttpGet(&loop, hw, "/api").empty());

    WriteFile(path, with_hw(hw));
    REQUIRE(app.Reload(&err));
    CHECK(app.meter("a") == a);  // a HomeWizard port is not a reason to restart the meter
    CHECK(HttpGet(&loop, hw, "/api").find("\"product_type\":\"HWE-P1\"") != std::string::npos);
    REQUIRE(RunUntil(
        &loop, [&] { return app.meter("a")->latest() != nullptr; }, 5000));
    CHECK(HttpGet(&loop, hw, "/api/v1/data").find("\"total_power_import_t1_kwh\":") !=
          std::string::npos);

    REQUIRE(app.Reload(&err));  // unchanged: the port stays
    CHECK(HttpGet(&loop, hw, "/api").find("HWE-P1") != std::string::npos);

    WriteFile(path, with_hw(taken));
    CHECK_FALSE(app.Reload(&err));
    CHECK(err.find("homewizard 127.0.0.1:" + std::to_string(taken)) != std::string::npos);
    CHECK(HttpGet(&loop, hw, "/api").find("HWE-P1") != std::string::npos);

    WriteFile(path, head + meter);
    REQUIRE(app.Reload(&err));
    CHECK(app.meter("a") == a);
    CHECK(HttpGet(&loop, hw, "/api").empty());
    app.Shutdown();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  close(blocker);
  CHECK(testing::DrainAndClose(&loop) == 0);
  unlink(path.c_str());
}

}  // namespace
}  // namespace p1

namespace p1 {
namespace {

TEST_CASE("[mdns] enabled without a system bus: the meter serves, SIGTERM closes every handle",
          "[app][loop][mdns]") {
  setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/p1gw-app-test-bus", 1);
  uv_loop_t loop;
  uv_loop_init(&loop);
  const int port = FreePort();
  GatewayConfig config;
  std::string err;
  REQUIRE(ParseConfig(
      "[metrics]\nlisten = \"\"\n[mdns]\nenabled = true\n" + MeterToml("a", "dsmr5", 20.0, port),
      "mdns.toml", &config, &err));
  {
    App app(&loop, "", config);
    REQUIRE(app.Start(&err));
    Client client(port);
    auto telegram = [&] {
      client.Drain();
      return client.Telegrams() >= 1;
    };
    REQUIRE(RunUntil(&loop, telegram, 5000));
    SigtermAfter(&loop, 300);       // the publisher is retrying its bus meanwhile (0.1 s, 0.2 s)
    uv_run(&loop, UV_RUN_DEFAULT);  // returns only once the publisher's timer is closed too
  }
  CHECK(uv_loop_close(&loop) == 0);
  unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

}  // namespace
}  // namespace p1
