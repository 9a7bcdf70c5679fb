// PrometheusExporter without HTTP: what a render shows, and the label
// lists of the config and the exporter.
#include <catch2/catch.hpp>
#include <set>

#include "gateway/base/reserved_labels.h"
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

TEST_CASE("each render shows the meters the source gives at that moment") {
  std::vector<MeterSnapshotPtr> meters = {
      testing::MakeSnapshot("a", testing::TelegramFromText(TelegramText(1), kT0)),
      testing::MakeSnapshot("b", testing::TelegramFromText(TelegramText(2), kT0))};
  int asked = 0;
  PrometheusExporter exp("9.9.9", [&] {
    ++asked;
    return meters;
  });
  std::string text = exp.Render(kT0);
  CHECK(asked == 1);
  CHECK(text.find("dsmr_power_imported_watts{meter=\"a\"} 1000") != std::string::npos);
  CHECK(text.find("dsmr_power_imported_watts{meter=\"b\"} 2000") != std::string::npos);
  CHECK(text.find("p1gateway_build_info{version=\"9.9.9\"} 1") != std::string::npos);

  meters[0] = testing::MakeSnapshot("a", testing::TelegramFromText(TelegramText(3), kT0));
  text = exp.Render(kT0);
  CHECK(text.find("dsmr_power_imported_watts{meter=\"a\"} 3000") != std::string::npos);
  CHECK(text.find("dsmr_power_imported_watts{meter=\"a\"} 1000") == std::string::npos);

  meters.erase(meters.begin());  // a meter removed by a reload
  text = exp.Render(kT0);
  CHECK(text.find("meter=\"a\"") == std::string::npos);
  CHECK(text.find("dsmr_power_imported_watts{meter=\"b\"} 2000") != std::string::npos);
  meters.clear();
  text = exp.Render(kT0);
  CHECK(text.find("meter=") == std::string::npos);
  CHECK(text.find("dsmr_") == std::string::npos);
  CHECK(text.find("p1gateway_build_info") != std::string::npos);
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
