#include "exporters/json/dsmr_logger.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/exporters/json/expected_document.h"
#include "tests/gateway/core/parse_helpers.h"

namespace p1 {
namespace {

using nlohmann::json;
using testing::ParseCorpus;

json Actual(const std::string& name) {
  auto p = ParseCorpus(name);
  REQUIRE_FALSE(p->text.empty());
  return json::parse(RenderDsmrLoggerActual(p->reading));
}

json Info(const std::string& name) {
  auto p = ParseCorpus(name);
  REQUIRE_FALSE(p->text.empty());
  return json::parse(RenderDsmrLoggerInfo(p->reading));
}

TEST_CASE("NL Iskra AM550: /api/v2/sm/actual and /info, whole documents") {
  auto p = ParseCorpus("node-dsmr-parser__dsmr50__dsmr-5.0-isk-1.txt");
  CHECK(RenderDsmrLoggerActual(p->reading) ==
        testing::ExpectedDocument("dsmr-logger-actual-nl-iskra-am550.json"));
  CHECK(RenderDsmrLoggerInfo(p->reading) ==
        testing::ExpectedDocument("dsmr-logger-info-nl-iskra-am550.json"));
}

TEST_CASE("BE Fluvius: e-MUCS version, gas and water on their M-Bus channels") {
  json a = Actual("dsmr_parser__be-emucs__fluvius-v171.txt")["actual"];
  CHECK(a["timestamp"] == "200512135409S");
  CHECK(a["energy_delivered_tariff1"] == 0.034);
  CHECK(a["energy_delivered_tariff2"] == 15.758);
  CHECK(a["voltage_l1"] == 234.7);
  CHECK(a["mbus1_delivered"] == 112.384);
  CHECK(a["mbus2_delivered"] == 872.234);
  CHECK(a["gas_delivered"] == 112.384);
  CHECK_FALSE(a.contains("mbus3_delivered"));
  json i = Info("dsmr_parser__be-emucs__fluvius-v171.txt")["info"];
  CHECK(i == json{{"identification", "FLU5\\253769484_A"},
                  {"p1_version_be", "50217"},
                  {"equipment_id", "3153414733313031303231363035"},
                  {"electricity_tariff", "0001"},
                  {"mbus1_device_type", 3},
                  {"mbus1_equipment_id_ntc", "37464C4F32313139303333373333"},
                  {"mbus2_device_type", 7},
                  {"mbus2_equipment_id_ntc", "3853414731323334353637383930"}});
}

TEST_CASE("powers are kW and energies kWh whatever the meter sends (AT: Wh and W)") {
  json a = Actual("dsmr_parser__at__sagemcom-t210-d-r-plaintext.txt")["actual"];
  CHECK(a["energy_delivered_lux"] == 6545.766);
  CHECK(a["energy_delivered_tariff1"] == 5017.12);
  CHECK(a["energy_returned_tariff2"] == 0.058);
  CHECK(a["power_delivered"] == 0.286);
  CHECK(a["power_returned"] == 0);
  json q = Actual("dsmr_parser__q3d__easymeter-q3da1004.txt")["actual"];
  CHECK(q["power_delivered"] == 1.68821);
  CHECK(q["power_delivered_l3"] == 0.6093);
  CHECK(q["energy_delivered_lux"] == 32549.5061662);
  CHECK_FALSE(q.contains("timestamp"));
}

TEST_CASE("DSMR 2.2: no clock, gas from the two-line record, untyped devices have no type") {
  json a = Actual("dsmr_parser__dsmr22__iskra-mt382-v22.txt")["actual"];
  CHECK_FALSE(a.contains("timestamp"));
  CHECK(a["gas_delivered"] == 1.001);
  CHECK(a["power_delivered"] == 1.01);
  json i = Info("dsmr_parser__dsmr22__iskra-mt382-v22.txt")["info"];
  CHECK(i["mbus1_device_type"] == 3);
  CHECK(i["mbus1_equipment_id_tc"] == "000000000000");
  CHECK_FALSE(i.contains("p1_version"));
}

TEST_CASE("every corpus telegram gives valid JSON with one object under actual and info") {
  for (const std::string& name : testing::CorpusFiles(".txt", {".key.txt"})) {
    CAPTURE(name);
    json a = Actual(name), i = Info(name);
    REQUIRE(a.size() == 1);
    REQUIRE(a["actual"].is_object());
    REQUIRE(i.size() == 1);
    REQUIRE(i["info"].is_object());
    for (auto& [key, value] : a["actual"].items()) {
      CAPTURE(key);
      CHECK((key == "timestamp" ? value.is_string() : value.is_number()));
    }
  }
}

}  // namespace
}  // namespace p1
