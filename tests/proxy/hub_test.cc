// Loop tests of the fan-out proxy on 127.0.0.1 / ::1 with ephemeral ports.
#include "proxy/hub.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/core/telegram.h"
#include "tests/proxy/batch_mode.h"
#include "tests/support/corpus_files.h"
#include "tests/support/loop_helpers.h"
#include "tests/support/tcp_client.h"

namespace p1 {
namespace {

using testing::Client;
using testing::LoopFixture;

TelegramPtr MakeTelegram(const std::string& text) {
  auto t = std::make_shared<Telegram>();
  t->raw = text;
  t->plaintext = text;
  t->crc = CrcStatus::kValid;
  return t;
}

ListenerConfig MakeListener(ListenerProtocol protocol = ListenerProtocol::kRaw,
                            Payload payload = Payload::kTelegrams, std::string host = "127.0.0.1") {
  ListenerConfig c;
  c.listen.host = std::move(host);
  c.listen.port = 0;
  c.protocol = protocol;
  c.payload = payload;
  c.max_clients = 200;
  c.replay_last = false;
  return c;
}

std::vector<std::unique_ptr<Client>> ConnectMany(int n, uint16_t port,
                                                 const char* host = "127.0.0.1") {
  std::vector<std::unique_ptr<Client>> out;
  for (int i = 0; i < n; ++i) out.push_back(std::make_unique<Client>(port, host));
  return out;
}

void DrainAll(std::vector<std::unique_ptr<Client>>& clients) {
  for (auto& c : clients) c->Drain();
}

// Until every raw client has `size` bytes and every telnet client as many
// after removing telnet commands.
bool PumpUntilAllHave(LoopFixture& f, std::vector<std::unique_ptr<Client>>& raw,
                      std::vector<std::unique_ptr<Client>>& telnet, size_t size) {
  return f.PumpUntil(
      [&] {
        for (auto& c : raw)
          if (c->got().size() < size) return false;
        for (auto& c : telnet)
          if (testing::StripTelnet(c->got()).size() < size) return false;
        return true;
      },
      5000,
      [&] {
        DrainAll(raw);
        DrainAll(telnet);
      });
}

// A hub on the send path P1GW_IO_URING names, with its batch (destroyed
// after it). Declared after the fixture, so it is gone before the fixture
// checks that the loop closes cleanly.
struct TestHub {
  std::unique_ptr<SendBatch> batch;
  std::unique_ptr<Hub> hub;
  Hub* operator->() const { return hub.get(); }
};

TestHub StartHub(LoopFixture& f, std::vector<ListenerConfig> listeners) {
  TestHub t;
  t.batch = testing::BatchForTests(f.loop());
  t.hub = std::make_unique<Hub>(f.loop(), "test", std::move(listeners), SerialSettings{},
                                t.batch.get());
  std::string err;
  REQUIRE(t.hub->Start(&err));
  return t;
}

TEST_CASE("50 raw and 10 telnet clients receive all 100 telegrams byte-identical") {
  LoopFixture f;
  auto hub =
      StartHub(f, {MakeListener(ListenerProtocol::kRaw), MakeListener(ListenerProtocol::kTelnet)});
  const auto ports = hub->BoundPorts();
  auto raw = ConnectMany(50, ports[0]);
  auto telnet = ConnectMany(10, ports[1]);
  REQUIRE(
      f.PumpUntil([&] { return hub->Stats()[0].clients == 50 && hub->Stats()[1].clients == 10; }));

  const auto corpus = testing::CorpusTelegrams();
  REQUIRE(corpus.size() >= 20);
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    const std::string& text = corpus[static_cast<size_t>(i) % corpus.size()];
    hub->OnTelegram(MakeTelegram(text));
    expected += text;
    REQUIRE(PumpUntilAllHave(f, raw, telnet, expected.size()));
  }
  for (auto& c : raw) CHECK(c->got() == expected);
  for (auto& c : telnet) {
    CHECK(c->got()[0] == '\xff');  // negotiation comes first
    CHECK(testing::StripTelnet(c->got()) == expected);
  }
  // A send reported late (io_uring late) is counted when its completion is
  // reaped, which may come after the client already read the bytes.
  f.PumpUntil([&] { return hub->Stats()[0].bytes_sent >= 50 * expected.size(); });
  const auto stats = hub->Stats();
  CHECK(stats[0].dropped_telegrams == 0);
  CHECK(stats[0].bytes_sent == 50 * expected.size());
  CHECK(stats[0].protocol == "raw");
  CHECK(stats[1].protocol == "telnet");
}

TEST_CASE("bytes mode passes encrypted frames with 0xFF intact to raw and telnet clients") {
  LoopFixture f;
  auto hub = StartHub(f, {MakeListener(ListenerProtocol::kRaw, Payload::kBytes),
                          MakeListener(ListenerProtocol::kTelnet, Payload::kBytes),
                          MakeListener(ListenerProtocol::kRaw, Payload::kTelegrams)});
  const auto ports = hub->BoundPorts();
  auto raw = ConnectMany(5, ports[0]);
  auto telnet = ConnectMany(5, ports[1]);
  Client telegram_client(ports[2]);
  REQUIRE(f.PumpUntil([&] {
    return hub->Stats()[0].clients == 5 && hub->Stats()[1].clients == 5 &&
           hub->Stats()[2].clients == 1;
  }));
  const auto frames = testing::CorpusBinaryFrames();
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    const std::string& frame = frames[static_cast<size_t>(i) % frames.size()];
    hub->OnBytes(std::make_shared<const std::string>(frame));
    expected += frame;
    REQUIRE(PumpUntilAllHave(f, raw, telnet, expected.size()));
  }
  REQUIRE(expected.find('\xff') != std::string::npos);
  for (auto& c : raw) CHECK(c->got() == expected);
  for (auto& c : telnet) CHECK(testing::StripTelnet(c->got()) == expected);
  // Byte chunks never reach a telegram listener.
  telegram_client.Drain();
  CHECK(telegram_client.got().empty());
}

TEST_CASE("a client that never reads loses only whole telegrams and does not delay others") {
  LoopFixture f;
  ListenerConfig c = MakeListener();
  c.queue_bytes = 4096;
  auto hub = StartHub(f, {c});
  const uint16_t port = hub->BoundPorts()[0];
  auto good = ConnectMany(5, port);
  Client slow(port, "127.0.0.1", /*rcvbuf=*/2048);
  REQUIRE(f.PumpUntil([&] { return hub->Stats()[0].clients == 6; }));

  const auto corpus = testing::CorpusTelegrams();
  std::vector<std::string> sent;
  std::string expected;
  for (int i = 0; i < 300; ++i) {
    sent.push_back(corpus[static_cast<size_t>(i) % corpus.size()]);
    expected += sent.back();
    hub->OnTelegram(MakeTelegram(sent.back()));
    REQUIRE(f.PumpUntil(
        [&] {
          for (auto& g : good)
            if (g->got().size() < expected.size()) return false;
          return true;
        },
        5000, [&] { DrainAll(good); }));
  }
  for (auto& g : good) CHECK(g->got() == expected);
  const uint64_t dropped = hub->Stats()[0].dropped_telegrams;
  CHECK(dropped > 0);
  CHECK(hub->Stats()[0].kicked == 0);

  // Now the slow client reads everything that was queued for it.
  REQUIRE(f.PumpUntil(
      [&] {
        const int whole = testing::CountWholeTelegramsInOrder(slow.got(), sent);
        return whole >= 0 && static_cast<uint64_t>(whole) + dropped == sent.size();
      },
      10000, [&] { slow.Drain(); }));
  CHECK(testing::CountWholeTelegramsInOrder(slow.got(), sent) > 0);
  CHECK(hub->Stats()[0].dropped_telegrams == dropped);
}

TEST_CASE("what the kernel does not take at once is queued and follows in order") {
  LoopFixture f;
  ListenerConfig c = MakeListener();
  c.queue_bytes = 4096;  // also the socket's send buffer: a telegram is written in parts
  auto hub = StartHub(f, {c});
  Client client(hub->BoundPorts()[0], "127.0.0.1", /*rcvbuf=*/2048);
  REQUIRE(f.PumpUntil([&] { return hub->Stats()[0].clients == 1; }));
  // Far larger than both socket buffers; then small telegrams behind it must
  // wait for its tail (the empty-queue rule admits the large one).
  std::string large = testing::CorpusTelegrams().front();
  while (large.size() < 200000) large += large;
  const std::string small = testing::CorpusTelegrams().back();
  hub->OnTelegram(MakeTelegram(large));
  hub->OnTelegram(MakeTelegram(small));  // queue full: dropped, not interleaved
  const std::string expected = large;
  REQUIRE(f.PumpUntil([&] { return client.got().size() >= expected.size(); }, 10000,
                      [&] { client.Drain(); }));
  hub->OnTelegram(MakeTelegram(small));  // the queue is empty again
  REQUIRE(f.PumpUntil([&] { return client.got().size() >= expected.size() + small.size(); },
                      5000, [&] { client.Drain(); }));
  CHECK(client.got() == expected + small);
  CHECK(hub->Stats()[0].dropped_telegrams == 1);
  f.PumpUntil([&] { return hub->Stats()[0].bytes_sent >= expected.size() + small.size(); });
  CHECK(hub->Stats()[0].bytes_sent == expected.size() + small.size());
}

TEST_CASE("a stuck client is disconnected after stuck_timeout, others stay") {
  LoopFixture f;
  ListenerConfig c = MakeListener();
  c.queue_bytes = 4096;
  c.stuck_timeout = Millis(200);
  auto hub = StartHub(f, {c});
  const uint16_t port = hub->BoundPorts()[0];
  Client good(port);
  Client stuck(port, "127.0.0.1", 2048);
  REQUIRE(f.PumpUntil([&] { return hub->Stats()[0].clients == 2; }));
  const std::string text = testing::CorpusTelegrams().front();
  size_t fed = 0;
  // Keep the meter talking, at the pace the good client reads, until the
  // stuck client is kicked.
  REQUIRE(f.PumpUntil([&] { return hub->Stats()[0].kicked == 1; }, 10000,
                      [&] {
                        if (fed < 2000 && good.got().size() == fed * text.size()) {
                          hub->OnTelegram(MakeTelegram(text));
                          ++fed;
                        }
                        good.Drain();
                      }));
  CHECK(hub->Stats()[0].clients == 1);
  REQUIRE(f.PumpUntil([&] { return good.got().size() == fed * text.size(); }, 5000,
                      [&] { good.Drain(); }));
  // The kicked client sees the end of the stream after what it was sent.
  REQUIRE(f.PumpUntil([&] { return stuck.eof(); }, 5000, [&] { stuck.Drain(); }));
}

TEST_CASE("100 simultaneous connects are all admitted and served") {
  LoopFixture f;
  auto hub = StartHub(f, {MakeListener()});
  // All 100 handshakes complete in the kernel backlog before the loop runs.
  auto clients = ConnectMany(100, hub->BoundPorts()[0]);
  for (auto& c : clients) REQUIRE(c->connected());
  REQUIRE(f.PumpUntil([&] { return hub->Stats()[0].clients == 100; }));
  const std::string text = testing::CorpusTelegrams().front();
  hub->OnTelegram(MakeTelegram(text));
  REQUIRE(f.PumpUntil(
      [&] {
        for (auto& c : clients)
          if (c->got().size() < text.size()) return false;
        return true;
      },
      5000, [&] { DrainAll(clients); }));
  for (auto& c : clients) CHECK(c->got() == text);
  CHECK(hub->Stats()[0].accepted == 100);
}

TEST_CASE("max_clients rejects the extra client; kick_old drops the oldest instead") {
  LoopFixture f;
  ListenerConfig reject = MakeListener();
  reject.max_clients = 2;
  ListenerConfig kick = reject;
  kick.kick_old = true;
  auto hub = StartHub(f, {reject, kick});
  const auto ports = hub->BoundPorts();
  const std::string text = testing::CorpusTelegrams().front();

  Client r1(ports[0]), r2(ports[0]);
  REQUIRE(f.PumpUntil([&] { return hub->Stats()[0].clients == 2; }));
  Client r3(ports[0]);
  REQUIRE(f.PumpUntil([&] { return hub->Stats()[0].rejected_max_clients == 1; }));
  REQUIRE(f.PumpUntil([&] { return r3.eof(); }, 5000, [&] { r3.Drain(); }));

  Client k1(ports[1]);
  REQUIRE(f.PumpUntil([&] { return hub->Stats()[1].clients == 1; }));
  Client k2(ports[1]);
  REQUIRE(f.PumpUntil([&] { return hub->Stats()[1].clients == 2; }));
  Client k3(ports[1]);
  REQUIRE(f.PumpUntil([&] { return hub->Stats()[1].kicked == 1; }));
  CHECK(hub->Stats()[1].clients == 2);
  CHECK(hub->Stats()[1].rejected_max_clients == 0);

  hub->OnTelegram(MakeTelegram(text));
  REQUIRE(f.PumpUntil(
      [&] {
        return r1.got() == text && r2.got() == text && k2.got() == text && k3.got() == text &&
               k1.eof();
      },
      5000,
      [&] {
        for (Client* c : {&r1, &r2, &r3, &k1, &k2, &k3}) c->Drain();
      }));
  CHECK(r3.got().empty());
  CHECK(k1.got().empty());
}

Cidr MustCidr(const char* text) {
  Cidr c;
  REQUIRE(ParseCidr(text, &c));
  return c;
}

TEST_CASE("allow lists admit matching IPv4, v4-mapped and IPv6 peers and refuse others") {
  LoopFixture f;
  ListenerConfig v4_refused = MakeListener();
  v4_refused.allow = {MustCidr("10.0.0.0/8")};
  ListenerConfig dual_ok = MakeListener(ListenerProtocol::kRaw, Payload::kTelegrams, "::");
  dual_ok.allow = {MustCidr("127.0.0.0/8")};  // the v4 client arrives as ::ffff:127.0.0.1
  ListenerConfig v6_ok = MakeListener(ListenerProtocol::kRaw, Payload::kTelegrams, "::1");
  v6_ok.allow = {MustCidr("10.0.0.0/8"), MustCidr("::1/128")};
  ListenerConfig v6_refused = MakeListener(ListenerProtocol::kRaw, Payload::kTelegrams, "::1");
  v6_refused.allow = {MustCidr("fe80::/10"), MustCidr("127.0.0.1/32")};
  auto hub = StartHub(f, {v4_refused, dual_ok, v6_ok, v6_refused});
  const auto ports = hub->BoundPorts();

  Client a(ports[0]);
  Client b(ports[1], "127.0.0.1");
  Client c(ports[2], "::1");
  Client d(ports[3], "::1");
  REQUIRE(f.PumpUntil([&] {
    const auto s = hub->Stats();
    return s[0].rejected_allow == 1 && s[1].clients == 1 && s[2].clients == 1 &&
           s[3].rejected_allow == 1;
  }));
  const std::string text = testing::CorpusTelegrams().front();
  hub->OnTelegram(MakeTelegram(text));
  REQUIRE(f.PumpUntil([&] { return b.got() == text && c.got() == text && a.eof() && d.eof(); },
                      5000,
                      [&] {
                        for (Client* x : {&a, &b, &c, &d}) x->Drain();
                      }));
  CHECK(a.got().empty());
  CHECK(d.got().empty());
}

TEST_CASE(
    "replay_last sends the latest telegram on connect; without it a client waits for the next") {
  LoopFixture f;
  ListenerConfig replay = MakeListener();
  replay.replay_last = true;
  ListenerConfig wait = MakeListener();
  auto hub = StartHub(f, {replay, wait});
  const auto ports = hub->BoundPorts();
  const auto corpus = testing::CorpusTelegrams();
  hub->OnTelegram(MakeTelegram(corpus[0]));
  hub->OnTelegram(MakeTelegram(corpus[1]));
  Client a(ports[0]);
  Client b(ports[1]);
  REQUIRE(
      f.PumpUntil([&] { return hub->Stats()[0].clients == 1 && hub->Stats()[1].clients == 1; }));
  REQUIRE(
      f.PumpUntil([&] { return a.got().size() >= corpus[1].size(); }, 5000, [&] { a.Drain(); }));
  CHECK(a.got() == corpus[1]);
  b.Drain();
  CHECK(b.got().empty());
  hub->OnTelegram(MakeTelegram(corpus[2]));
  REQUIRE(
      f.PumpUntil([&] { return b.got().size() >= corpus[2].size(); }, 5000, [&] { b.Drain(); }));
  CHECK(b.got() == corpus[2]);
  CHECK(b.got()[0] == '/');
}

TEST_CASE("min_interval throttles per client and counts throttled, not dropped") {
  LoopFixture f;
  ListenerConfig slow = MakeListener();
  slow.min_interval = Millis(60000);
  auto hub = StartHub(f, {slow, MakeListener()});
  const auto ports = hub->BoundPorts();
  Client a(ports[0]);
  Client b(ports[1]);
  REQUIRE(
      f.PumpUntil([&] { return hub->Stats()[0].clients == 1 && hub->Stats()[1].clients == 1; }));
  const auto corpus = testing::CorpusTelegrams();
  std::string all;
  for (int i = 0; i < 5; ++i) {
    hub->OnTelegram(MakeTelegram(corpus[static_cast<size_t>(i)]));
    all += corpus[static_cast<size_t>(i)];
  }
  REQUIRE(f.PumpUntil(
      [&] { return b.got().size() >= all.size() && a.got().size() >= corpus[0].size(); }, 5000,
      [&] {
        a.Drain();
        b.Drain();
      }));
  CHECK(b.got() == all);
  CHECK(a.got() == corpus[0]);
  CHECK(hub->Stats()[0].throttled_telegrams == 4);
  CHECK(hub->Stats()[0].dropped_telegrams == 0);
}

TEST_CASE("a port in use fails Start with the address, and nothing stays listening") {
  LoopFixture f;
  auto first = StartHub(f, {MakeListener()});
  ListenerConfig busy = MakeListener();
  busy.listen.port = first->BoundPorts()[0];
  Hub second(f.loop(), "second", {MakeListener(), busy}, SerialSettings{});
  std::string err;
  CHECK_FALSE(second.Start(&err));
  CHECK(err == "listen 127.0.0.1:" + std::to_string(busy.listen.port) + ": address already in use");
  CHECK(second.BoundPorts()[0] == 0);
}

TEST_CASE("client input is discarded and a telnet client's negotiation is answered") {
  LoopFixture f;
  auto hub = StartHub(f, {MakeListener(), MakeListener(ListenerProtocol::kTelnet)});
  const auto ports = hub->BoundPorts();
  Client raw(ports[0]);
  Client tel(ports[1]);
  REQUIRE(
      f.PumpUntil([&] { return hub->Stats()[0].clients == 1 && hub->Stats()[1].clients == 1; }));
  raw.Send(std::string(100000, 'x'));
  tel.Send(std::string("\xff\xfb\x18", 3));  // WILL TERMINAL-TYPE -> DONT
  REQUIRE(f.PumpUntil(
      [&] { return tel.got().find(std::string("\xff\xfe\x18", 3)) != std::string::npos; }, 5000,
      [&] {
        tel.Drain();
        raw.Drain();
      }));
  CHECK(raw.got().empty());
  CHECK(hub->Stats()[0].clients == 1);
}

TEST_CASE("a client that closes or resets ends only its own session and is counted by reason") {
  LoopFixture f;
  auto hub = StartHub(f, {MakeListener(), MakeListener(ListenerProtocol::kTelnet)});
  const auto ports = hub->BoundPorts();
  Client stays(ports[0]);
  auto closes = std::make_unique<Client>(ports[0]);
  Client resets(ports[0]);
  Client telnet_resets(ports[1]);  // its greeting may meet the RST: EPIPE/ECONNRESET
  REQUIRE(
      f.PumpUntil([&] { return hub->Stats()[0].clients == 3 && hub->Stats()[1].clients == 1; }));
  closes.reset();
  resets.Reset();
  telnet_resets.Reset();
  REQUIRE(f.PumpUntil([&] {
    const auto s = hub->Stats();
    return s[0].disconnects_closed == 1 && s[0].disconnects_error == 1 &&
           s[1].disconnects_error + s[1].disconnects_closed == 1 && s[0].clients == 1;
  }));
  const std::string text = testing::CorpusTelegrams().front();
  hub->OnTelegram(MakeTelegram(text));
  REQUIRE(f.PumpUntil([&] { return stays.got() == text; }, 5000, [&] { stays.Drain(); }));
  CHECK(hub->Stats()[0].kicked == 0);
}

TEST_CASE(
    "replay_last skips a telegram the client's address was already sent, new addresses get it") {
  LoopFixture f;
  ListenerConfig c = MakeListener();
  c.replay_last = true;
  auto hub = StartHub(f, {c});
  const uint16_t port = hub->BoundPorts()[0];
  const auto corpus = testing::CorpusTelegrams();
  const std::string& a = corpus[0];
  const std::string& b = corpus[1];
  const std::string& c3 = corpus[2];
  auto clients = [&] { return hub->Stats()[0].clients; };
  auto receive = [&](Client& client, const std::string& want) {
    return f.PumpUntil([&] { return client.got().size() >= want.size(); }, 5000,
                       [&] { client.Drain(); });
  };

  // 127.0.0.1 receives A live, then goes away (a reconnect-per-reading client).
  auto first = std::make_unique<Client>(port, "127.0.0.1", 0, "127.0.0.1");
  REQUIRE(first->connected());
  REQUIRE(f.PumpUntil([&] { return clients() == 1; }));
  hub->OnTelegram(MakeTelegram(a));
  REQUIRE(receive(*first, a));
  CHECK(first->got() == a);
  first.reset();
  REQUIRE(f.PumpUntil([&] { return clients() == 0; }));

  // It reconnects: A is not sent again.
  Client again(port, "127.0.0.1", 0, "127.0.0.1");
  REQUIRE(f.PumpUntil([&] { return clients() == 1; }));
  // Other addresses never got A: they get it at once.
  Client other(port, "127.0.0.1", 0, "127.0.0.2");
  auto third = std::make_unique<Client>(port, "127.0.0.1", 0, "127.0.0.3");
  REQUIRE(receive(other, a));
  REQUIRE(receive(*third, a));
  CHECK(other.got() == a);
  CHECK(third->got() == a);
  third.reset();  // 127.0.0.3 leaves before B
  REQUIRE(f.PumpUntil([&] { return clients() == 2; }));

  hub->OnTelegram(MakeTelegram(b));
  REQUIRE(receive(again, b));
  CHECK(again.got() == b);  // the first bytes after the reconnect are B, not A
  REQUIRE(receive(other, a + b));
  CHECK(other.got() == a + b);

  // 127.0.0.3 never saw B: it is replayed on reconnect.
  Client third_again(port, "127.0.0.1", 0, "127.0.0.3");
  REQUIRE(receive(third_again, b));
  CHECK(third_again.got() == b);
  // 127.0.0.1 got B live on a session that is still open: a second
  // connection from it waits for the next telegram.
  Client again_twice(port, "127.0.0.1", 0, "127.0.0.1");
  REQUIRE(f.PumpUntil([&] { return clients() == 4; }));
  hub->OnTelegram(MakeTelegram(c3));
  REQUIRE(receive(again_twice, c3));
  CHECK(again_twice.got() == c3);
  REQUIRE(receive(again, b + c3));
  CHECK(again.got() == b + c3);
}

// Closes the descriptors it holds and restores RLIMIT_NOFILE, also when a
// REQUIRE fails half-way.
struct FdPressure {
  rlimit saved{};
  std::vector<int> fillers;
  FdPressure() { getrlimit(RLIMIT_NOFILE, &saved); }
  ~FdPressure() {
    for (int fd : fillers) ::close(fd);
    setrlimit(RLIMIT_NOFILE, &saved);
  }
  // Takes every free descriptor under a lowered limit.
  bool Exhaust(rlim_t limit) {
    rlimit low = saved;
    low.rlim_cur = std::min(saved.rlim_cur, limit);
    if (setrlimit(RLIMIT_NOFILE, &low) != 0) return false;
    while (true) {
      const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) return errno == EMFILE;
      fillers.push_back(fd);
    }
  }
  void Release(size_t n) {
    for (; n > 0 && !fillers.empty(); --n) {
      ::close(fillers.back());
      fillers.pop_back();
    }
  }
};

TEST_CASE(
    "out of file descriptors: clients are refused, counted, and served again once fds are free") {
  LoopFixture f;
  auto hub = StartHub(f, {MakeListener()});
  const uint16_t port = hub->BoundPorts()[0];
  std::vector<std::unique_ptr<Client>> refused;
  bool exhausted = false;
  bool all_connected = true;
  bool all_counted = true;
  {
    // No Catch assertion while no descriptor is free: sanitizer checks
    // inside them need one (UBSan's vptr check opens a pipe).
    FdPressure fds;
    exhausted = fds.Exhaust(512);
    // Each client takes the one descriptor freed for it, so the listener has
    // none left to accept with.
    for (int i = 0; exhausted && i < 3; ++i) {
      fds.Release(1);
      refused.push_back(std::make_unique<Client>(port));
      all_connected = all_connected && refused.back()->connected();
      all_counted = all_counted && f.PumpUntil([&] {
        return hub->Stats()[0].rejected_fds == static_cast<uint64_t>(i + 1);
      });
    }
  }
  REQUIRE(exhausted);
  REQUIRE(all_connected);
  REQUIRE(all_counted);
  // Refused clients see their connection end rather than hang in the backlog.
  for (auto& c : refused) {
    REQUIRE(f.PumpUntil([&] { return c->eof(); }, 5000, [&] { c->Drain(); }));
  }
  CHECK(hub->Stats()[0].accepted == 0);
  CHECK(hub->Stats()[0].clients == 0);

  // With descriptors free again the listener serves a new client.
  refused.clear();
  Client served(port);
  REQUIRE(f.PumpUntil([&] { return hub->Stats()[0].clients == 1; }));
  const std::string text = testing::CorpusTelegrams().front();
  hub->OnTelegram(MakeTelegram(text));
  REQUIRE(f.PumpUntil([&] { return served.got() == text; }, 5000, [&] { served.Drain(); }));
  CHECK(hub->Stats()[0].rejected_fds == 3);
}

}  // namespace
}  // namespace p1
