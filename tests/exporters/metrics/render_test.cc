// Behaviour of the pure renderer: staleness, absent values, totals,
// labels, escaping. Telegram texts are written inline.
#include <prometheus/check_names.h>
#include <prometheus/text_serializer.h>

#include <catch2/catch.hpp>
#include <limits>
#include <set>
#include <sstream>

#include "exporters/metrics/metrics_renderer.h"
#include "tests/exporters/exporter_test_util.h"

namespace p1 {
namespace {

using testing::MakeSnapshot;
using testing::TelegramFromText;
using testing::Value;

constexpr int64_t kT0 = 1'700'000'000'000;

std::vector<prometheus::MetricFamily> Collect(const MeterSnapshotPtr& s, int64_t now = kT0) {
  return CollectMetrics({s}, now, "1.2.3");
}

const char* kSmall =
    "/TST5\\small\r\n\r\n"
    "1-3:0.2.8(50)\r\n"
    "1-0:1.8.1(000100.001*kWh)\r\n"
    "1-0:1.8.2(000200.002*kWh)\r\n"
    "1-0:1.7.0(01.234*kW)\r\n"
    "1-0:32.7.0(230.1*V)\r\n"
    "!0000\r\n";

TEST_CASE("meter without a telegram: up 0, counters present, no register series") {
  auto s = std::make_shared<MeterSnapshot>();
  s->name = "home";
  s->counters.telegrams = 0;
  auto fams = Collect(s);
  CHECK(Value(fams, "dsmr_meter_up", {{"meter", "home"}}) == 0.0);
  CHECK_FALSE(Value(fams, "dsmr_meter_last_telegram_timestamp_seconds"));
  CHECK_FALSE(Value(fams, "dsmr_electricity_imported_joules_total"));
  CHECK_FALSE(Value(fams, "dsmr_meter_info"));
  CHECK(Value(fams, "p1gateway_telegrams_total", {{"meter", "home"}}) == 0.0);
  for (const char* reason : {"crc", "parse", "overflow", "truncated", "decrypt", "timeout"}) {
    INFO(reason);
    CHECK(Value(fams, "p1gateway_telegram_errors_total", {{"meter", "home"}, {"reason", reason}}) ==
          0.0);
  }
  CHECK(Value(fams, "p1gateway_build_info", {{"version", "1.2.3"}}) == 1.0);
}

TEST_CASE("up turns 0 after stale_after while register values are kept") {
  auto s = std::make_shared<MeterSnapshot>();
  s->name = "home";
  s->stale_after_ms = 30000;
  s->latest = TelegramFromText(kSmall, kT0);
  auto fresh = Collect(s, kT0 + 30000);
  CHECK(Value(fresh, "dsmr_meter_up") == 1.0);
  auto stale = Collect(s, kT0 + 30001);
  CHECK(Value(stale, "dsmr_meter_up") == 0.0);
  CHECK(Value(stale, "dsmr_meter_last_telegram_timestamp_seconds") == 1'700'000'000.0);
  CHECK(Value(stale, "dsmr_power_imported_watts") == 1234.0);
  CHECK(Value(stale, "dsmr_electricity_imported_tariff_joules_total", {{"tariff", "2"}}) ==
        200002.0 * 3600);
}

TEST_CASE("imported total is the sum of tariff registers when 1.8.0 is absent") {
  auto fams = Collect(MakeSnapshot("m", TelegramFromText(kSmall, kT0)));
  CHECK(Value(fams, "dsmr_electricity_imported_joules_total") == (100001.0 + 200002.0) * 3600);
  // No export registers at all: no exported series, never a fake 0.
  CHECK_FALSE(Value(fams, "dsmr_electricity_exported_joules_total"));
  CHECK(testing::SeriesCount(fams, "dsmr_electricity_exported_tariff_joules_total") == 0);
  CHECK(testing::SeriesCount(fams, "dsmr_phase_voltage_volts") == 1);
  CHECK(Value(fams, "dsmr_phase_voltage_volts", {{"phase", "l1"}}) == 230.1);
  CHECK_FALSE(Value(fams, "dsmr_gas_cubic_meters_total"));
  CHECK_FALSE(Value(fams, "dsmr_active_tariff"));
}

TEST_CASE("1.8.0 wins over the tariff sum when both are sent") {
  auto t = TelegramFromText(
      "/TST5\r\n\r\n1-0:1.8.0(000010.000*kWh)\r\n1-0:1.8.1(000001.000*kWh)\r\n1-0:1.8.2(000002.000*"
      "kWh)\r\n"
      "1-0:2.8.1(000000.500*kWh)\r\n!0000\r\n",
      kT0);
  auto fams = Collect(MakeSnapshot("m", t));
  CHECK(Value(fams, "dsmr_electricity_imported_joules_total") == 36'000'000.0);
  CHECK(Value(fams, "dsmr_electricity_exported_joules_total") == 1'800'000.0);
  CHECK(testing::SeriesCount(fams, "dsmr_electricity_imported_tariff_joules_total") == 2);
}

TEST_CASE(
    "a code repeated in one telegram yields one series; a unit that does not fit yields none") {
  auto t = TelegramFromText(
      "/TST5\r\n\r\n1-0:1.7.0(01.000*kW)\r\n1-0:1.7.0(02.000*kW)\r\n1-0:2.7.0(03.000*kVA)\r\n"
      "1-0:32.7.0(230.0*kV)\r\n!0000\r\n",
      kT0);
  auto fams = Collect(MakeSnapshot("m", t));
  CHECK(Value(fams, "dsmr_power_imported_watts") == 1000.0);
  CHECK_FALSE(Value(fams, "dsmr_power_exported_watts"));
  CHECK(Value(fams, "dsmr_phase_voltage_volts") == 230000.0);
}

TEST_CASE("static labels are on every meter series; invalid and reserved ones are dropped") {
  auto s = MakeSnapshot(
      "home", TelegramFromText(kSmall, kT0),
      {{"household", "12b"}, {"site", "x"}, {"bad-name", "v"}, {"phase", "l9"}, {"meter", "y"}});
  auto m = std::make_shared<MeterSnapshot>(*s);
  ListenerStats l;
  l.listener = "0.0.0.0:2001";
  l.clients = 3;
  l.dropped_telegrams = 1;
  l.rejected_max_clients = 2;
  l.rejected_allow = 4;
  l.dropped_chunks = 5;
  l.rejected_fds = 6;
  l.disconnects_closed = 7;
  l.disconnects_error = 8;
  l.protocol = "rfc2217";
  l.port_requests = 9;
  m->listeners.push_back(l);
  ListenerStats raw;
  raw.listener = "0.0.0.0:2002";
  raw.protocol = "raw";
  m->listeners.push_back(raw);
  auto fams = CollectMetrics({m}, kT0, "v");
  for (const auto& f : fams) {
    CHECK(prometheus::CheckMetricName(f.name));
    for (const auto& series : f.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : series.label) {
        CHECK(labels.emplace(l.name, l.value).second);  // no duplicate label names
      }
      if (f.name == "p1gateway_build_info") continue;
      INFO(f.name);
      CHECK(labels["meter"] == "home");
      CHECK(labels["household"] == "12b");
      CHECK(labels["site"] == "x");
      CHECK(labels.count("bad-name") == 0);
    }
  }
  CHECK(Value(fams, "p1gateway_clients", {{"listener", "0.0.0.0:2001"}}) == 3.0);
  CHECK(Value(fams, "p1gateway_client_dropped_telegrams_total", {{"listener", "0.0.0.0:2001"}}) ==
        1.0);
  CHECK(Value(fams, "p1gateway_client_rejected_total",
              {{"listener", "0.0.0.0:2001"}, {"reason", "max_clients"}}) == 2.0);
  CHECK(Value(fams, "p1gateway_client_rejected_total",
              {{"listener", "0.0.0.0:2001"}, {"reason", "allow"}}) == 4.0);
  CHECK(Value(fams, "p1gateway_client_dropped_chunks_total", {{"listener", "0.0.0.0:2001"}}) ==
        5.0);
  CHECK(Value(fams, "p1gateway_client_rejected_total",
              {{"listener", "0.0.0.0:2001"}, {"reason", "fds"}}) == 6.0);
  CHECK(Value(fams, "p1gateway_client_disconnects_total",
              {{"listener", "0.0.0.0:2001"}, {"reason", "closed"}}) == 7.0);
  CHECK(Value(fams, "p1gateway_client_disconnects_total",
              {{"listener", "0.0.0.0:2001"}, {"reason", "error"}}) == 8.0);
  CHECK(Value(fams, "p1gateway_client_port_requests_total", {{"listener", "0.0.0.0:2001"}}) == 9.0);
  // Port requests exist only for rfc2217 listeners: no fake 0 for a raw one.
  CHECK_FALSE(Value(fams, "p1gateway_client_port_requests_total", {{"listener", "0.0.0.0:2002"}}));
  CHECK(Value(fams, "p1gateway_client_disconnects_total",
              {{"listener", "0.0.0.0:2002"}, {"reason", "error"}}) == 0.0);
}

TEST_CASE("label values are escaped in the exposition text; meter text is kept printable") {
  auto t = TelegramFromText("/AB\"C\\D\x01\r\n\r\n1-0:1.7.0(01.000*kW)\r\n!0000\r\n", kT0);
  auto s = MakeSnapshot("home", t, {{"note", "say \"hi\"\\ \nnext"}});
  std::string text = SerializeMetrics(Collect(s));
  CHECK(text.find(R"(note="say \"hi\"\\ \nnext")") != std::string::npos);
  CHECK(text.find(R"(header="AB\"C\\D?")") != std::string::npos);
}

TEST_CASE("no sample carries a timestamp and every family has HELP and TYPE") {
  auto text = SerializeMetrics(Collect(MakeSnapshot("home", TelegramFromText(kSmall, kT0))));
  std::istringstream in(text);
  std::string line;
  std::set<std::string> help, type, sampled;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      help.insert(line.substr(7, line.find(' ', 7) - 7));
    } else if (line.rfind("# TYPE ", 0) == 0) {
      type.insert(line.substr(7, line.find(' ', 7) - 7));
    } else if (!line.empty()) {
      size_t close = line.rfind('}');
      std::string rest = line.substr(close == std::string::npos ? line.find(' ') : close + 1);
      std::istringstream fields(rest);
      std::string value, extra;
      fields >> value;
      CHECK_FALSE(fields >> extra);  // name{labels} value, nothing after it
      sampled.insert(line.substr(0, line.find_first_of("{ ")));
    }
  }
  CHECK(sampled.size() > 10);
  for (const auto& name : sampled) {
    CHECK(help.count(name) == 1);
    CHECK(type.count(name) == 1);
  }
}

}  // namespace
}  // namespace p1

namespace p1 {

// SerializeMetrics replaced prometheus-cpp's TextSerializer for speed; the
// two must stay byte-identical on every corpus telegram and on the values
// and label texts that take a special path.
TEST_CASE("exposition text is byte-identical to prometheus-cpp's TextSerializer") {
  std::vector<MeterSnapshotPtr> meters;
  int i = 0;
  for (const std::string& text : testing::CorpusTelegrams()) {
    meters.push_back(MakeSnapshot("m" + std::to_string(i++), TelegramFromText(text, kT0),
                                  {{"note", "a\\b\"c\nd"}}));
  }
  MqttMetrics mqtt;
  mqtt.connected = true;
  mqtt.published = 7;
  std::vector<RemoteWriteMetrics> rw(2);
  rw[0].target = "vm \"main\"";
  rw[0].pending = 3;
  rw[0].oldest_pending_unix_ms = kT0 - 1500;
  rw[1].target = "backup";
  std::vector<prometheus::MetricFamily> fams = CollectMetrics(meters, kT0, "1.2.3", &mqtt, &rw);
  REQUIRE(fams.size() > 10);
  const std::string text = prometheus::TextSerializer().Serialize(fams);
  CHECK(SerializeMetrics(fams) == text);
  // What a scrape serves, written without ClientMetrics, is the same text.
  CHECK(RenderMetrics(meters, kT0, "1.2.3", &mqtt, &rw) == text);
  CHECK(RenderMetrics({}, kT0, "1.2.3") == SerializeMetrics(CollectMetrics({}, kT0, "1.2.3")));

  prometheus::MetricFamily special;
  special.name = "x";
  special.help = "values on special paths";
  special.type = prometheus::MetricType::Gauge;
  for (double v : {0.0, -0.0, 0.1, 1.0 / 3, -2.5, 1e-300, 5e-324, 1e15, 1e16, 1e17, 1e21,
                   123456789012345678.0, 3432.829, 1.7976931348623157e308,
                   std::numeric_limits<double>::quiet_NaN(),
                   std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity()}) {
    prometheus::ClientMetric& m = special.metric.emplace_back();
    m.gauge.value = v;
    m.label = {{"v", std::to_string(v)}, {"esc", "\\\\\"\"\n\n"}};
  }
  prometheus::MetricFamily counter;
  counter.name = "y_total";
  counter.type = prometheus::MetricType::Counter;  // no help: no HELP line
  counter.metric.emplace_back().counter.value = 42;
  counter.metric.emplace_back().counter.value = 9007199254740993.0;
  std::vector<prometheus::MetricFamily> edge{special, counter};
  CHECK(SerializeMetrics(edge) == prometheus::TextSerializer().Serialize(edge));
}

}  // namespace p1
