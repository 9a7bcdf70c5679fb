// PrometheusExporter without HTTP: snapshot replacement, removal, and
// scrapes that race with publishing.
#include <atomic>
#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <thread>

#include "base/reserved_labels.h"
#include "exporters/metrics/metrics_renderer.h"
#include "exporters/prometheus_exporter.h"
#include "tests/exporters/exporter_test_util.h"

namespace p1 {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

// Two readings that differ in every exported register, so a scrape that
// mixed them would show values from both.
std::string TelegramText(int k) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "/TST5\\consistency\r\n\r\n"
                "1-0:1.8.1(%06d.000*kWh)\r\n1-0:1.8.2(%06d.000*kWh)\r\n1-0:1.7.0(%02d.000*kW)\r\n"
                "1-0:32.7.0(%03d.0*V)\r\n1-0:52.7.0(%03d.0*V)\r\n"
                "0-1:24.1.0(003)\r\n0-1:24.2.1(200512134558S)(%05d.000*m3)\r\n!0000\r\n",
                k, k, k, 200 + k, 200 + k, k);
  return buf;
}

TEST_CASE("publish replaces a meter's snapshot; remove makes its series disappear") {
  PrometheusExporter exp("9.9.9");
  exp.Publish(testing::MakeSnapshot("a", testing::TelegramFromText(TelegramText(1), kT0)));
  exp.Publish(testing::MakeSnapshot("b", testing::TelegramFromText(TelegramText(2), kT0)));
  std::string text = exp.Render(kT0);
  CHECK(text.find("dsmr_power_imported_watts{meter=\"a\"} 1000") != std::string::npos);
  CHECK(text.find("dsmr_power_imported_watts{meter=\"b\"} 2000") != std::string::npos);
  CHECK(text.find("p1gateway_build_info{version=\"9.9.9\"} 1") != std::string::npos);

  exp.Publish(testing::MakeSnapshot("a", testing::TelegramFromText(TelegramText(3), kT0)));
  text = exp.Render(kT0);
  CHECK(text.find("dsmr_power_imported_watts{meter=\"a\"} 3000") != std::string::npos);
  CHECK(text.find("dsmr_power_imported_watts{meter=\"a\"} 1000") == std::string::npos);

  exp.Remove("a");
  exp.Remove("never-existed");
  text = exp.Render(kT0);
  CHECK(text.find("meter=\"a\"") == std::string::npos);
  CHECK(text.find("dsmr_power_imported_watts{meter=\"b\"} 2000") != std::string::npos);
  exp.Remove("b");
  text = exp.Render(kT0);
  CHECK(text.find("meter=") == std::string::npos);
  CHECK(text.find("dsmr_") == std::string::npos);
  CHECK(text.find("p1gateway_build_info") != std::string::npos);
}

// Every value in one scrape must come from one telegram (k = 1 or 2).
void CheckConsistent(const std::string& text) {
  static const std::regex power(R"(dsmr_power_imported_watts\{meter="m"\} (\d+))");
  static const std::regex tariff(
      R"(dsmr_electricity_imported_tariff_joules_total\{meter="m",tariff="\d"\} (\d+))");
  static const std::regex volts(R"(dsmr_phase_voltage_volts\{meter="m",phase="l\d"\} (\d+))");
  static const std::regex gas(R"(dsmr_gas_cubic_meters_total\{meter="m",channel="1"\} (\d+))");
  std::smatch m;
  REQUIRE(std::regex_search(text, m, power));
  int k = std::stoi(m[1]) / 1000;
  REQUIRE((k == 1 || k == 2));
  int seen = 0;
  for (auto [re, expect] : {std::pair{&tariff, k * int64_t{3'600'000}},
                            {&volts, int64_t{200 + k}},
                            {&gas, int64_t{k}}}) {
    for (auto it = std::sregex_iterator(text.begin(), text.end(), *re);
         it != std::sregex_iterator(); ++it) {
      CHECK(std::stoll((*it)[1]) == expect);
      ++seen;
    }
  }
  CHECK(seen == 5);
}

TEST_CASE("a scrape racing with publishes never mixes two telegrams") {
  PrometheusExporter exp("t");
  MeterSnapshotPtr snaps[2] = {
      testing::MakeSnapshot("m", testing::TelegramFromText(TelegramText(1), kT0)),
      testing::MakeSnapshot("m", testing::TelegramFromText(TelegramText(2), kT0))};
  exp.Publish(snaps[0]);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; !done.load(); ++i) {
      // Fresh Telegram objects each time, as the loop thread would make them.
      exp.Publish(
          testing::MakeSnapshot("m", testing::TelegramFromText(TelegramText(1 + i % 2), kT0)));
      if (i % 50 == 0) exp.Remove("other");
    }
  });
  int scrapes = 0;
  for (; scrapes < 300; ++scrapes) CheckConsistent(exp.Render(kT0));
  done = true;
  writer.join();
  CHECK(scrapes == 300);
}

}  // namespace
}  // namespace p1

namespace p1 {
namespace {

TEST_CASE("every label the exporter renders is one the config refuses as a static label") {
  // The two lists had drifted: config accepted `quadrant`, which the
  // exporter then dropped silently.
  std::vector<MeterSnapshotPtr> meters;
  for (const char* file :
       {"dsmr_parser__dsmr50__iskra-am550-two-mbus.txt", "dsmr_parser__be-emucs__fluvius-v171.txt",
        "node-dsmr-parser__other__kamstrup-OMNIA-e-meter-three-phase.txt",
        "dsmr_parser__dsmr50__warmtelink-heat-unpadded-crc.txt",
        "node-dsmr-parser__other__sagemcom-xt211.txt",
        "dsmr_parser__hu-eon__sagemcom-eon-hungary.txt"}) {
    auto s = std::const_pointer_cast<MeterSnapshot>(
        testing::MakeSnapshot("m" + std::to_string(meters.size()), testing::LoadTelegram(file)));
    ListenerStats l;
    l.listener = "127.0.0.1:2001";
    l.protocol = "rfc2217";
    s->listeners.push_back(l);
    meters.push_back(s);
  }
  std::set<std::string> names;
  for (const auto& family : CollectMetrics(meters, 1'700'000'000'000, "test")) {
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) names.insert(label.name);
    }
  }
  for (const char* used :
       {"meter", "phase", "tariff", "quadrant", "channel", "listener", "reason"}) {
    REQUIRE(names.count(used) == 1);  // the snapshots above exercise every kind of label
  }
  for (const std::string& name : names) {
    INFO(name);
    CHECK(IsReservedLabel(name));
  }
}

}  // namespace
}  // namespace p1
