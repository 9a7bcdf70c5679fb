// The PrometheusExporter served by an HttpServer: /metrics plain and
// gzipped, on one kept-alive connection (the page at / is ApiExporter's).
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "exporters/http/http_server.h"
#include "exporters/prometheus_exporter.h"
#include "tests/exporters/exporter_test_util.h"
#include "tests/exporters/http/http_test_client.h"

namespace p1 {
namespace {

using testing::Client;
using testing::Fixture;
using testing::Inflate;
using testing::kWaitMs;
using testing::RunUntil;

TEST_CASE("HTTP: /metrics plain and gzip, unknown paths 404, all on one connection") {
  Fixture f;
  REQUIRE(f.listen_status == 0);
  PrometheusExporter exp("1.0", [] {
    return std::vector<MeterSnapshotPtr>{testing::MakeSnapshot(
        "home", testing::LoadTelegram("dsmr_parser__dsmr50__iskra-spec.txt"))};
  });
  exp.Register(f.server.get());
  Client c(&f.loop, f.port());

  c.Get("/metrics");
  auto plain = c.Read();
  REQUIRE(plain);
  CHECK(plain->status() == 200);
  CHECK(plain->Has("Content-Type: text/plain; version=0.0.4; charset=utf-8"));
  CHECK(plain->body.find("dsmr_power_imported_watts{meter=\"home\"} 244\n") != std::string::npos);
  CHECK(plain->body.find("p1gateway_build_info{version=\"1.0\"} 1") != std::string::npos);
  CHECK_FALSE(plain->Has("Content-Encoding: gzip"));

  c.Get("/metrics", "Accept-Encoding: deflate, gzip;q=0.8\r\n");
  auto zipped = c.Read();
  REQUIRE(zipped);
  CHECK(zipped->Has("Content-Encoding: gzip"));
  CHECK(Inflate(zipped->body) == plain->body);

  c.Get("/metrics", "Accept-Encoding: gzip;q=0\r\n");
  auto refused = c.Read();
  REQUIRE(refused);
  CHECK_FALSE(refused->Has("Content-Encoding: gzip"));

  c.Get("/nope");
  auto missing = c.Read();
  REQUIRE(missing);
  CHECK(missing->status() == 404);
  c.Get("/x", "", "POST");
  auto post = c.Read();
  REQUIRE(post);
  CHECK(post->status() == 405);
  CHECK(post->Has("Allow: GET, HEAD"));
  CHECK(f.server->stats().accepted == 1);
  CHECK(f.server->stats().requests == 5);
}

// The exporter renders each scrape into the body buffer of the scrape before
// unless a write still holds it: a client reading slowly must get the text
// of its own scrape whole, never bytes of a later one.
TEST_CASE("HTTP: a later scrape never overwrites the body a slow client is still reading") {
  Fixture f;
  REQUIRE(f.listen_status == 0);
  const TelegramPtr t = testing::LoadTelegram("dsmr_parser__dsmr50__iskra-spec.txt");
  constexpr int kMeters = 2000;  // 6 MB: more than an unread loopback socket holds
  char prefix = 'a';
  PrometheusExporter exp("1.0", [&] {
    std::vector<MeterSnapshotPtr> v;
    for (int i = 0; i < kMeters; ++i) {
      char name[8];
      std::snprintf(name, sizeof name, "%c%04d", prefix, i);
      v.push_back(testing::MakeSnapshot(name, t));
    }
    return v;
  });
  exp.Register(f.server.get());
  Client slow(&f.loop, f.port());
  slow.Get("/metrics");
  REQUIRE(RunUntil(
      &f.loop, [&] { return f.server->stats().requests == 1; }, kWaitMs));
  // The premise: the slow client's answer is still being written.
  REQUIRE(f.server->stats().queued_bytes > 0);
  prefix = 'b';  // same-length names: a reused buffer would not move
  Client fast(&f.loop, f.port());
  fast.Get("/metrics");
  auto later = fast.Read();
  REQUIRE(later);
  CHECK(later->body.find("meter=\"b1999\"") != std::string::npos);
  CHECK(later->body.find("meter=\"a") == std::string::npos);
  REQUIRE(f.server->stats().queued_bytes > 0);  // still
  auto first = slow.Read();
  REQUIRE(first);
  CHECK(first->body.find("meter=\"b") == std::string::npos);
  CHECK(first->body.find("meter=\"a1999\"") != std::string::npos);
  std::string renamed = first->body;
  for (size_t at = 0; (at = renamed.find("meter=\"a", at)) != std::string::npos; at += 8)
    renamed[at + 7] = 'b';
  CHECK(renamed == later->body);
}

}  // namespace
}  // namespace p1
