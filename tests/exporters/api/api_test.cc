// ApiExporter on an HttpServer on a real loop: every endpoint, status codes,
// content types, CORS, server-sent events (framing, filter, resumption, a
// slow client that loses whole events while a fast one gets every event).
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "exporters/api/api_exporter.h"
#include "exporters/http/http_server.h"
#include "gateway/core/render.h"
#include "gateway/loop/wall_clock.h"
#include "tests/exporters/exporter_test_util.h"
#include "tests/exporters/http/http_test_client.h"

namespace p1 {
namespace {

using testing::Client;
using testing::Fixture;
using testing::RunUntil;
using Json = nlohmann::json;

MeterSnapshotPtr Snapshot(const std::string& name, const std::string& file, int64_t received_ms) {
  auto t = file.empty() ? nullptr : testing::LoadTelegram(file, received_ms);
  auto s = std::make_shared<MeterSnapshot>(*testing::MakeSnapshot(name, t, {{"site", "x"}}));
  s->source_kind = "serial";
  s->source_address = "/dev/ttyUSB0";
  s->source_connected = true;
  s->counters.telegrams = 7;
  s->counters.crc_errors = 2;
  ListenerStats l;
  l.listener = "0.0.0.0:2001";
  l.protocol = "raw";
  l.clients = 3;
  s->listeners.push_back(l);
  return s;
}

struct Api {
  explicit Api(ApiExporter::Options options = {}) {
    const int64_t now = WallClockMs();
    meters = {Snapshot("be", "dsmr_parser__be-emucs__fluvius-v171.txt", now),
              Snapshot("home", "dsmr_parser__dsmr50__iskra-spec.txt", now),
              Snapshot("old", "dsmr_parser__dsmr42__kaifa.txt", now - 3'600'000),
              Snapshot("new", "", 0)};
    api = std::make_unique<ApiExporter>(
        &f.loop, [this] { return meters; }, options);
    api->Register(f.server.get());
  }
  Fixture f;
  std::vector<MeterSnapshotPtr> meters;
  std::unique_ptr<ApiExporter> api;
};

Json Get(Client* c, const std::string& path, int status, const std::string& headers = "") {
  c->Get(path, headers);
  auto r = c->Read();
  REQUIRE(r);
  CHECK(r->status() == status);
  CHECK(r->Has("Content-Type: application/json"));
  return Json::parse(r->body);
}

TEST_CASE("API: /api/v1/meters lists every meter with source, up, counters and listeners") {
  Api a;
  Client c(&a.f.loop, a.f.port());
  Json j = Get(&c, "/api/v1/meters", 200);
  REQUIRE(j["meters"].size() == 4);
  const Json& be = j["meters"][0];
  CHECK(be["name"] == "be");
  CHECK(be["labels"]["site"] == "x");
  CHECK(be["source"]["kind"] == "serial");
  CHECK(be["source"]["address"] == "/dev/ttyUSB0");
  CHECK(be["source"]["connected"] == true);
  CHECK(be["up"] == true);
  CHECK(be["age_seconds"].get<double>() < 60);
  CHECK(be["counters"]["telegrams"] == 7);
  CHECK(be["counters"]["errors"]["crc"] == 2);
  CHECK(be["listeners"][0]["clients"] == 3);
  CHECK(j["meters"][2]["name"] == "old");
  CHECK(j["meters"][2]["up"] == false);
  CHECK(j["meters"][3]["last_telegram"].is_null());
  CHECK(j["events"]["clients"] == 0);
}

TEST_CASE(
    "API: a meter's reading is the parse JSON plus meter and received_at, its telegram as sent") {
  Api a;
  Client c(&a.f.loop, a.f.port());
  Json j = Get(&c, "/api/v1/meters/home", 200);
  CHECK(j["meter"] == "home");
  CHECK(j["header"] == "ISk5\\2MT382-1000");
  CHECK(j["received_at"].get<std::string>().size() == 25);
  // Exactly the `parse --format json` object after the two added keys.
  const std::string body = ApiExporter::ReadingJson("home", *a.meters[1]->latest);
  CHECK(body.substr(body.find("\"header\"")) == RenderJson(a.meters[1]->latest->reading).substr(1));

  c.Get("/api/v1/meters/home/telegram");
  auto t = c.Read();
  REQUIRE(t);
  CHECK(t->status() == 200);
  CHECK(t->Has("Content-Type: text/plain; charset=utf-8"));
  CHECK(t->body == a.meters[1]->latest->plaintext);

  CHECK(Get(&c, "/api/v1/meters/nope", 404)["error"] == "unknown meter 'nope'");
  CHECK(Get(&c, "/api/v1/meters/new", 404)["error"] == "meter 'new' has no telegram yet");
  CHECK(Get(&c, "/api/v1/meters/home/extra", 404)["error"] == "no such API path");
  CHECK(Get(&c, "/api/v2/whatever", 404).contains("error"));
  c.Get("/api/v1/meters", "", "DELETE");
  auto del = c.Read();
  REQUIRE(del);
  CHECK(del->status() == 405);
  CHECK(del->Has("Allow: GET, HEAD, OPTIONS"));
  c.Get("/api/v1/meters/home", "", "HEAD");
  auto head = c.Read(/*head_only=*/true);
  REQUIRE(head);
  CHECK(head->status() == 200);
  CHECK(head->Has("Content-Length: " +
                  std::to_string(ApiExporter::ReadingJson("home", *a.meters[1]->latest).size())));
}

TEST_CASE("API: / is the live page, byte for byte exporters/web/index.html, linking the API") {
  std::ifstream in(P1GW_WEB_PAGE, std::ios::binary);
  REQUIRE(in);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Api a;
  Client c(&a.f.loop, a.f.port());
  c.Get("/");
  auto page = c.Read();
  REQUIRE(page);
  CHECK(page->status() == 200);
  CHECK(page->Has("Content-Type: text/html; charset=utf-8"));
  CHECK(page->body == file);
  CHECK(page->body.find("href=\"/metrics\"") != std::string::npos);
  CHECK(page->body.find("href=\"/api/v1/meters\"") != std::string::npos);
  CHECK(page->body.find("new EventSource('/api/v1/events')") != std::string::npos);
  // No CDN: nothing is loaded from another origin.
  CHECK(page->body.find("src=\"http") == std::string::npos);
  CHECK(page->body.find("href=\"http") == std::string::npos);
  c.Get("/", "", "POST");
  auto post = c.Read();
  REQUIRE(post);
  CHECK(post->status() == 405);
}

TEST_CASE("API: /healthz is 200 while every meter is up, 503 with the ones down") {
  Api a;
  Client c(&a.f.loop, a.f.port());
  Json down = Get(&c, "/healthz", 503);
  CHECK(down["status"] == "down");
  CHECK(down["down"] == Json::array({"old", "new"}));
  a.meters.resize(2);
  Json ok = Get(&c, "/healthz", 200);
  CHECK(ok["status"] == "ok");
  CHECK(ok["meters"].size() == 2);
}

TEST_CASE("API: CORS headers only for configured origins, preflight answered") {
  ApiExporter::Options o;
  o.cors = {"http://ha.local:8123"};
  Api a(o);
  Client c(&a.f.loop, a.f.port());
  c.Get("/api/v1/meters", "Origin: http://ha.local:8123\r\n");
  auto r = c.Read();
  REQUIRE(r);
  CHECK(r->Has("Access-Control-Allow-Origin: http://ha.local:8123"));
  CHECK(r->Has("Vary: Origin"));
  c.Get("/api/v1/meters", "Origin: http://evil.example\r\n");
  r = c.Read();
  REQUIRE(r);
  CHECK(r->head.find("Access-Control-Allow-Origin") == std::string::npos);
  c.Get("/api/v1/events", "Origin: http://ha.local:8123\r\nAccess-Control-Request-Method: GET\r\n",
        "OPTIONS");
  r = c.Read();
  REQUIRE(r);
  CHECK(r->status() == 204);
  CHECK(r->Has("Access-Control-Allow-Methods: GET, HEAD, OPTIONS"));

  Api closed;  // the default: no CORS at all
  Client d(&closed.f.loop, closed.f.port());
  d.Get("/api/v1/meters", "Origin: http://ha.local:8123\r\n");
  r = d.Read();
  REQUIRE(r);
  CHECK(r->head.find("Access-Control") == std::string::npos);
}

// Events as (id, event, meter) read from an SSE byte stream (HTTP chunks removed).
struct Sse {
  std::string raw;  // de-chunked
  std::vector<Json> events;
  std::vector<uint64_t> ids;
  int heartbeats = 0;
};

Sse ParseSse(std::string bytes) {
  Sse out;
  // Undo the chunked coding ("<hex>\r\n<data>\r\n"); a chunk still
  // arriving at the end is left out.
  for (;;) {
    const size_t eol = bytes.find("\r\n");
    if (eol == std::string::npos) break;
    const size_t n = std::stoul(bytes.substr(0, eol), nullptr, 16);
    if (bytes.size() < eol + 2 + n + 2) break;
    REQUIRE(bytes.compare(eol + 2 + n, 2, "\r\n") == 0);
    out.raw += bytes.substr(eol + 2, n);
    bytes.erase(0, eol + 2 + n + 2);
  }
  size_t at = 0;
  for (size_t end; (end = out.raw.find("\n\n", at)) != std::string::npos; at = end + 2) {
    const std::string block = out.raw.substr(at, end - at);
    if (block.rfind(": heartbeat", 0) == 0) {
      ++out.heartbeats;
      continue;
    }
    if (block.rfind("id: ", 0) != 0) continue;
    const size_t ev = block.find("\nevent: reading\ndata: ");
    REQUIRE(ev != std::string::npos);
    out.ids.push_back(std::stoull(block.substr(4, ev - 4)));
    out.events.push_back(Json::parse(block.substr(ev + 22)));
  }
  return out;
}

TEST_CASE(
    "API: events stream every telegram with ids, a filter, a heartbeat, and resume after "
    "Last-Event-ID") {
  ApiExporter::Options o;
  o.heartbeat_ms = 50;
  o.resumable_events = 4;
  Api a(o);
  auto be = testing::LoadTelegram("dsmr_parser__be-emucs__fluvius-v171.txt");
  auto home = testing::LoadTelegram("dsmr_parser__dsmr50__iskra-spec.txt");
  Client all(&a.f.loop, a.f.port());
  all.Get("/api/v1/events");
  auto head = all.Read(/*head_only=*/true);
  REQUIRE(head);
  CHECK(head->Has("Content-Type: text/event-stream"));
  CHECK(head->Has("Cache-Control: no-cache"));
  Client only_be(&a.f.loop, a.f.port());
  only_be.Get("/api/v1/events?meter=be");
  REQUIRE(only_be.Read(/*head_only=*/true));
  REQUIRE(RunUntil(
      &a.f.loop, [&] { return a.api->stats().clients == 2; }, testing::kWaitMs));

  for (int i = 0; i < 3; ++i) {
    a.api->SinkFor("be")->OnTelegram(be);
    a.api->SinkFor("home")->OnTelegram(home);
  }
  const std::string one =
      "id: 1\nevent: reading\ndata: " + ApiExporter::ReadingJson("be", *be) + "\n\n";
  // Wait for the heartbeat after the six events: every event arrived before it.
  std::string bytes;
  REQUIRE(RunUntil(
      &a.f.loop,
      [&] {
        bytes += all.ReadAtLeast(0);
        // Every event arrived before the first heartbeat after them.
        const size_t beat = bytes.rfind(": heartbeat");
        return ParseSse(bytes).ids.size() >= 6 && beat != std::string::npos &&
               beat > bytes.rfind("id: 6\n");
      },
      testing::kWaitMs));
  Sse s = ParseSse(bytes);
  CHECK(s.raw.rfind("retry: 3000\n\n", 0) == 0);
  CHECK(s.ids == std::vector<uint64_t>{1, 2, 3, 4, 5, 6});
  REQUIRE(s.events.size() == 6);
  CHECK(s.events[0]["meter"] == "be");
  CHECK(s.events[1]["meter"] == "home");
  CHECK(s.events[1]["header"] == "ISk5\\2MT382-1000");
  CHECK(s.raw.find(one) != std::string::npos);
  CHECK(s.heartbeats >= 1);

  std::string be_bytes;
  REQUIRE(RunUntil(
      &a.f.loop,
      [&] {
        be_bytes += only_be.ReadAtLeast(0);
        return be_bytes.size() > 3 * one.size();
      },
      testing::kWaitMs));
  Sse filtered = ParseSse(be_bytes);
  CHECK(filtered.ids == std::vector<uint64_t>{1, 3, 5});

  // Resumption: the last 4 events are kept; after id 3 come 4, 5, 6.
  Client resumed(&a.f.loop, a.f.port());
  resumed.Get("/api/v1/events", "Last-Event-ID: 3\r\n");
  REQUIRE(resumed.Read(/*head_only=*/true));
  std::string r_bytes;
  REQUIRE(RunUntil(
      &a.f.loop,
      [&] {
        r_bytes += resumed.ReadAtLeast(0);
        return ParseSse(r_bytes).ids.size() >= 3;
      },
      testing::kWaitMs));
  CHECK(ParseSse(r_bytes).ids == std::vector<uint64_t>{4, 5, 6});
  // An id from before a restart resumes nothing; an unknown meter is a 404.
  Client stale(&a.f.loop, a.f.port());
  stale.Get("/api/v1/events", "Last-Event-ID: 999\r\n");
  REQUIRE(stale.Read(/*head_only=*/true));
  a.api->SinkFor("home")->OnTelegram(home);
  std::string st;
  REQUIRE(RunUntil(
      &a.f.loop,
      [&] {
        st += stale.ReadAtLeast(0);
        return !ParseSse(st).ids.empty();
      },
      testing::kWaitMs));
  CHECK(ParseSse(st).ids == std::vector<uint64_t>{7});
  Client unknown(&a.f.loop, a.f.port());
  CHECK(Get(&unknown, "/api/v1/events?meter=nope", 404)["error"] == "unknown meter 'nope'");
}

TEST_CASE(
    "API: a client that never reads its events loses whole events, counted, and nobody else does") {
  HttpServer::Options ho;
  ho.stream_queue_bytes = 32 << 10;
  ho.write_timeout_ms = 600000;
  Api a;
  a.f.server = std::make_unique<HttpServer>(&a.f.loop, ho);  // a small per-client queue
  sockaddr_storage addr{};
  REQUIRE(NumericSocketAddress("127.0.0.1", 0, &addr) == 0);
  REQUIRE(a.f.server->Listen(addr) == 0);
  a.api->Register(a.f.server.get());
  Client fast(&a.f.loop, a.f.port());
  fast.Get("/api/v1/events");
  REQUIRE(fast.Read(/*head_only=*/true));
  Client slow(&a.f.loop, a.f.port());
  slow.Get("/api/v1/events");  // and never read again
  REQUIRE(RunUntil(
      &a.f.loop, [&] { return a.api->stats().clients == 2; }, testing::kWaitMs));
  auto be = testing::LoadTelegram("dsmr_parser__be-emucs__fluvius-v171.txt");
  std::string bytes;
  for (int i = 0; i < 500; ++i) {
    a.api->SinkFor("be")->OnTelegram(be);
    uv_run(&a.f.loop, UV_RUN_NOWAIT);
    bytes += fast.ReadAtLeast(0);
  }
  REQUIRE(RunUntil(
      &a.f.loop,
      [&] {
        bytes += fast.ReadAtLeast(0);
        return ParseSse(bytes).ids.size() == 500;
      },
      testing::kWaitMs));
  Sse s = ParseSse(bytes);
  REQUIRE(s.ids.size() == 500);
  for (uint64_t i = 0; i < 500; ++i) CHECK(s.ids[i] == i + 1);
  const ApiExporter::Stats st = a.api->stats();
  CHECK(st.events == 500);
  CHECK(st.dropped > 0);
  CHECK(st.deliveries + st.dropped == 1000);
  CHECK(a.f.server->stats().stream_drops == st.dropped);
}

}  // namespace
}  // namespace p1
