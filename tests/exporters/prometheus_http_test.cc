// The PrometheusExporter served by an HttpServer: /metrics plain and
// gzipped, on one kept-alive connection (the page at / is ApiExporter's).
#include <catch2/catch.hpp>
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

}  // namespace
}  // namespace p1
