// Helpers for exporter tests: corpus telegrams parsed into Telegrams,
// snapshots, and lookups in rendered families / exposition text.
#ifndef P1GW_TESTS_EXPORTERS_EXPORTER_TEST_UTIL_H_
#define P1GW_TESTS_EXPORTERS_EXPORTER_TEST_UTIL_H_

#include <prometheus/metric_family.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/core/meter_snapshot.h"
#include "gateway/core/parser.h"
#include "gateway/core/telegram.h"
#include "tests/support/corpus_files.h"

namespace p1::testing {

using testing::ReadCorpusFile;

// Plaintext from the file's last '/' up to the end of the '!' line (what
// the framer would hand over; drops trailing gateway junk).
inline TelegramPtr TelegramFromText(std::string text, int64_t received_ms) {
  size_t bang = text.rfind('!');
  if (bang != std::string::npos) {
    size_t eol = text.find('\n', bang);
    if (eol != std::string::npos) text.resize(eol + 1);
    size_t start = text.rfind("\n/", bang);
    if (start != std::string::npos) text.erase(0, start + 1);
  }
  auto t = std::make_shared<Telegram>();
  t->raw = text;
  t->plaintext = std::move(text);
  t->received_unix_ms = received_ms;
  ParseTelegram(t->plaintext, &t->reading);
  return t;
}

inline TelegramPtr LoadTelegram(const std::string& file, int64_t received_ms = 1'700'000'000'000) {
  return TelegramFromText(ReadCorpusFile(file), received_ms);
}

inline MeterSnapshotPtr MakeSnapshot(const std::string& name, TelegramPtr t,
                                     std::map<std::string, std::string> labels = {}) {
  auto s = std::make_shared<MeterSnapshot>();
  s->name = name;
  s->labels = std::move(labels);
  s->latest = std::move(t);
  return s;
}

// Value of the one series of `name` whose labels include all of `want`.
// Nullopt when none matches; throws (fails the test) when several do.
inline std::optional<double> Value(const std::vector<prometheus::MetricFamily>& fams,
                                   const std::string& name,
                                   const std::map<std::string, std::string>& want = {}) {
  std::optional<double> found;
  for (const auto& f : fams) {
    if (f.name != name) continue;
    for (const auto& m : f.metric) {
      size_t hits = 0;
      for (const auto& l : m.label) {
        auto it = want.find(l.name);
        if (it != want.end() && it->second == l.value) ++hits;
      }
      if (hits != want.size()) continue;
      if (found) throw std::runtime_error("several series match " + name);
      found = f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  }
  return found;
}

inline size_t SeriesCount(const std::vector<prometheus::MetricFamily>& fams,
                          const std::string& name) {
  for (const auto& f : fams) {
    if (f.name == name) return f.metric.size();
  }
  return 0;
}

inline std::optional<std::string> LabelOf(const std::vector<prometheus::MetricFamily>& fams,
                                          const std::string& name, const std::string& label) {
  for (const auto& f : fams) {
    if (f.name != name || f.metric.empty()) continue;
    for (const auto& l : f.metric.front().label) {
      if (l.name == label) return l.value;
    }
  }
  return std::nullopt;
}

// Exact joules of a kWh/Wh register computed from its digits with integer
// arithmetic: independent of the code under test.
inline double ExactJoules(std::string_view number_text, std::string_view unit) {
  int64_t mantissa = 0;
  int decimals = -1;
  for (char c : number_text) {
    if (c == '.') {
      decimals = 0;
      continue;
    }
    mantissa = mantissa * 10 + (c - '0');
    if (decimals >= 0) ++decimals;
  }
  if (decimals < 0) decimals = 0;
  int64_t per_unit =
      (unit == "Wh" || unit == "wh" || unit == "WH") ? 3600 : 3600000;  // J per Wh / kWh
  for (int i = 0; i < decimals; ++i) {
    if (per_unit % 10 != 0) throw std::runtime_error("not an exact joule value");
    per_unit /= 10;
  }
  return static_cast<double>(mantissa * per_unit);
}

}  // namespace p1::testing

#endif  // P1GW_TESTS_EXPORTERS_EXPORTER_TEST_UTIL_H_
