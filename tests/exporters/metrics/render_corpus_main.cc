// Prints one scrape of many corpus telegrams, one meter each (with a static
// label and a listener), for `promtool check metrics`.
#include <cstdio>
#include <string>
#include <vector>

#include "exporters/metrics/metrics_renderer.h"
#include "tests/exporters/exporter_test_util.h"

int main() {
  const char* files[] = {
      "dsmr_parser__dsmr50__iskra-spec.txt",
      "dsmr_parser__dsmr50__iskra-am550-two-mbus.txt",
      "dsmr_parser__be-emucs__fluvius-v171.txt",
      "dsmr_parser__be-emucs__fluvius-v171-alt.txt",
      "dsmr_parser__hu-eon__sagemcom-eon-hungary.txt",
      "dsmr_parser__at__sagemcom-t210-d-r-plaintext.txt",
      "dsmr_parser__dsmr50__warmtelink-heat-unpadded-crc.txt",
      "dsmr_parser__q3d__easymeter-q3db1024.txt",
      "dsmr_parser__dsmr22__iskra-mt382-v22.txt",
      "dsmr_parser__dsmr30__iskra-mt382-v3-spec.txt",
      "dsmr_parser__dsmr42__kaifa.txt",
      "dsmr_parser__ie-iskra__iskra-ie5t.txt",
      "openhab-dsmr__lu-smarty__smarty-with-units.txt",
  };
  std::vector<p1::MeterSnapshotPtr> meters;
  int i = 0;
  for (const char* f : files) {
    auto t = p1::testing::LoadTelegram(f);
    auto s = std::make_shared<p1::MeterSnapshot>();
    s->name = "m" + std::to_string(i++);
    s->labels = {{"household", "h\"1\\"}};
    s->latest = t;
    p1::ListenerStats l;
    l.listener = "0.0.0.0:2001";
    l.clients = 1;
    s->listeners.push_back(l);
    meters.push_back(s);
  }
  std::string text = p1::SerializeMetrics(p1::CollectMetrics(meters, 1'700'000'000'000, "0.1.0"));
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}
