// Core hot-path benchmarks on one 913-byte DSMR 5 telegram: CRC alone,
// framing+CRC, and framing+CRC+parse into a reused Reading. Each reports
// telegrams/s and heap allocations per telegram (global operator new is
// counted in this binary). Targets: <= 1 us and 0 allocations per telegram.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <new>
#include <string>

#include "gateway/core/crc16.h"
#include "gateway/core/framer.h"
#include "gateway/core/parser.h"

namespace {

std::atomic<uint64_t> g_allocations{0};

const std::string& Telegram() {
  static const std::string text = [] {
    std::ifstream in(P1GW_BENCH_TELEGRAM, std::ios::binary);
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (s.empty() || s.find('!') == std::string::npos) std::abort();
    return s;
  }();
  return text;
}

void Report(benchmark::State& state, uint64_t allocations_before) {
  const double n = static_cast<double>(state.iterations());
  state.counters["telegrams/s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["allocs/telegram"] =
      static_cast<double>(g_allocations.load() - allocations_before) / n;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * Telegram().size()));
}

void BM_Crc16(benchmark::State& state) {
  const std::string& t = Telegram();
  const std::string_view body(t.data(), t.rfind('!') + 1);
  const uint64_t before = g_allocations.load();
  for (auto _ : state) benchmark::DoNotOptimize(p1::Crc16(body));
  Report(state, before);
}
BENCHMARK(BM_Crc16);

// The portable slicing-by-16 path alone (what CPUs without PCLMULQDQ run).
void BM_Crc16Tables(benchmark::State& state) {
  const std::string& t = Telegram();
  const std::string_view body(t.data(), t.rfind('!') + 1);
  const uint64_t before = g_allocations.load();
  for (auto _ : state) benchmark::DoNotOptimize(p1::Crc16UpdateTables(0, body));
  Report(state, before);
}
BENCHMARK(BM_Crc16Tables);

void BM_FrameCrc(benchmark::State& state) {
  const std::string& t = Telegram();
  p1::Framer framer;
  size_t valid = 0;
  const p1::Framer::Callback cb = [&](const p1::Frame& f) {
    valid += f.crc == p1::CrcStatus::kValid;
  };
  framer.Feed(t, cb);  // warm-up: steady state from here on
  const uint64_t before = g_allocations.load();
  for (auto _ : state) framer.Feed(t, cb);
  Report(state, before);
  if (valid != state.iterations() + 1) state.SkipWithError("telegram did not frame as valid");
}
BENCHMARK(BM_FrameCrc);

void BM_FrameCrcParse(benchmark::State& state) {
  const std::string& t = Telegram();
  p1::Framer framer;
  p1::Reading reading;
  size_t objects = 0;
  const p1::Framer::Callback cb = [&](const p1::Frame& f) {
    p1::ParseTelegram(f.plaintext, &reading);
    reading.crc = f.crc;
    objects += reading.objects.size();
  };
  framer.Feed(t, cb);
  const uint64_t before = g_allocations.load();
  for (auto _ : state) framer.Feed(t, cb);
  Report(state, before);
  if (objects == 0) state.SkipWithError("parser found no objects");
}
BENCHMARK(BM_FrameCrcParse);

}  // namespace

// Counting allocator for the whole binary (single-threaded benchmarks).
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
// The nothrow forms must pair with the free() below too (Catch/ASan rule).
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

BENCHMARK_MAIN();
