#include "exporters/json/homewizard.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "tests/exporters/json/expected_document.h"
#include "tests/gateway/core/parse_helpers.h"

namespace p1 {
namespace {

using nlohmann::json;
using testing::ParseCorpus;
using testing::ParseText;

std::string RenderCorpus(const std::string& name) {
  auto p = ParseCorpus(name);
  REQUIRE_FALSE(p->text.empty());
  return RenderHomeWizardData(p->reading, {"my-gateway", 100});
}

json Data(const std::string& name) { return json::parse(RenderCorpus(name)); }

// Every key the v1 documentation lists for HWE-P1 (with the client's
// gas_unique_id for the table's unique_gas_id).
const std::set<std::string> kDocumentedKeys = {"wifi_ssid",
                                               "wifi_strength",
                                               "smr_version",
                                               "meter_model",
                                               "unique_id",
                                               "active_tariff",
                                               "total_power_import_kwh",
                                               "total_power_import_t1_kwh",
                                               "total_power_import_t2_kwh",
                                               "total_power_import_t3_kwh",
                                               "total_power_import_t4_kwh",
                                               "total_power_export_kwh",
                                               "total_power_export_t1_kwh",
                                               "total_power_export_t2_kwh",
                                               "total_power_export_t3_kwh",
                                               "total_power_export_t4_kwh",
                                               "active_power_w",
                                               "active_power_l1_w",
                                               "active_power_l2_w",
                                               "active_power_l3_w",
                                               "active_voltage_l1_v",
                                               "active_voltage_l2_v",
                                               "active_voltage_l3_v",
                                               "active_current_l1_a",
                                               "active_current_l2_a",
                                               "active_current_l3_a",
                                               "active_frequency_hz",
                                               "voltage_sag_l1_count",
                                               "voltage_sag_l2_count",
                                               "voltage_sag_l3_count",
                                               "voltage_swell_l1_count",
                                               "voltage_swell_l2_count",
                                               "voltage_swell_l3_count",
                                               "any_power_fail_count",
                                               "long_power_fail_count",
                                               "active_power_average_w",
                                               "montly_power_peak_w",
                                               "montly_power_peak_timestamp",
                                               "total_gas_m3",
                                               "gas_timestamp",
                                               "gas_unique_id",
                                               "external"};

TEST_CASE("GET /api describes a HomeWizard P1 meter, API v1, with a serial from the meter name") {
  json d = json::parse(RenderHomeWizardDevice("home", "p1gateway 0.1.0"));
  CHECK(d == json{{"product_type", "HWE-P1"},
                  {"product_name", "P1 Meter"},
                  {"serial", HomeWizardSerial("home")},
                  {"firmware_version", "p1gateway 0.1.0"},
                  {"api_version", "v1"}});
  CHECK(RenderHomeWizardDevice("home", "1.0") ==
        R"({"product_type":"HWE-P1","product_name":"P1 Meter","serial":")" +
            HomeWizardSerial("home") + R"(","firmware_version":"1.0","api_version":"v1"})");
}

TEST_CASE("the serial is the top 48 bits of FNV-1a 64 of the name: 12 lowercase hex digits") {
  CHECK(HomeWizardSerial("") == "cbf29ce48422");   // FNV-1a 64 of "" = cbf29ce484222325
  CHECK(HomeWizardSerial("a") == "af63dc4c8601");  // of "a" = af63dc4c8601ec8c
  CHECK(HomeWizardSerial("home") == HomeWizardSerial("home"));
  std::set<std::string> serials;
  for (int i = 0; i < 1000; ++i) {
    std::string s = HomeWizardSerial("meter" + std::to_string(i));
    CHECK(s.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(s.size() == 12);
    serials.insert(s);
  }
  CHECK(serials.size() == 1000);
}

TEST_CASE("NL three-phase Iskra AM550 exporting with gas: the whole document") {
  // The telegram HomeWizard's own documentation example was made from.
  CHECK(RenderCorpus("node-dsmr-parser__dsmr50__dsmr-5.0-isk-1.txt") ==
        testing::ExpectedDocument("homewizard-nl-iskra-am550-exporting.json"));
}

TEST_CASE("BE Fluvius with capacity peak, gas and water: the whole document") {
  CHECK(RenderCorpus("dsmr_parser__be-emucs__fluvius-v171.txt") ==
        testing::ExpectedDocument("homewizard-be-fluvius-v171.json"));
}

TEST_CASE("DSMR 2.2 with the two-line gas record: the whole document") {
  CHECK(RenderCorpus("dsmr_parser__dsmr22__iskra-mt382-v22.txt") ==
        testing::ExpectedDocument("homewizard-dsmr22-iskra-mt382.json"));
}

TEST_CASE("exporting makes active_power_w negative, per phase too, and the phase current follows") {
  json d = Data("node-dsmr-parser__dsmr50__dsmr-5.0-isk-1.txt");
  CHECK(d["active_power_w"] == -498);  // 1.7.0 0 kW, 2.7.0 0.498 kW
  CHECK(d["active_power_l1_w"] == -676);
  CHECK(d["active_power_l2_w"] == 33);
  CHECK(d["active_power_l3_w"] == 132);
  CHECK(d["active_current_l1_a"] == -2);
  CHECK(d["active_current_l2_a"] == 0);
  CHECK(d["active_current_l3_a"] == 0);
  // Importing: positive.
  json imp = Data("dsmr-tools__dsmr42__onrealdsmr4-parse-real-telegram-with-gas.txt");
  CHECK(imp["active_power_w"] == 374);
  CHECK(imp["active_current_l1_a"] == 2);
}

TEST_CASE("NL one-phase DSMR 4.2 with gas: no L2/L3 fields, gas and the equipment ids as sent") {
  json d = Data("dsmr-tools__dsmr42__onrealdsmr4-parse-real-telegram-with-gas.txt");
  CHECK(d["smr_version"] == 42);
  CHECK(d["meter_model"] == "XMX5LGBBFG1009325446");
  CHECK(d["unique_id"] == "4530303331303033323339343536373136");
  CHECK(d["active_tariff"] == 2);
  CHECK(d["total_power_import_kwh"] == 10012.929);  // 3235.689 + 6777.240, no 1.8.0 sent
  CHECK(d["total_power_import_t1_kwh"] == 3235.689);
  CHECK(d["total_power_import_t2_kwh"] == 6777.24);
  CHECK(d["total_power_export_kwh"] == 0.313);
  CHECK(d["active_power_l1_w"] == 374);
  CHECK(d["voltage_sag_l1_count"] == 0);
  CHECK(d["any_power_fail_count"] == 3);
  CHECK(d["long_power_fail_count"] == 1);
  CHECK(d["total_gas_m3"] == 1091.352);
  CHECK(d["gas_timestamp"] == 190905210000);
  CHECK(d["gas_unique_id"] == "4730303139333430333135333730363136");
  for (const char* absent :
       {"active_power_l2_w", "active_power_l3_w", "active_voltage_l1_v", "active_current_l2_a",
        "voltage_sag_l2_count", "total_power_import_t3_kwh", "active_frequency_hz",
        "active_power_average_w", "montly_power_peak_w", "montly_power_peak_timestamp"}) {
    CHECK_FALSE(d.contains(absent));
  }
  REQUIRE(d["external"].size() == 1);
  CHECK(d["external"][0] == json{{"unique_id", "4730303139333430333135333730363136"},
                                 {"type", "gas_meter"},
                                 {"timestamp", 190905210000},
                                 {"value", 1091.352},
                                 {"unit", "m3"}});
}

TEST_CASE(
    "BE: average and month peak in W, the peak's time, e-MUCS version as SMR 50, water external") {
  json d = Data("dsmr_parser__be-emucs__fluvius-v171.txt");
  CHECK(d["smr_version"] == 50);  // 0-0:96.1.4(50217)
  CHECK(d["active_power_average_w"] == 2351);
  CHECK(d["montly_power_peak_w"] == 2589);
  CHECK(d["montly_power_peak_timestamp"] == 200509134558);
  CHECK(d["total_gas_m3"] == 112.384);  // 0-1:24.2.3, not temperature-corrected
  REQUIRE(d["external"].size() == 2);
  CHECK(d["external"][1]["type"] == "water_meter");
  CHECK(d["external"][1]["value"] == 872.234);
  CHECK(d["external"][1]["unit"] == "m3");
  CHECK(d["external"][1]["timestamp"] == 200512134558);
}

TEST_CASE("LU Smarty: totals from 1.8.0/2.8.0, no tariffs, no per-phase power, gas") {
  json d = Data("openhab-dsmr__lu-smarty__smarty-with-units.txt");
  CHECK(d["smr_version"] == 42);
  CHECK(d["total_power_import_kwh"] == 12345);
  CHECK(d["total_power_export_kwh"] == 0.123);
  CHECK(d["active_power_w"] == 1234);
  CHECK(d["total_gas_m3"] == 1234.567);
  CHECK(d["gas_timestamp"] == 200606201530);
  CHECK_FALSE(d.contains("total_power_import_t1_kwh"));
  CHECK_FALSE(d.contains("active_power_l1_w"));
  CHECK_FALSE(d.contains("active_tariff"));
  CHECK_FALSE(d.contains("unique_id"));  // Smarty names itself in 0-0:42.0.0, not 96.1.1
}

TEST_CASE("LU spec example: devices without a reading are not external; gas on channels 1 and 4") {
  json d = Data("node-dsmr-parser__lu-smarty__dsmr-luxembourgh-spec-example.txt");
  REQUIRE(d["external"].size() == 2);
  CHECK(d["external"][0]["value"] == 0.006);
  CHECK(d["external"][1]["value"] == 28.103);
  CHECK(d["total_gas_m3"] == 0.006);  // the first gas meter
}

TEST_CASE("SE (simulated Swedish meter): totals and per-phase values, no tariffs, no M-Bus") {
  auto p = ParseText(testing::JsonTestData("sim-se.txt"));
  json d = json::parse(RenderHomeWizardData(p->reading, {"x", 100}));
  CHECK(d.contains("total_power_import_kwh"));
  CHECK(d.contains("total_power_export_kwh"));
  CHECK(d.contains("active_power_w"));
  CHECK(d.contains("active_voltage_l3_v"));
  CHECK_FALSE(d.contains("total_power_import_t1_kwh"));
  CHECK_FALSE(d.contains("external"));
  CHECK_FALSE(d.contains("total_gas_m3"));
}

TEST_CASE("Q3D EasyMeter: W units and a 7-decimal kWh total come out exact") {
  json d = Data("dsmr_parser__q3d__easymeter-q3da1004.txt");
  CHECK(d["total_power_import_kwh"] == 32549.5061662);
  CHECK(d["active_power_w"] == 1688.21);
  CHECK(d["active_power_l1_w"] == 557.29);
  CHECK(d["active_power_l2_w"] == 521.62);
  CHECK(d["active_power_l3_w"] == 609.3);
  CHECK_FALSE(d.contains("smr_version"));
  CHECK_FALSE(d.contains("total_power_export_kwh"));
  CHECK(RenderCorpus("dsmr_parser__q3d__easymeter-q3da1004.txt").find("32549.5061662,") !=
        std::string::npos);
}

TEST_CASE("AT Sagemcom: Wh and W become kWh and W") {
  json d = Data("dsmr_parser__at__sagemcom-t210-d-r-plaintext.txt");
  CHECK(d["total_power_import_kwh"] == 6545.766);
  CHECK(d["total_power_import_t1_kwh"] == 5017.12);
  CHECK(d["total_power_import_t2_kwh"] == 1528.646);
  CHECK(d["total_power_export_kwh"] == 0.058);
  CHECK(d["active_power_w"] == 286);
  CHECK(d["smr_version"] == 50);
}

TEST_CASE("DSMR 2.2: the gas time without S/W suffix still becomes YYMMDDhhmmss") {
  json d = Data("dsmr_parser__dsmr22__iskra-mt382-v22.txt");
  CHECK(d["total_gas_m3"] == 1.001);
  CHECK(d["gas_timestamp"] == 161107190000);
  CHECK_FALSE(d.contains("smr_version"));
}

TEST_CASE("heat meters: GJ as sent, heat types; electricity and cooling devices are not external") {
  json d = Data("dsmr-tools__dsmr50__parser-parse-extended-testcase.txt");
  REQUIRE(d["external"].size() == 2);
  CHECK(d["external"][0]["type"] == "gas_meter");
  CHECK(d["external"][1] == json{{"unique_id", "5f5f5f5f54485245455f5f"},
                                 {"type", "heat_meter"},
                                 {"timestamp", 101209112300},
                                 {"value", 12785.333},
                                 {"unit", "GJ"}});
  json w = Data("dsmr_parser__dsmr50__warmtelink-heat-unpadded-crc.txt");
  REQUIRE(w["external"].size() == 1);
  CHECK(w["external"][0]["unit"] == "GJ");
  CHECK(w["external"][0]["value"] == 240.86);
  CHECK_FALSE(w.contains("total_gas_m3"));
}

TEST_CASE("a disconnected M-Bus device is not listed and does not feed total_gas_m3") {
  json d = Data("dsmr_parser__dsmr50__iskra-am550-two-mbus.txt");
  REQUIRE(d["external"].size() == 1);
  CHECK(d["external"][0]["value"] == 246.138);
  CHECK(d["total_gas_m3"] == 246.138);
}

TEST_CASE("a meter without M-Bus devices has no external key at all") {
  json d = Data("dsmr-tools__dsmr50__onrealdsmr5-parse-real-telegram.txt");
  CHECK_FALSE(d.contains("external"));
  CHECK_FALSE(d.contains("total_gas_m3"));
}

TEST_CASE(
    "every corpus telegram gives valid JSON: documented keys only, no nulls, wifi_ssid first") {
  for (const std::string& name : testing::CorpusFiles(".txt", {".key.txt"})) {
    CAPTURE(name);
    std::string doc = RenderCorpus(name);
    CHECK(doc.rfind(R"({"wifi_ssid":"my-gateway","wifi_strength":100)", 0) == 0);
    json d = json::parse(doc);  // throws on invalid JSON
    for (auto& [key, value] : d.items()) {
      CAPTURE(key);
      CHECK(kDocumentedKeys.count(key) == 1);
      CHECK_FALSE(value.is_null());
      if (key.size() > 6 && key.substr(key.size() - 6) == "_count")
        CHECK(value.is_number_unsigned());
    }
    if (d.contains("external")) CHECK_FALSE(d["external"].empty());
  }
}

TEST_CASE("an empty reading gives only the Wi-Fi fields") {
  Reading r;
  CHECK(RenderHomeWizardData(r, {"ssid \"x\"", 55}) ==
        R"({"wifi_ssid":"ssid \"x\"","wifi_strength":55})");
}

}  // namespace
}  // namespace p1
