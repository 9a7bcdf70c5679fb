// RemoteWriter on a loop against FakeReceiver on 127.0.0.1: headers and
// bodies as sent, 5xx/429/transport errors retried with the same request
// and nothing reordered, 4xx dropped and counted, a full queue losing its
// oldest samples, every handle closed with a request in flight.
#include "exporters/remote_write/remote_writer.h"

#include <remote.pb.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "exporters/remote_write/write_request.h"
#include "gateway/loop/wall_clock.h"
#include "tests/exporters/remote_write/fake_receiver.h"
#include "tests/support/loop_helpers.h"

namespace p1 {
namespace {

using testing::FakeReceiver;
using testing::LoopFixture;
using testing::RunUntil;

// `series` gauges x{meter="mN"} whose value is the collection's number.
struct Source {
  int series = 3;
  int calls = 0;
  std::vector<prometheus::MetricFamily> operator()(int64_t) {
    ++calls;
    prometheus::MetricFamily f;
    f.name = "x";
    f.type = prometheus::MetricType::Gauge;
    for (int i = 0; i < series; ++i) {
      prometheus::ClientMetric m;
      m.label.push_back({"meter", "m" + std::to_string(i)});
      m.gauge.value = calls;
      f.metric.push_back(m);
    }
    return {f};
  }
};

// Runs the loop until the wall clock's millisecond changed: a series takes
// one sample per millisecond, so back-to-back pushes need distinct ones.
void NextMs(uv_loop_t* loop) {
  const int64_t now = WallClockMs();
  REQUIRE(RunUntil(loop, [&] { return WallClockMs() > now; }, 1000));
}

RemoteWriteConfig Config(const FakeReceiver& r) {
  RemoteWriteConfig c;
  c.url = r.url();
  c.name = "fake";
  c.interval = Millis(3'600'000);  // the tests push by hand
  c.timeout = Millis(10'000);
  return c;
}

prometheus::WriteRequest Decode(const std::string& body) {
  std::string raw;
  REQUIRE(SnappyUncompress(body, &raw));
  prometheus::WriteRequest req;
  REQUIRE(req.ParseFromString(raw));
  return req;
}

// Every sample value of series m0, request by request.
std::vector<double> M0Values(const std::deque<FakeReceiver::Request>& requests, size_t from = 0) {
  std::vector<double> out;
  for (size_t i = from; i < requests.size(); ++i) {
    const prometheus::WriteRequest req = Decode(requests[i].body);
    for (const auto& ts : req.timeseries()) {
      bool m0 = false;
      for (const auto& l : ts.labels()) m0 = m0 || (l.name() == "meter" && l.value() == "m0");
      if (!m0) continue;
      for (const auto& s : ts.samples()) out.push_back(s.value());
    }
  }
  return out;
}

std::vector<double> Range(int from, int to) {
  std::vector<double> out;
  for (int i = from; i <= to; ++i) out.push_back(i);
  return out;
}

TEST_CASE("a push arrives as a snappy remote-write 1.0 request with its headers and token") {
  LoopFixture fx;
  FakeReceiver rx(fx.loop());
  const std::string token_file = testing::TempPath("rw-token");
  std::ofstream(token_file) << "s3cret\n";
  RemoteWriteConfig c = Config(rx);
  c.bearer_token_file = token_file;
  c.external_labels = {{"household", "12b"}};
  Source src;
  {
    RemoteWriter w(fx.loop(), c, "9.9.9", std::ref(src));
    std::string err;
    REQUIRE(w.Prepare(&err));
    w.Start();
    w.Push();
    REQUIRE(RunUntil(fx.loop(), [&] { return w.metrics().sent == 3; }, 5000));
    REQUIRE(rx.requests.size() == 1);
    const std::string& head = rx.requests[0].head;
    INFO(head);
    CHECK(head.rfind("POST /api/v1/write HTTP/1.1\r\n", 0) == 0);
    CHECK(head.find("Content-Encoding: snappy\r\n") != std::string::npos);
    CHECK(head.find("Content-Type: application/x-protobuf\r\n") != std::string::npos);
    CHECK(head.find("X-Prometheus-Remote-Write-Version: 0.1.0\r\n") != std::string::npos);
    CHECK(head.find("User-Agent: p1gateway/9.9.9\r\n") != std::string::npos);
    CHECK(head.find("Authorization: Bearer s3cret\r\n") != std::string::npos);
    CHECK(head.find("Expect:") == std::string::npos);
    prometheus::WriteRequest req = Decode(rx.requests[0].body);
    REQUIRE(req.timeseries_size() == 3);
    CHECK(req.timeseries(2).labels(0).name() == "__name__");
    CHECK(req.timeseries(2).labels(1).value() == "12b");
    CHECK(req.timeseries(2).labels(2).value() == "m2");
    const RemoteWriteMetrics m = w.metrics();
    CHECK(m.target == "fake");
    CHECK(m.pending == 0);
    CHECK(m.failed == 0);
    CHECK(m.last_success_unix_ms > 0);
    CHECK(m.oldest_pending_unix_ms == 0);
  }
  rx.Close();
  std::remove(token_file.c_str());
}

TEST_CASE("500 and 429 retry the same request; later samples follow in order") {
  LoopFixture fx;
  FakeReceiver rx(fx.loop());
  rx.script = {{500, ""}, {429, "Retry-After: 0\r\n"}, {503, ""}};
  RemoteWriteConfig c = Config(rx);
  c.max_samples_per_send = 6;  // two pushes per request
  Source src;
  {
    RemoteWriter w(fx.loop(), c, "t", std::ref(src));
    std::string err;
    REQUIRE(w.Prepare(&err));
    w.Start();
    w.Push();  // request 1: push 1 (3 samples; an interval's push sends what there is)
    for (int i = 0; i < 9; ++i) {
      REQUIRE(RunUntil(fx.loop(), [&] { return !rx.requests.empty(); }, 5000));
      NextMs(fx.loop());
      w.Push();  // while the first request is refused, pushes queue behind it
    }
    REQUIRE(RunUntil(fx.loop(), [&] { return w.metrics().sent == 30; }, 10000));
    REQUIRE(rx.requests.size() >= 4);
    // The refused request went again, byte for byte, three times.
    CHECK(rx.requests[1].body == rx.requests[0].body);
    CHECK(rx.requests[2].body == rx.requests[0].body);
    CHECK(rx.requests[3].body == rx.requests[0].body);
    // Each push once, in order, from the first accepted request on.
    CHECK(M0Values(rx.requests, 3) == Range(1, 10));
    const RemoteWriteMetrics m = w.metrics();
    CHECK(m.failed == 9);
    CHECK(m.dropped_rejected == 0);
    CHECK(m.pending == 0);
  }
  rx.Close();
}

TEST_CASE("400 drops the request and counts its samples; the next request is sent") {
  LoopFixture fx;
  FakeReceiver rx(fx.loop());
  rx.script = {{400, ""}};
  RemoteWriteConfig c = Config(rx);
  Source src;
  {
    RemoteWriter w(fx.loop(), c, "t", std::ref(src));
    std::string err;
    REQUIRE(w.Prepare(&err));
    w.Start();
    w.Push();
    REQUIRE(RunUntil(fx.loop(), [&] { return w.metrics().dropped_rejected == 3; }, 5000));
    NextMs(fx.loop());
    w.Push();
    REQUIRE(RunUntil(fx.loop(), [&] { return w.metrics().sent == 3; }, 5000));
    CHECK(rx.requests.size() == 2);
    CHECK(M0Values(rx.requests, 1) == std::vector<double>{2});
    CHECK(w.metrics().failed == 0);
  }
  rx.Close();
}

TEST_CASE("while the receiver is down the queue keeps the newest samples; all of them arrive after") {
  LoopFixture fx;
  int port = 0;
  {
    FakeReceiver probe(fx.loop());
    port = probe.port();
  }  // closed: connections to `port` are refused
  RemoteWriteConfig c;
  c.url = "http://127.0.0.1:" + std::to_string(port) + "/api/v1/write";
  c.name = "down";
  c.interval = Millis(3'600'000);
  c.queue_samples = 100;
  c.max_samples_per_send = 30;
  Source src;
  src.series = 10;
  RemoteWriter w(fx.loop(), c, "t", std::ref(src));
  std::string err;
  REQUIRE(w.Prepare(&err));
  w.Start();
  w.Push();  // 10 samples on the way, refused
  REQUIRE(RunUntil(fx.loop(), [&] { return w.metrics().failed >= 10; }, 5000));
  for (int i = 0; i < 19; ++i) {  // 190 more into a queue of 100
    NextMs(fx.loop());
    w.Push();
  }
  RemoteWriteMetrics m = w.metrics();
  CHECK(m.pending == 10 + 100);  // the request being retried, and a full queue
  CHECK(m.dropped_queue_full == 90);
  CHECK(m.oldest_pending_unix_ms > 0);
  CHECK(m.sent == 0);
  FakeReceiver rx(fx.loop(), port);  // the receiver is back
  REQUIRE(RunUntil(fx.loop(), [&] { return w.metrics().pending == 0; }, 15000));
  CHECK(w.metrics().sent == 110);
  // Push 1 (the retried request), then the newest ten pushes, in order.
  std::vector<double> want{1};
  for (double v : Range(11, 20)) want.push_back(v);
  CHECK(M0Values(rx.requests) == want);
  rx.Close();
}

TEST_CASE("a writer destroyed with a request on the way closes every handle") {
  LoopFixture fx;
  FakeReceiver rx(fx.loop());
  Source src;
  {
    RemoteWriter w(fx.loop(), Config(rx), "t", std::ref(src));
    std::string err;
    REQUIRE(w.Prepare(&err));
    w.Start();
    w.Push();
    RunUntil(fx.loop(), [&] { return !rx.requests.empty(); }, 5000);
  }
  rx.Close();
  // LoopFixture's destructor aborts if a handle is left open.
}

TEST_CASE("an unreadable token file fails Prepare with the target and the file") {
  LoopFixture fx;
  RemoteWriteConfig c;
  c.url = "http://127.0.0.1:1/";
  c.name = "t";
  c.bearer_token_file = "/nonexistent/token";
  Source src;
  RemoteWriter w(fx.loop(), c, "t", std::ref(src));
  std::string err;
  CHECK_FALSE(w.Prepare(&err));
  CHECK(err == "remote_write t: cannot read /nonexistent/token");
}

}  // namespace
}  // namespace p1
