// The libserialport path of SerialSource, the one real USB adapters take,
// exercised on pseudo-terminals through tests/support/pty_shim.c (linked into
// this binary only; without it libserialport refuses ptys and the source
// falls back to termios, which runtime_tests cover).
#include <catch2/catch.hpp>
#include <uv.h>

#include <vector>

#include "gateway/runtime/meter.h"
#include "tests/support/corpus_files.h"
#include "tests/support/loop_helpers.h"

namespace p1 {
namespace {

class NullObserver : public MeterObserver {
 public:
  void OnMeterChanged(Meter*) override {}
};

class RecordingSink : public TelegramSink {
 public:
  void OnTelegram(const TelegramPtr& t) override { telegrams.push_back(t); }
  std::vector<TelegramPtr> telegrams;
};

TEST_CASE("libserialport opens the port, delivers telegrams and notices the hangup",
          "[serial][libserialport]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::string telegram =
      testing::ReadCorpusFile("dsmr-tools__dsmr50__onrealdsmr5-parse-real-telegram.txt");
  {
    NullObserver observer;
    testing::FakeSerial port(testing::TempPath("libsp"));
    MeterConfig c;
    c.name = "usb";
    c.source = SourceKind::kSerial;
    c.serial = port.device();
    c.serial_settings = SerialSettings{9600, 7, Parity::kEven, 1};
    Meter meter(&loop, c, &observer);
    RecordingSink sink;
    meter.AddSink(&sink);
    std::string err;
    REQUIRE(meter.Start(&err));
    REQUIRE(testing::RunUntil(&loop, [&] { return meter.connected(); }, 3000));
    CHECK(meter.DescribeSource().find("(libserialport)") != std::string::npos);
    CHECK(meter.DescribeSource().find("9600 7E1") != std::string::npos);
    // Chunked writes; VMIN=1 keeps an empty read from looking like a hangup.
    REQUIRE(port.Write(telegram.substr(0, 300)));
    REQUIRE(testing::RunUntil(&loop, [&] { return meter.counters().received_bytes >= 300; }, 3000));
    REQUIRE(port.Write(telegram.substr(300)));
    REQUIRE(testing::RunUntil(&loop, [&] { return sink.telegrams.size() == 1; }, 3000));
    CHECK(sink.telegrams[0]->plaintext == telegram);
    CHECK(meter.connected());
    port.Unplug();
    REQUIRE(testing::RunUntil(&loop, [&] { return !meter.connected(); }, 3000));
  }
  CHECK(testing::DrainAndClose(&loop) == 0);
}

}  // namespace
}  // namespace p1
