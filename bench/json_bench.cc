// Cost of the compatible JSON documents (exporters/json) for one reading of
// the 913-byte DSMR 5 benchmark telegram (three phases, gas): time per
// document and its size ("doc_bytes").
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>

#include "exporters/json/dsmr_logger.h"
#include "exporters/json/homewizard.h"
#include "gateway/core/parser.h"

namespace {

struct Fixture {
  std::string text;
  p1::Reading reading;
  Fixture() {
    std::ifstream f(P1GW_BENCH_TELEGRAM, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    text = ss.str();
    p1::ParseTelegram(text, &reading);
  }
};

const p1::Reading& BenchReading() {
  static const Fixture fixture;
  return fixture.reading;
}

template <typename Render>
void Run(benchmark::State& state, Render render) {
  const p1::Reading& r = BenchReading();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string doc = render(r);
    bytes = doc.size();
    benchmark::DoNotOptimize(doc);
  }
  state.counters["doc_bytes"] = static_cast<double>(bytes);
}

void BM_HomeWizardData(benchmark::State& state) {
  Run(state, [](const p1::Reading& r) { return p1::RenderHomeWizardData(r, {"p1gateway", 100}); });
}

void BM_HomeWizardDevice(benchmark::State& state) {
  Run(state, [](const p1::Reading&) { return p1::RenderHomeWizardDevice("home", "0.1.0"); });
}

void BM_DsmrLoggerActual(benchmark::State& state) {
  Run(state, [](const p1::Reading& r) { return p1::RenderDsmrLoggerActual(r); });
}

void BM_DsmrLoggerInfo(benchmark::State& state) {
  Run(state, [](const p1::Reading& r) { return p1::RenderDsmrLoggerInfo(r); });
}

BENCHMARK(BM_HomeWizardData)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_HomeWizardDevice)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DsmrLoggerActual)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DsmrLoggerInfo)->Unit(benchmark::kMicrosecond);

}  // namespace
BENCHMARK_MAIN();
