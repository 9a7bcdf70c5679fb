#include "exporters/mqtt/mqtt_payloads.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "tests/gateway/core/parse_helpers.h"

namespace p1 {
namespace {

using nlohmann::json;
using testing::ParseCorpus;
using testing::ParseText;

// What Home Assistant's device-based discovery schema accepts (mqtt
// discovery.py, abbreviations.py, the device and origin schemas): any other
// key rejects the whole payload. Full names; the abbreviations are accepted
// too.
const std::set<std::string> kTopKeys = {"device", "dev", "origin", "o", "components", "cmps",
                                        "availability", "avty", "availability_mode", "avty_mode",
                                        "state_topic", "stat_t", "qos"};
const std::set<std::string> kDeviceKeys = {
    "identifiers", "ids",    "connections", "cns",          "manufacturer", "mf",
    "model",       "mdl",    "model_id",    "mdl_id",       "name",         "hw_version",
    "hw",          "sw_version", "sw",      "serial_number", "sn",          "suggested_area",
    "sa",          "via_device", "configuration_url", "cu"};
const std::set<std::string> kOriginKeys = {"name", "sw_version", "sw", "support_url", "url"};
const std::set<std::string> kSensorKeys = {"platform", "p", "unique_id", "uniq_id", "name",
                                           "device_class", "dev_cla", "state_class", "stat_cla",
                                           "unit_of_measurement", "unit_of_meas",
                                           "entity_category", "ent_cat",
                                           "suggested_display_precision", "sug_dsp_prc",
                                           "value_template", "val_tpl"};

// Device class -> the units and state classes Home Assistant (sensor
// DEVICE_CLASS_UNITS / DEVICE_CLASS_STATE_CLASSES) and its energy dashboard
// (energy/validate.py) accept for what we publish.
struct ClassRule {
  std::set<std::string> units;
  std::set<std::string> state_classes;
};
const std::map<std::string, ClassRule> kClassRules = {
    {"energy", {{"Wh", "kWh", "MWh", "GJ", "MJ"}, {"total", "total_increasing"}}},
    {"gas", {{"m³", "ft³", "CCF"}, {"total", "total_increasing"}}},
    {"water", {{"m³", "L", "gal", "ft³", "CCF"}, {"total", "total_increasing"}}},
    {"power", {{"W", "kW"}, {"measurement"}}},
    {"voltage", {{"V", "mV"}, {"measurement"}}},
    {"current", {{"A", "mA"}, {"measurement"}}},
    {"timestamp", {{""}, {""}}},
};

DiscoveryContext Context(const std::string& meter = "home") {
  DiscoveryContext c;
  c.meter = meter;
  c.node_id = "p1gateway_" + meter;
  c.gateway_id = "p1gateway";
  c.state_topic = "p1gateway/" + meter + "/state";
  c.gateway_status = "p1gateway/status";
  c.meter_status = "p1gateway/" + meter + "/status";
  c.version = "1.2.3";
  return c;
}

std::set<std::string> Keys(const json& o) {
  std::set<std::string> out;
  for (auto it = o.begin(); it != o.end(); ++it) out.insert(it.key());
  return out;
}

void RequireSubset(const std::set<std::string>& keys, const std::set<std::string>& allowed,
                   const std::string& where) {
  for (const std::string& k : keys) {
    INFO(where << ": key " << k);
    CHECK(allowed.count(k) == 1);
  }
}

// Checks one meter's discovery against its state document as Home
// Assistant would; returns the unique_ids.
std::set<std::string> CheckDiscovery(const json& d, const json& state) {
  RequireSubset(Keys(d), kTopKeys, "top level");
  REQUIRE(d.contains("device"));
  REQUIRE(d.contains("origin"));
  REQUIRE(d.contains("components"));
  RequireSubset(Keys(d["device"]), kDeviceKeys, "device");
  RequireSubset(Keys(d["origin"]), kOriginKeys, "origin");
  CHECK(d["origin"]["name"] == "p1gateway");
  REQUIRE(d["device"]["identifiers"].is_array());
  CHECK_FALSE(d["device"]["identifiers"].empty());
  CHECK(d["device"]["via_device"] == "p1gateway");
  CHECK(d["state_topic"] == "p1gateway/home/state");
  REQUIRE(d["availability"].size() == 2);
  CHECK(d["availability"][0]["topic"] == "p1gateway/status");
  CHECK(d["availability"][1]["topic"] == "p1gateway/home/status");
  std::set<std::string> ids;
  const std::regex tpl(R"(^\{\{ value_json\.([a-z0-9_]+) \}\}$)");
  for (auto it = d["components"].begin(); it != d["components"].end(); ++it) {
    const json& c = it.value();
    INFO("component " << it.key());
    RequireSubset(Keys(c), kSensorKeys, it.key());
    CHECK(c["platform"] == "sensor");
    REQUIRE(c.contains("unique_id"));
    CHECK(c["unique_id"] == it.key());
    CHECK(ids.insert(c["unique_id"].get<std::string>()).second);
    std::smatch m;
    const std::string t = c["value_template"];
    REQUIRE(std::regex_match(t, m, tpl));
    CHECK(state.contains(m[1].str()));  // no entity for a value the meter does not send
    const std::string dc = c.value("device_class", "");
    const std::string unit = c.value("unit_of_measurement", "");
    const std::string sc = c.value("state_class", "");
    if (!dc.empty()) {
      INFO("device_class " << dc << " unit " << unit << " state_class " << sc);
      REQUIRE(kClassRules.count(dc) == 1);
      CHECK(kClassRules.at(dc).units.count(unit) == 1);
      CHECK(kClassRules.at(dc).state_classes.count(sc) == 1);
    }
    if (dc == "timestamp") CHECK(state[m[1].str()].is_string());
    if (dc != "timestamp") CHECK(state[m[1].str()].is_number());
  }
  return ids;
}

TEST_CASE("mqtt state and discovery for every corpus telegram pass Home Assistant's checks") {
  size_t checked = 0;
  for (const std::string& text : testing::CorpusTelegrams()) {
    auto p = ParseText(text);
    MqttState s = RenderMqttState(p->reading, 7);
    json state = json::parse(s.json);
    INFO(text.substr(0, text.find('\n')));
    // The document holds exactly the fields the bitset says.
    std::set<std::string> from_bits;
    for (size_t i = 0; i < MqttFields().size(); ++i) {
      if (s.fields.test(i)) from_bits.insert(MqttFields()[i].key);
    }
    CHECK(Keys(state) == from_bits);
    CHECK(state["crc_errors"] == 7);
    json d = json::parse(RenderMeterDiscovery(Context(), IdentifyMeter(p->reading), s.fields));
    std::set<std::string> ids = CheckDiscovery(d, state);
    CHECK(ids.size() == s.fields.count());
    ++checked;
  }
  CHECK(checked >= 40);  // the whole text corpus (47 telegrams today)
}

TEST_CASE("mqtt state: DSMR 5 values in kWh, kW, V, A and m³ with ESPHome's keys") {
  auto p = ParseCorpus("node-dsmr-parser__dsmr50__dsmr-5.0-spec-example.txt");
  json s = json::parse(RenderMqttState(p->reading, 0).json);
  CHECK(s["energy_delivered_tariff1"] == Approx(123456.789));
  CHECK(s["power_delivered"] == Approx(1.193));
  CHECK(s["power_returned"] == 0);
  CHECK(s["voltage_l2"] == Approx(220.2));
  CHECK(s["current_l3"] == 3);
  CHECK(s["power_returned_l3"] == Approx(6.666));
  CHECK(s["electricity_tariff"] == 2);
  CHECK(s["electricity_failures"] == 4);
  CHECK(s["electricity_sags_l2"] == 1);
  CHECK(s["gas_delivered"] == Approx(12785.123));
  CHECK(s["timestamp"] == "2010-12-09T11:30:20+01:00");
  CHECK_FALSE(s.contains("water_delivered"));
  CHECK_FALSE(s.contains("energy_delivered_lux"));
  CHECK_FALSE(s.contains("active_energy_import_maximum_demand_running_month"));

  MeterIdentity id = IdentifyMeter(p->reading);
  CHECK(id.manufacturer == "Iskra");
  CHECK(id.model == "2MT382-1000");
  CHECK(id.protocol == "DSMR 5.0");
  CHECK(id.serial == "K8EG004046395507");  // 96.1.1 hex-decoded

  json d = json::parse(RenderMeterDiscovery(Context(), id, RenderMqttState(p->reading, 0).fields));
  const json& gas = d["components"]["K8EG004046395507_gas_delivered"];
  CHECK(gas["device_class"] == "gas");
  CHECK(gas["unit_of_measurement"] == "m³");
  CHECK(gas["state_class"] == "total_increasing");
  const json& t1 = d["components"]["K8EG004046395507_energy_delivered_tariff1"];
  CHECK(t1["device_class"] == "energy");
  CHECK(t1["unit_of_measurement"] == "kWh");
  CHECK(t1["state_class"] == "total_increasing");
  CHECK(d["components"]["K8EG004046395507_electricity_sags_l1"]["entity_category"] ==
        "diagnostic");
  CHECK(d["device"]["serial_number"] == "K8EG004046395507");
  CHECK(d["device"]["manufacturer"] == "Iskra");
}

TEST_CASE("mqtt state: the Belgian month peak and its time") {
  auto p = ParseCorpus("dsmr_parser__be-emucs__fluvius-v171.txt");
  MqttState st = RenderMqttState(p->reading, 0);
  json s = json::parse(st.json);
  CHECK(s["active_energy_import_current_average_demand"] == Approx(2.351));
  CHECK(s["active_energy_import_maximum_demand_running_month"] == Approx(2.589));
  CHECK(s["active_energy_import_maximum_demand_running_month_timestamp"] ==
        "2020-05-09T13:45:58+02:00");
  MeterIdentity id = IdentifyMeter(p->reading);
  CHECK(id.manufacturer == "Sagemcom");  // FLU
  CHECK(id.protocol == "ESMR 5.0.2");
  json d = json::parse(RenderMeterDiscovery(Context(), id, st.fields));
  bool found = false;
  for (auto& [key, c] : d["components"].items()) {
    if (c["value_template"] ==
        "{{ value_json.active_energy_import_maximum_demand_running_month_timestamp }}") {
      CHECK(c["device_class"] == "timestamp");
      CHECK_FALSE(c.contains("unit_of_measurement"));
      found = true;
    }
  }
  CHECK(found);
}

TEST_CASE("mqtt discovery: one device per meter, entities named after the physical meter") {
  auto p = ParseCorpus("node-dsmr-parser__dsmr50__dsmr-5.0-spec-example.txt");
  MqttState s = RenderMqttState(p->reading, 0);
  MeterIdentity id = IdentifyMeter(p->reading);
  json a = json::parse(RenderMeterDiscovery(Context("home"), id, s.fields));
  json b = json::parse(RenderMeterDiscovery(Context("garage"), MeterIdentity{}, s.fields));
  CHECK(a["device"]["identifiers"][0] == "p1gateway_home");
  CHECK(b["device"]["identifiers"][0] == "p1gateway_garage");
  CHECK(b["device"]["identifiers"].size() == 1);  // no serial known
  CHECK(b["components"].contains("p1gateway_garage_power_delivered"));
  // A meter that sent fewer values announces fewer entities.
  FieldSet only_power;
  for (size_t i = 0; i < MqttFields().size(); ++i) {
    if (std::string(MqttFields()[i].key) == "power_delivered") only_power.set(i);
  }
  json c = json::parse(RenderMeterDiscovery(Context("home"), id, only_power));
  CHECK(c["components"].size() == 1);
}

TEST_CASE("mqtt gateway discovery: a connectivity sensor on the status topic") {
  json g = json::parse(RenderGatewayDiscovery("p1gateway", "p1gateway/status", "pi", "1.2.3"));
  RequireSubset(Keys(g), kTopKeys, "top level");
  RequireSubset(Keys(g["device"]), kDeviceKeys, "device");
  const json& c = g["components"]["p1gateway_connectivity"];
  CHECK(c["platform"] == "binary_sensor");
  CHECK(c["device_class"] == "connectivity");
  CHECK(c["state_topic"] == "p1gateway/status");
  CHECK(c["payload_on"] == "online");
  CHECK(c["payload_off"] == "offline");
}

TEST_CASE("mqtt DSMR-reader topics carry DSMR-reader's names and units") {
  auto p = ParseCorpus("node-dsmr-parser__dsmr50__dsmr-5.0-spec-example.txt");
  std::map<std::string, std::string> t;
  for (auto& [topic, value] : DsmrReaderTopics(p->reading, 3)) t[topic] = value;
  CHECK(t["dsmr/reading/electricity_delivered_1"] == "123456.789");
  CHECK(t["dsmr/reading/electricity_currently_delivered"] == "1.193");
  CHECK(t["dsmr/reading/phase_currently_delivered_l2"] == "2.222");
  CHECK(t["dsmr/reading/phase_voltage_l3"] == "220.3");
  CHECK(t["dsmr/reading/extra_device_delivered"] == "12785.123");
  CHECK(t["dsmr/reading/extra_device_timestamp"] == "2010-12-09T11:25:00+01:00");
  CHECK(t["dsmr/reading/timestamp"] == "2010-12-09T11:30:20+01:00");
  CHECK(t["dsmr/meter-stats/dsmr_version"] == "50");
  CHECK(t["dsmr/meter-stats/power_failure_count"] == "4");
  CHECK(t["dsmr/meter-stats/rejected_telegrams"] == "3");
  for (auto& [topic, value] : t) {
    INFO(topic);
    CHECK((topic.rfind("dsmr/reading/", 0) == 0 || topic.rfind("dsmr/meter-stats/", 0) == 0));
    CHECK_FALSE(value.empty());
  }
}

TEST_CASE("mqtt TopicId keeps topic levels and identifiers safe") {
  CHECK(TopicId("home-1_a") == "home-1_a");
  CHECK(TopicId("a/b+c#d e") == "a_b_c_d_e");
}

}  // namespace
}  // namespace p1
