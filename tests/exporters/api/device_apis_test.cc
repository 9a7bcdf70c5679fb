// The dongle-compatible APIs on a real loop: a meter's HomeWizard P1 API v1
// port (every path, content types, the read-only system endpoint, JSON 404s)
// and the DSMR-logger v2 view on the main server.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>

#include "exporters/api/device_apis.h"
#include "exporters/json/homewizard.h"
#include "tests/exporters/exporter_test_util.h"
#include "tests/exporters/http/http_test_client.h"

namespace p1 {
namespace {

using testing::Client;
using testing::Fixture;
using Json = nlohmann::json;

Json Body(Client* c, const std::string& path, int status, const char* method = "GET") {
  c->Get(path, "", method);
  auto r = c->Read();
  REQUIRE(r);
  CHECK(r->status() == status);
  CHECK(r->Has("Content-Type: application/json"));
  return Json::parse(r->body);
}

TEST_CASE("HomeWizard: a meter's port answers the P1 API v1 as a HWE-P1 does") {
  Fixture f;  // only for the loop
  std::map<std::string, TelegramPtr> latest;
  HomeWizardServer hw(&f.loop, {"home", "1.2.3", "cupboard-pi"},
                      [&](const std::string& m) { return latest.count(m) ? latest[m] : nullptr; });
  sockaddr_storage addr{};
  REQUIRE(NumericSocketAddress("127.0.0.1", 0, &addr) == 0);
  REQUIRE(hw.Listen(addr) == 0);
  Client c(&f.loop, hw.port());

  Json api = Body(&c, "/api", 200);
  CHECK(api["product_type"] == "HWE-P1");
  CHECK(api["api_version"] == "v1");
  CHECK(api["firmware_version"] == "1.2.3");
  CHECK(api["serial"] == HomeWizardSerial("home"));

  // Before the first telegram: a document clients accept, with no values.
  Json empty = Body(&c, "/api/v1/data", 200);
  CHECK(empty["wifi_ssid"] == "cupboard-pi");
  CHECK_FALSE(empty.contains("active_power_w"));
  CHECK(Body(&c, "/api/v1/telegram", 503)["error"] == "no telegram yet");

  latest["home"] = testing::LoadTelegram("dsmr_parser__be-emucs__fluvius-v171.txt");
  Json data = Body(&c, "/api/v1/data", 200);
  CHECK(data["wifi_ssid"] == "cupboard-pi");
  CHECK(data["total_power_import_t1_kwh"] == 0.034);
  CHECK(data["montly_power_peak_w"] == 2589);
  CHECK(data["external"].size() == 2);
  c.Get("/api/v1/telegram");
  auto t = c.Read();
  REQUIRE(t);
  CHECK(t->Has("Content-Type: text/plain; charset=utf-8"));
  CHECK(t->body == latest["home"]->plaintext);

  CHECK(Body(&c, "/api/v1/system", 200)["cloud_enabled"] == false);
  CHECK(Body(&c, "/api/v1/system", 200, "PUT")["cloud_enabled"] == false);
  CHECK(Body(&c, "/api/v1/system", 405, "DELETE").contains("error"));
  CHECK(Body(&c, "/api/v1/identify", 404)["error"] == "no such API path");
  CHECK(Body(&c, "/api/v1/state", 404, "PUT").contains("error"));
  CHECK(Body(&c, "/", 404).contains("error"));
  Json actual = Body(&c, "/api/v2/sm/actual", 200);
  CHECK(actual["actual"]["energy_delivered_tariff1"] == 0.034);
}

TEST_CASE("DSMR-logger view on the main server: ?meter=, or the only meter") {
  Fixture f;
  std::map<std::string, TelegramPtr> latest = {
      {"be", testing::LoadTelegram("dsmr_parser__be-emucs__fluvius-v171.txt")},
      {"nl", testing::LoadTelegram("dsmr_parser__dsmr50__iskra-spec.txt")}};
  std::vector<std::string> names = {"be", "nl"};
  RegisterDsmrLogger(
      f.server.get(), [&](const std::string& m) { return latest.count(m) ? latest[m] : nullptr; },
      [&] { return names; });
  Client c(&f.loop, f.port());
  CHECK(Body(&c, "/api/v2/sm/actual?meter=nl", 200)["actual"]["power_delivered"] == 0.244);
  CHECK(Body(&c, "/api/v2/sm/info?meter=be", 200)["info"].contains("identification"));
  CHECK(Body(&c, "/api/v2/sm/actual", 400)["error"] == "name the meter: ?meter=NAME");
  CHECK(Body(&c, "/api/v2/sm/actual?meter=x", 404)["error"] == "unknown meter 'x'");
  CHECK(Body(&c, "/api/v2/sm/fields?meter=nl", 404).contains("error"));
  names = {"nl"};
  CHECK(Body(&c, "/api/v2/sm/actual", 200)["actual"]["power_delivered"] == 0.244);
  c.Get("/api/v2/sm/telegram");
  auto t = c.Read();
  REQUIRE(t);
  CHECK(t->body == latest["nl"]->plaintext);
}

}  // namespace
}  // namespace p1
