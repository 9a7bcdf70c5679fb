// TelegramPool and the Meter's use of it: telegrams are reused once nothing
// holds them, and never while anything does.
#include <uv.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gateway/core/parser.h"
#include "gateway/runtime/meter.h"
#include "gateway/runtime/telegram_pool.h"
#include "tests/support/corpus_files.h"
#include "tests/support/loop_helpers.h"

namespace p1 {
namespace {

const char* kDsmr5 = "dsmr-tools__dsmr50__onrealdsmr5-parse-real-telegram.txt";
const char* kDsmr4 = "dsmr-tools__dsmr42__onrealdsmr4-dsmr42-telegram.txt";

// An exporter's shape: keeps the newest telegram only.
class LatestSink : public TelegramSink {
 public:
  void OnTelegram(const TelegramPtr& t) override { latest = t; }
  TelegramPtr latest;
};

// A slow client's shape: holds every telegram it was given.
class KeepingSink : public TelegramSink {
 public:
  void OnTelegram(const TelegramPtr& t) override { kept.push_back(t); }
  std::vector<TelegramPtr> kept;
};

MeterConfig DirectMeter() {
  MeterConfig c;
  c.name = "pool";
  c.source = SourceKind::kSerial;
  c.serial = "/nonexistent";  // never started: bytes are fed directly
  return c;
}

// Empties this thread's pool (what earlier tests left), so counts start at 0.
void DrainPool() {
  std::vector<std::shared_ptr<Telegram>> taken;
  while (TelegramPool::Idle() > 0) taken.push_back(TelegramPool::Make());
  for (auto& t : taken) t->plaintext.assign(TelegramPool::kMaxKeptBytes + 1, 'x');  // not kept
}

TEST_CASE("a released telegram comes back empty with its buffers kept", "[telegram_pool]") {
  DrainPool();
  std::shared_ptr<Telegram> t = TelegramPool::Make();
  t->plaintext.assign(900, 'x');
  t->raw = "frame";
  t->encrypted = true;
  t->crc = CrcStatus::kValid;
  t->received_unix_ms = 42;
  t->reading.objects.resize(30);
  t->reading.errors.push_back("line 1: bad");
  const Telegram* address = t.get();
  const size_t capacity = t->plaintext.capacity();
  t.reset();
  CHECK(TelegramPool::Idle() == 1);
  std::shared_ptr<Telegram> again = TelegramPool::Make();
  CHECK(TelegramPool::Idle() == 0);
  REQUIRE(again.get() == address);
  CHECK(again->plaintext.empty());
  CHECK(again->plaintext.capacity() == capacity);
  CHECK(again->raw.empty());
  CHECK_FALSE(again->encrypted);
  CHECK(again->crc == CrcStatus::kAbsent);
  CHECK(again->received_unix_ms == 0);
  CHECK(again->reading.objects.empty());
  CHECK(again->reading.objects.capacity() >= 30);
  CHECK(again->reading.errors.empty());
}

TEST_CASE("a telegram goes back only when its last holder lets go", "[telegram_pool]") {
  DrainPool();
  std::shared_ptr<Telegram> t = TelegramPool::Make();
  t->plaintext = "/held";
  TelegramPtr holder = t;
  t.reset();
  CHECK(TelegramPool::Idle() == 0);
  std::shared_ptr<Telegram> other = TelegramPool::Make();
  CHECK(other.get() != holder.get());
  CHECK(holder->plaintext == "/held");
  const Telegram* address = holder.get();
  holder.reset();
  CHECK(TelegramPool::Idle() == 1);
  CHECK(TelegramPool::Make().get() == address);
}

TEST_CASE("the pool keeps at most kMaxIdle telegrams and none with huge buffers",
          "[telegram_pool]") {
  DrainPool();
  std::vector<std::shared_ptr<Telegram>> many;
  for (size_t i = 0; i < TelegramPool::kMaxIdle + 3; ++i) many.push_back(TelegramPool::Make());
  many.clear();
  CHECK(TelegramPool::Idle() == TelegramPool::kMaxIdle);

  DrainPool();
  std::shared_ptr<Telegram> big = TelegramPool::Make();
  big->plaintext.assign(TelegramPool::kMaxKeptBytes + 1, 'x');
  big.reset();
  CHECK(TelegramPool::Idle() == 0);
}

TEST_CASE("a telegram released on another thread goes to that thread's pool",
          "[telegram_pool]") {
  DrainPool();
  std::shared_ptr<Telegram> t = TelegramPool::Make();
  size_t idle_there = 99;
  std::thread other([&] {
    t.reset();
    idle_there = TelegramPool::Idle();
  });
  other.join();
  CHECK(idle_there == 1);  // and freed when that thread ended
  CHECK(TelegramPool::Idle() == 0);
}

TEST_CASE("a meter whose sinks keep only the newest telegram reuses the one before",
          "[telegram_pool][meter]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    Meter meter(&loop, DirectMeter(), nullptr);
    LatestSink sink;
    meter.AddSink(&sink);
    const std::string dsmr5 = testing::ReadCorpusFile(kDsmr5);
    const std::string dsmr4 = testing::ReadCorpusFile(kDsmr4);
    REQUIRE(!dsmr5.empty());
    REQUIRE(!dsmr4.empty());
    DrainPool();
    std::vector<const Telegram*> seen;
    for (int i = 0; i < 6; ++i) {
      const std::string& text = i % 2 == 0 ? dsmr5 : dsmr4;
      meter.OnSourceData(text);
      REQUIRE(meter.counters().telegrams == static_cast<uint64_t>(i + 1));
      const TelegramPtr& t = meter.latest();
      seen.push_back(t.get());
      // Whatever it was before, the reused telegram holds exactly this one.
      CHECK(t->plaintext == text);
      Reading fresh;
      ParseTelegram(text, &fresh);
      CHECK(t->reading.objects.size() == fresh.objects.size());
      CHECK(t->reading.mbus.size() == fresh.mbus.size());
      CHECK(t->reading.errors == fresh.errors);
      REQUIRE(t->reading.Find(Obis{1, 0, 1, 8, 1}) != nullptr);
      CHECK(t->reading.Find(Obis{1, 0, 1, 8, 1})->number ==
            fresh.Find(Obis{1, 0, 1, 8, 1})->number);
      CHECK(sink.latest == t);
      // From the second on, the one before waits in the pool.
      CHECK(TelegramPool::Idle() == (i == 0 ? 0u : 1u));
    }
    // Telegram 3 reuses telegram 1's object, 4 reuses 2's, and so on.
    for (size_t i = 2; i < seen.size(); ++i) CHECK(seen[i] == seen[i - 2]);
    CHECK(seen[0] != seen[1]);
  }
  CHECK(testing::DrainAndClose(&loop) == 0);
}

TEST_CASE("telegrams a sink still holds are never reused or changed", "[telegram_pool][meter]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    Meter meter(&loop, DirectMeter(), nullptr);
    KeepingSink sink;
    meter.AddSink(&sink);
    const std::string dsmr5 = testing::ReadCorpusFile(kDsmr5);
    const std::string dsmr4 = testing::ReadCorpusFile(kDsmr4);
    for (int i = 0; i < 6; ++i) meter.OnSourceData(i % 2 == 0 ? dsmr5 : dsmr4);
    REQUIRE(sink.kept.size() == 6);
    for (size_t i = 0; i < sink.kept.size(); ++i) {
      CHECK(sink.kept[i]->plaintext == (i % 2 == 0 ? dsmr5 : dsmr4));
      for (size_t j = 0; j < i; ++j) CHECK(sink.kept[i].get() != sink.kept[j].get());
    }
  }
  CHECK(testing::DrainAndClose(&loop) == 0);
}

}  // namespace
}  // namespace p1
