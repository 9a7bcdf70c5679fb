// Exporter scrape cost for N meters, each a DSMR 5 three-phase reading with
// gas: what a scrape does (RenderMetrics, with and without gzip), and the
// families remote write collects (collect, collect + serialize). Reports
// microseconds per meter ("us_per_meter").
#include <benchmark/benchmark.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "exporters/http/http_response.h"
#include "exporters/metrics/metrics_renderer.h"
#include "gateway/core/parser.h"

namespace {

std::vector<p1::MeterSnapshotPtr> Meters(int n) {
  std::ifstream f(P1GW_BENCH_TELEGRAM, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::vector<p1::MeterSnapshotPtr> out;
  for (int i = 0; i < n; ++i) {
    auto t = std::make_shared<p1::Telegram>();
    t->plaintext = ss.str();
    t->received_unix_ms = 1'700'000'000'000;
    p1::ParseTelegram(t->plaintext, &t->reading);
    auto s = std::make_shared<p1::MeterSnapshot>();
    s->name = "meter" + std::to_string(i);
    s->labels = {{"household", std::to_string(i)}};
    s->latest = t;
    p1::ListenerStats l;
    l.listener = "0.0.0.0:2001";
    s->listeners.push_back(l);
    out.push_back(s);
  }
  return out;
}

void SetPerMeter(benchmark::State& state, int meters) {
  state.counters["us_per_meter"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * meters * 1e-6,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Collect(benchmark::State& state) {
  auto meters = Meters(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(p1::CollectMetrics(meters, 1'700'000'000'000, "bench"));
  SetPerMeter(state, static_cast<int>(state.range(0)));
}

// Runs `scrape` (meters -> body) per iteration; reports its body's size as
// `counter`.
template <typename Scrape>
void RunScrape(benchmark::State& state, const char* counter, Scrape scrape) {
  auto meters = Meters(static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) bytes = scrape(meters);
  SetPerMeter(state, static_cast<int>(state.range(0)));
  state.counters[counter] = static_cast<double>(bytes);
}

void BM_CollectSerialize(benchmark::State& state) {
  RunScrape(state, "body_bytes", [](const auto& meters) {
    std::string text = p1::SerializeMetrics(p1::CollectMetrics(meters, 1'700'000'000'000, "bench"));
    benchmark::DoNotOptimize(text);
    return text.size();
  });
}

void BM_CollectSerializeGzip(benchmark::State& state) {
  RunScrape(state, "gzip_bytes", [](const auto& meters) {
    std::string gz = p1::Gzip(p1::SerializeMetrics(p1::CollectMetrics(meters, 1'700'000'000'000, "bench")));
    benchmark::DoNotOptimize(gz);
    return gz.size();
  });
}

// What a scrape does: RenderMetrics into line buffers and a body, both kept
// between scrapes.
void BM_Render(benchmark::State& state) {
  p1::FamilyLines lines;
  std::string body;
  RunScrape(state, "body_bytes", [&](const auto& meters) {
    p1::RenderMetrics(meters, 1'700'000'000'000, "bench", nullptr, nullptr, &lines, &body);
    benchmark::DoNotOptimize(body);
    return body.size();
  });
}

void BM_RenderGzip(benchmark::State& state) {
  p1::FamilyLines lines;
  std::string body;
  RunScrape(state, "gzip_bytes", [&](const auto& meters) {
    p1::RenderMetrics(meters, 1'700'000'000'000, "bench", nullptr, nullptr, &lines, &body);
    std::string gz = p1::Gzip(body);
    benchmark::DoNotOptimize(gz);
    return gz.size();
  });
}

BENCHMARK(BM_Render)->Arg(1)->Arg(100)->Arg(500)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RenderGzip)->Arg(100)->Arg(500)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Collect)->Arg(1)->Arg(10)->Arg(100)->Arg(500)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CollectSerialize)->Arg(1)->Arg(10)->Arg(100)->Arg(500)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CollectSerializeGzip)->Arg(1)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
