// Rendering of real corpus telegrams (parsed with ParseTelegram): names,
// values and absences checked against the telegram text.
#include <dirent.h>
#include <prometheus/check_names.h>

#include <catch2/catch.hpp>

#include "exporters/metrics/metrics_renderer.h"
#include "tests/exporters/exporter_test_util.h"

namespace p1 {
namespace {

using testing::LoadTelegram;
using testing::MakeSnapshot;
using testing::Value;

std::vector<prometheus::MetricFamily> Render(const std::string& file) {
  return CollectMetrics({MakeSnapshot("m", LoadTelegram(file))}, 1'700'000'000'000, "t");
}

std::vector<std::string> CorpusTextFiles() {
  std::vector<std::string> out;
  DIR* d = opendir(P1GW_TEST_DATA);
  REQUIRE(d != nullptr);
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 4 && n.ends_with(".txt") && !n.ends_with(".key.txt") && n != "INDEX.md" &&
        n.find("at-mbus-dlms") == std::string::npos) {
      out.push_back(n);
    }
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("every corpus telegram renders valid names with exact energy registers") {
  auto files = CorpusTextFiles();
  REQUIRE(files.size() > 40);
  for (const std::string& file : files) {
    INFO(file);
    TelegramPtr t = LoadTelegram(file);
    auto fams = CollectMetrics({MakeSnapshot("m", t, {{"site", "a"}})}, 1'700'000'000'000, "t");
    for (const auto& f : fams) CHECK(prometheus::CheckMetricName(f.name));
    bool any_import = false;
    for (const CosemObject& o : t->reading.objects) {
      if (o.obis.a != 1 || o.obis.b != 0 || o.obis.d != 8 || (o.obis.c != 1 && o.obis.c != 2))
        continue;
      std::string unit(o.unit);
      for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (o.kind != ValueKind::kNumber || (unit != "kwh" && unit != "wh")) continue;
      if (t->reading.Find(o.obis) != &o) continue;  // a repeated code: the first one is exported
      if (o.obis.c == 1) any_import = true;
      // Up to 3 decimals of kWh is a whole number of joules: compare exactly.
      size_t dot = o.number_text.find('.');
      if (dot != std::string_view::npos && o.number_text.size() - dot - 1 > 3) continue;
      double want = testing::ExactJoules(o.number_text, unit);
      const char* dir = o.obis.c == 1 ? "imported" : "exported";
      INFO(o.obis.ToString());
      if (o.obis.e == 0) {
        CHECK(Value(fams, std::string("dsmr_electricity_") + dir + "_joules_total") == want);
      } else if (o.obis.e <= 9) {
        CHECK(Value(fams, std::string("dsmr_electricity_") + dir + "_tariff_joules_total",
                    {{"tariff", std::to_string(o.obis.e)}}) == want);
      }
    }
    CHECK(Value(fams, "dsmr_electricity_imported_joules_total").has_value() == any_import);
    CHECK(Value(fams, "dsmr_meter_info").has_value());
  }
}

TEST_CASE("DSMR 5 (Iskra spec): registers, phases, gas, identity; absent values have no series") {
  auto f = Render("dsmr_parser__dsmr50__iskra-spec.txt");
  CHECK(Value(f, "dsmr_electricity_imported_joules_total") == (4426.0 + 2399.0) * 3600);
  CHECK(Value(f, "dsmr_electricity_exported_joules_total") == 2444.0 * 3600);
  CHECK(Value(f, "dsmr_electricity_imported_tariff_joules_total", {{"tariff", "1"}}) ==
        4426.0 * 3600);
  CHECK(Value(f, "dsmr_electricity_exported_tariff_joules_total", {{"tariff", "2"}}) == 0.0);
  CHECK(Value(f, "dsmr_power_imported_watts") == 244.0);
  CHECK(Value(f, "dsmr_power_exported_watts") == 0.0);
  CHECK(Value(f, "dsmr_phase_power_imported_watts", {{"phase", "l3"}}) == 142.0);
  CHECK(Value(f, "dsmr_phase_voltage_volts", {{"phase", "l3"}}) == 229.0);
  CHECK(Value(f, "dsmr_phase_current_amperes", {{"phase", "l2"}}) == 0.44);
  CHECK(Value(f, "dsmr_active_tariff") == 2.0);
  CHECK(Value(f, "dsmr_power_failures_total") == 13.0);
  CHECK(Value(f, "dsmr_long_power_failures_total") == 0.0);
  CHECK(testing::SeriesCount(f, "dsmr_voltage_sags_total") == 3);
  CHECK(testing::SeriesCount(f, "dsmr_voltage_swells_total") == 3);
  CHECK(Value(f, "dsmr_gas_cubic_meters_total", {{"channel", "1"}}) == 0.107);
  CHECK(Value(f, "dsmr_mbus_reading_timestamp_seconds", {{"channel", "1"}}) ==
        1483369805.0);  // 170102161005W
  // Channel 2 is announced (type 3) but sends no reading.
  CHECK(Value(f, "dsmr_mbus_device_info",
              {{"channel", "2"}, {"device_type", "3"}, {"equipment_id", ""}}) == 1.0);
  CHECK(testing::SeriesCount(f, "dsmr_gas_cubic_meters_total") == 1);
  CHECK(Value(f, "dsmr_mbus_device_info",
              {{"channel", "1"}, {"equipment_id", "2222ABCD123456789"}}) == 1.0);
  CHECK(Value(f, "dsmr_meter_info",
              {{"equipment_id", "K8EG004046395507"},
               {"dsmr_version", "50"},
               {"header", "ISk5\\2MT382-1000"}}) == 1.0);
  for (const char* absent :
       {"dsmr_demand_current_average_watts", "dsmr_reactive_power_imported_vars",
        "dsmr_frequency_hertz", "dsmr_power_factor", "dsmr_water_cubic_meters_total",
        "dsmr_heat_joules_total", "dsmr_electricity_absolute_joules_total"}) {
    INFO(absent);
    CHECK(testing::SeriesCount(f, absent) == 0);
  }
}

TEST_CASE("Belgian e-MUCS (Fluvius): capacity tariff, gas on 24.2.3, water, limits") {
  auto f = Render("dsmr_parser__be-emucs__fluvius-v171.txt");
  CHECK(Value(f, "dsmr_demand_current_average_watts") == 2351.0);
  CHECK(Value(f, "dsmr_demand_month_peak_watts") == 2589.0);
  CHECK(Value(f, "dsmr_demand_month_peak_timestamp_seconds") == 1589024758.0);  // 200509134558S
  CHECK(Value(f, "dsmr_gas_cubic_meters_total", {{"channel", "1"}}) == 112.384);
  CHECK(Value(f, "dsmr_water_cubic_meters_total", {{"channel", "2"}}) == 872.234);
  CHECK(Value(f, "dsmr_mbus_reading_timestamp_seconds", {{"channel", "2"}}) == 1589283958.0);
  CHECK(Value(f, "dsmr_mbus_device_info", {{"channel", "2"}, {"device_type", "7"}}) == 1.0);
  CHECK(Value(f, "dsmr_limiter_threshold_watts") == 999900.0);
  CHECK(Value(f, "dsmr_phase_current_limit_amperes", {{"phase", "l1"}}) == 999.0);
  CHECK(Value(f, "dsmr_breaker_state") == 1.0);
  CHECK(Value(f, "dsmr_electricity_imported_joules_total") == (34.0 + 15758.0) * 3600);
  CHECK(Value(f, "dsmr_meter_info",
              {{"dsmr_version", "50217"}, {"equipment_id", "1SAG3101021605"}}) == 1.0);
}

TEST_CASE("E.ON Hungary: 1.8.0 totals, four tariffs, reactive quadrants, power factor, frequency") {
  auto f = Render("dsmr_parser__hu-eon__sagemcom-eon-hungary.txt");
  CHECK(Value(f, "dsmr_electricity_imported_joules_total") == 173640.0 * 3600);
  CHECK(Value(f, "dsmr_electricity_exported_joules_total") == 627177.0 * 3600);
  CHECK(testing::SeriesCount(f, "dsmr_electricity_imported_tariff_joules_total") == 4);
  CHECK(Value(f, "dsmr_electricity_imported_tariff_joules_total", {{"tariff", "4"}}) == 0.0);
  CHECK(Value(f, "dsmr_reactive_energy_imported_varhours_total") == 123.0);
  CHECK(Value(f, "dsmr_reactive_energy_exported_varhours_total") == 303131.0);
  CHECK(Value(f, "dsmr_reactive_energy_quadrant_varhours_total", {{"quadrant", "3"}}) == 160487.0);
  CHECK(Value(f, "dsmr_reactive_power_quadrant_vars", {{"quadrant", "3"}}) == 504.0);
  CHECK(Value(f, "dsmr_electricity_absolute_joules_total") == 800817.0 * 3600);
  CHECK(Value(f, "dsmr_power_factor") == 4.556);
  CHECK(Value(f, "dsmr_phase_power_factor", {{"phase", "l2"}}) == 4.542);
  CHECK(Value(f, "dsmr_frequency_hertz") == 50.0);
  CHECK(Value(f, "dsmr_power_exported_watts") == 2601.0);
  CHECK(Value(f, "dsmr_phase_current_limit_amperes", {{"phase", "l3"}}) == 200.0);
  CHECK(Value(f, "dsmr_limiter_threshold_watts") == 90000.0);
}

TEST_CASE("Austria (Sagemcom T210): Wh, W, varh and var units") {
  auto f = Render("dsmr_parser__at__sagemcom-t210-d-r-plaintext.txt");
  CHECK(Value(f, "dsmr_electricity_imported_joules_total") == 6545766.0 * 3600);
  CHECK(Value(f, "dsmr_electricity_imported_tariff_joules_total", {{"tariff", "2"}}) ==
        1528646.0 * 3600);
  CHECK(Value(f, "dsmr_power_imported_watts") == 286.0);
  CHECK(Value(f, "dsmr_reactive_energy_exported_varhours_total") == 3897726.0);
  CHECK(Value(f, "dsmr_reactive_energy_exported_tariff_varhours_total", {{"tariff", "1"}}) ==
        2692848.0);
  CHECK(Value(f, "dsmr_reactive_power_exported_vars") == 166.0);
}

TEST_CASE("heat meter (Warmtelink): GJ to joules, device type 4") {
  auto f = Render("dsmr_parser__dsmr50__warmtelink-heat-unpadded-crc.txt");
  CHECK(Value(f, "dsmr_heat_joules_total", {{"channel", "1"}}) == 240860.0 * 1e6);
  CHECK(Value(f, "dsmr_mbus_reading_timestamp_seconds", {{"channel", "1"}}) == 1771182323.0);
  CHECK(testing::SeriesCount(f, "dsmr_gas_cubic_meters_total") == 0);
  // Not printable when hex decoded: kept as sent.
  CHECK(Value(f, "dsmr_meter_info", {{"equipment_id", "ADC3100000158491"}}) == 1.0);
  CHECK_FALSE(Value(f, "dsmr_electricity_imported_joules_total"));
}

TEST_CASE("EasyMeter Q3D: W units, *255 codes, 7-decimal kWh") {
  auto f = Render("dsmr_parser__q3d__easymeter-q3db1024.txt");
  CHECK(Value(f, "dsmr_power_imported_watts") == 2124.86);
  CHECK(Value(f, "dsmr_phase_power_imported_watts", {{"phase", "l2"}}) == 737.28);
  CHECK(Value(f, "dsmr_electricity_imported_joules_total") == 18786881711124.0 / 100);
  CHECK(Value(f, "dsmr_electricity_exported_joules_total") == 199493221493.0 * 36 / 100);
}

TEST_CASE("DSMR 2.2: two-line gas record, disconnected M-Bus devices give no reading") {
  auto f = Render("dsmr_parser__dsmr22__iskra-mt382-v22.txt");
  CHECK(Value(f, "dsmr_gas_cubic_meters_total", {{"channel", "1"}}) == 1.001);
  CHECK(Value(f, "dsmr_electricity_imported_joules_total") == 2002.0 * 3600);

  auto two = Render("dsmr_parser__dsmr50__iskra-am550-two-mbus.txt");
  // 0-1: "(700101010000W)(00000000)" without unit: device listed, no value.
  CHECK(Value(two, "dsmr_mbus_device_info", {{"channel", "1"}}).has_value());
  CHECK_FALSE(Value(two, "dsmr_gas_cubic_meters_total", {{"channel", "1"}}));
  CHECK(testing::SeriesCount(two, "dsmr_mbus_device_info") == 2);
  CHECK(Value(two, "dsmr_gas_cubic_meters_total", {{"channel", "2"}}) == 246.138);
}

}  // namespace
}  // namespace p1
