// RenderJson / RenderText: the `parse --format json` shape from DESIGN.md,
// checked by parsing the output back with nlohmann::json.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "gateway/core/render.h"
#include "tests/gateway/core/parse_helpers.h"

namespace p1 {
namespace {

using nlohmann::json;
using testing::ParseCorpus;
using testing::ParseText;

json ToJson(const Reading& r) {
  std::string s = RenderJson(r);
  REQUIRE(s.find('\n') == std::string::npos);
  return json::parse(s);
}

const json* ObjectFor(const json& j, const std::string& obis, size_t nth = 0) {
  for (const json& o : j["objects"]) {
    if (o["obis"] == obis && nth-- == 0) return &o;
  }
  return nullptr;
}

TEST_CASE("JSON has header, crc, objects, mbus and errors, always", "[render]") {
  auto p = ParseText("/ABC5 meter\r\n\r\n1-0:1.8.1(000123.456*kWh)\r\n!\r\n");
  p->reading.crc = CrcStatus::kValid;
  json j = ToJson(p->reading);
  CHECK(j["header"] == "ABC5 meter");
  CHECK(j["crc"] == "valid");
  CHECK(j["objects"].size() == 1);
  CHECK(j["mbus"].is_array());
  CHECK(j["mbus"].empty());
  CHECK(j["errors"].is_array());
  CHECK(j["errors"].empty());
}

TEST_CASE("numbers are printed from the meter's digits; integers stay integers", "[render]") {
  auto p = ParseText(
      "/X\r\n\r\n1-0:1.8.1(000123.456*kWh)\r\n0-0:96.7.21(00000000)\r\n1-0:1.8.0(006545766*Wh)\r\n"
      "1-0:2.8.0(-0001.50*kWh)\r\n1-0:3.8.0(12345678901234567890*varh)\r\n!\r\n");
  std::string s = RenderJson(p->reading);
  CHECK(s.find("\"value\":123.456,") != std::string::npos);
  CHECK(s.find("\"value\":0}") != std::string::npos);
  CHECK(s.find("\"value\":6545766,") != std::string::npos);
  CHECK(s.find("\"value\":-1.50,") != std::string::npos);
  CHECK(s.find("\"value\":12345678901234567890,") != std::string::npos);
  json j = json::parse(s);
  CHECK((*ObjectFor(j, "1-0:1.8.1"))["value"].get<double>() == Approx(123.456));
  CHECK((*ObjectFor(j, "1-0:1.8.1"))["unit"] == "kWh");
  CHECK((*ObjectFor(j, "0-0:96.7.21"))["value"].is_number_integer());
  CHECK((*ObjectFor(j, "1-0:1.8.0"))["value"].get<int64_t>() == 6545766);
  CHECK_FALSE(ObjectFor(j, "0-0:96.7.21")->contains("unit"));
}

TEST_CASE("timestamps are ISO 8601 or null with an error", "[render]") {
  auto p = ParseText("/X\r\n\r\n0-0:1.0.0(240317141523W)\r\n0-1:24.2.1(632525252525W)(00000.000)\r\n"
                     "0-1:24.1.0(003)\r\n!\r\n");
  json j = ToJson(p->reading);
  CHECK((*ObjectFor(j, "0-0:1.0.0"))["value"] == "2024-03-17T14:15:23+01:00");
  const json& gas = *ObjectFor(j, "0-1:24.2.1");
  CHECK(gas["timestamp"].is_null());
  CHECK(gas["value"] == 0);
  CHECK(j["errors"] == json::array({"line 4: invalid timestamp '632525252525W'"}));
  REQUIRE(j["mbus"].size() == 1);
  CHECK(j["mbus"][0]["channel"] == 1);
  CHECK(j["mbus"][0]["device_type"] == 3);
  CHECK(j["mbus"][0]["timestamp"].is_null());
}

TEST_CASE("hex octet strings get a decoded text when printable", "[render]") {
  auto p = ParseText("/X\r\n\r\n0-0:96.13.0(48656C6C6F)\r\n0-0:96.1.1(00000000)\r\n"
                     "0-0:96.13.1(test-/-test)\r\n0-0:96.13.0()\r\n!\r\n");
  json j = ToJson(p->reading);
  CHECK(j["objects"][0]["value"] == "48656C6C6F");
  CHECK(j["objects"][0]["text"] == "Hello");
  CHECK(j["objects"][1]["value"] == "00000000");
  CHECK_FALSE(j["objects"][1].contains("text"));
  CHECK(j["objects"][2]["value"] == "test-/-test");
  CHECK_FALSE(j["objects"][2].contains("text"));
  CHECK(j["objects"][3]["value"].is_null());
}

TEST_CASE("DecodeHexText accepts only even-length printable hex", "[render]") {
  std::string out;
  CHECK(DecodeHexText("48656c6c6f", &out));
  CHECK(out == "Hello");
  CHECK(DecodeHexText("4865\r\n6C6C6F", &out));  // wrapped over lines
  CHECK(out == "Hello");
  for (const char* bad : {"", "486", "48G5", "4800", "0102", "FFFE"}) {
    INFO(bad);
    CHECK_FALSE(DecodeHexText(bad, &out));
    CHECK(out.empty());
  }
}

TEST_CASE("binary bytes in the header and values still give valid JSON", "[render]") {
  std::string t = "/ISk5\x02M\xff\xc3\xa9\"\\\x7f\r\n\r\n0-0:96.13.0(\x01\xe2\x82)\r\nx\xfey\r\n!\r\n";
  auto p = ParseText(t);
  std::string s = RenderJson(p->reading);
  json j = json::parse(s);  // throws on invalid JSON or UTF-8
  CHECK(j["header"] == "ISk5\x02M\xEF\xBF\xBD\xc3\xa9\"\\\x7f");
  CHECK(j["objects"][0]["value"] == "\x01\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(j["errors"].size() == 1);
}

TEST_CASE("events, entries and mbus arrays follow the DESIGN shape", "[render]") {
  auto be = ParseCorpus("dsmr_parser__be-emucs__fluvius-v171.txt");
  json j = ToJson(be->reading);
  const json& entries = (*ObjectFor(j, "0-0:98.1.0"))["entries"];
  REQUIRE(entries.size() == 3);
  CHECK(entries[0] == json::parse(R"({"period":"2020-05-01T00:00:00+02:00",
      "time":"2020-04-23T19:25:38+02:00","value":3.695,"unit":"kW"})"));
  const json& peak = *ObjectFor(j, "1-0:1.6.0");
  CHECK(peak == json::parse(R"({"obis":"1-0:1.6.0","value":2.589,"unit":"kW",
      "timestamp":"2020-05-09T13:45:58+02:00"})"));
  REQUIRE(j["mbus"].size() == 2);
  CHECK(j["mbus"][1] == json::parse(R"({"channel":2,"device_type":7,
      "equipment_id":"3853414731323334353637383930","value":872.234,"unit":"m3",
      "timestamp":"2020-05-12T13:45:58+02:00"})"));
  CHECK((*ObjectFor(j, "0-1:96.1.1"))["text"] == "7FLO2119033733");

  auto kaifa = ParseCorpus("dsmr_parser__dsmr42__kaifa.txt");
  json k = ToJson(kaifa->reading);
  const json& events = (*ObjectFor(k, "1-0:99.97.0"))["events"];
  REQUIRE(events.size() == 3);
  CHECK(events[0] == json::parse(R"({"end":"2000-01-04T18:03:20+01:00","duration_s":237126})"));
  CHECK(events[1]["end"].is_null());
  CHECK(events[2]["duration_s"] == 2317482647LL);

  auto hu = ParseCorpus("dsmr_parser__hu-eon__sagemcom-eon-hungary.txt");
  json h = ToJson(hu->reading);
  const json& bill = (*ObjectFor(h, "0-0:98.1.0"))["entries"];
  REQUIRE(bill.size() == 19);
  CHECK_FALSE(bill[0].contains("time"));
  CHECK(bill[0]["period"] == "2023-07-01T00:00:00+02:00");
}

TEST_CASE("unrecognised structures render as raw text", "[render]") {
  auto p = ParseText("/X\r\n\r\n9-9:99.99.99(1)(2)(3)\r\n!\r\n");
  json j = ToJson(p->reading);
  CHECK(j["objects"][0] == json::parse(R"j({"obis":"9-9:99.99.99","raw":"(1)(2)(3)"})j"));
}

TEST_CASE("every corpus telegram renders to valid JSON", "[render][corpus]") {
  for (const auto& name : testing::CorpusFiles(".txt", {".key.txt"})) {
    INFO(name);
    auto p = ParseCorpus(name);
    json j = json::parse(RenderJson(p->reading));
    CHECK(j["objects"].size() == p->reading.objects.size());
    CHECK(j["errors"].size() == p->reading.errors.size());
  }
}

TEST_CASE("text rendering lists values, devices and errors", "[render]") {
  auto p = ParseCorpus("dsmr_parser__dsmr42__kaifa.txt");
  std::string t = RenderText(p->reading);
  CHECK(t.rfind("telegram /KFM5KAIFA-METER  crc absent\n", 0) == 0);
  CHECK(t.find("  1-0:1.8.1     1581.123 kWh\n") != std::string::npos);
  CHECK(t.find("ended 2000-01-04T18:03:20+01:00, 237126 s") != std::string::npos);
  CHECK(t.find("mbus channel 1: device type 3") != std::string::npos);
  CHECK(t.find("  error: line 15: invalid timestamp '000101000001W'\n") != std::string::npos);
  CHECK(t.back() == '\n');
}

}  // namespace
}  // namespace p1
