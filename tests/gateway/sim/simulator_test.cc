#include "gateway/sim/simulator.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/core/crc16.h"
#include "gateway/core/framer.h"
#include "gateway/core/parser.h"
#include "gateway/core/unwrap.h"
#include "gateway/sim/sim_clock.h"

namespace p1 {
namespace {

// 2024-06-15 10:00:00 CEST, a Saturday: daylight for the solar variants.
constexpr int64_t kJune15 = 1718438400000;
// 2024-01-17 (Wednesday) 00:00:00 CET.
constexpr int64_t kJan17 = 1705446000000;
constexpr int64_t kMinute = 60000;

const AesKey kKey = *ParseAesKey("D491470F47126332B07D1923B3504188");
const AesKey kOtherKey = *ParseAesKey("000102030405060708090A0B0C0D0E0F");

bool Encrypts(const std::string& v) { return v == "lu" || v == "at" || v == "at-mbus"; }

std::unique_ptr<Simulator> Make(const std::string& variant, uint64_t seed, bool keyed) {
  std::string err;
  auto sim = Simulator::Create(variant, seed, keyed ? std::optional<AesKey>(kKey) : std::nullopt,
                               std::nullopt, &err);
  INFO(err);
  REQUIRE(sim != nullptr);
  return sim;
}

// One telegram after framing and parsing; the Reading's views point into `plaintext`.
struct Parsed {
  std::string raw, plaintext;
  FrameStatus status = FrameStatus::kTelegram;
  CrcStatus crc = CrcStatus::kAbsent;
  bool encrypted = false;
  bool parsed = false;
  Reading reading;

  double Number(const char* code) const {
    Obis o;
    REQUIRE(ParseObis(code, &o));
    const CosemObject* obj = reading.Find(o);
    INFO(code << " in\n" << plaintext);
    REQUIRE(obj != nullptr);
    REQUIRE(obj->kind == ValueKind::kNumber);
    return obj->number;
  }
  const CosemObject* Object(const char* code) const {
    Obis o;
    ParseObis(code, &o);
    return reading.Find(o);
  }
};

// Runs `count` telegrams `step_ms` apart through one Framer (as a stream) and the parser.
std::vector<std::unique_ptr<Parsed>> Run(Simulator& sim, int64_t start_ms, int64_t step_ms,
                                         int count, FramerOptions options = {}) {
  Framer framer(options);
  // at-mbus sends M-Bus long frames: unwrapped as a meter with its preset is.
  StreamUnwrapper unwrapper(sim.variant() == std::string("at-mbus") ? Wrapping::kMbus
                                                                    : Wrapping::kNone);
  std::vector<std::unique_ptr<Parsed>> out;
  for (int i = 0; i < count; ++i) {
    const std::string bytes = sim.Next(start_ms + i * step_ms);
    const size_t before = out.size();
    framer.Feed(unwrapper.Feed(bytes), [&](const Frame& f) {
      auto p = std::make_unique<Parsed>();
      p->raw = std::string(f.raw);
      p->plaintext = std::string(f.plaintext);
      p->status = f.status;
      p->crc = f.crc;
      p->encrypted = f.encrypted;
      if (f.status == FrameStatus::kTelegram) p->parsed = ParseTelegram(p->plaintext, &p->reading);
      out.push_back(std::move(p));
    });
    INFO("telegram " << i << ":\n" << bytes);
    REQUIRE(out.size() == before + 1);  // exactly one frame per telegram
  }
  return out;
}

// The energy registers each variant prints.
std::vector<const char*> EnergyRegisters(const std::string& v) {
  if (v == "lu" || v == "se") return {"1-0:1.8.0", "1-0:2.8.0", "1-0:3.8.0", "1-0:4.8.0"};
  if (v == "q3d" || v == "at-mbus") return {"1-0:1.8.0", "1-0:2.8.0"};
  if (v == "at") {
    return {"1-0:1.8.0", "1-0:1.8.1", "1-0:1.8.2", "1-0:2.8.0", "1-0:2.8.1", "1-0:2.8.2",
            "1-0:3.8.0", "1-0:3.8.1", "1-0:3.8.2", "1-0:4.8.0", "1-0:4.8.1", "1-0:4.8.2"};
  }
  return {"1-0:1.8.1", "1-0:1.8.2", "1-0:2.8.1", "1-0:2.8.2"};
}

double TotalImport(const Parsed& p, const std::string& v) {
  if (v == "lu" || v == "se" || v == "q3d" || v == "at" || v == "at-mbus") {
    return p.Number("1-0:1.8.0");
  }
  return p.Number("1-0:1.8.1") + p.Number("1-0:1.8.2");
}

TEST_CASE("the Irish variant's clock is Irish time, which Europe/Dublin reads back as UTC",
          "[simulator]") {
  // 2024-01-15 12:00:00 UTC and 2024-07-01 12:00:00 UTC.
  CHECK(DsmrTimestamp(ToLocalAt(1705320000, 0)) == "240115120000W");
  CHECK(DsmrTimestamp(ToLocalAt(1719835200, 0)) == "240701130000S");
  CHECK(DsmrTimestamp(ToLocalAt(1719835200, 3600)) == DsmrTimestamp(1719835200));
}

TEST_CASE("every variant: 100 telegrams over an hour frame, verify and parse cleanly",
          "[simulator]") {
  const std::string v =
      GENERATE("dsmr2", "dsmr3", "dsmr4", "dsmr5", "be", "lu", "se", "q3d", "at", "at-mbus", "ie");
  const bool keyed = Encrypts(v);
  INFO("variant " << v);
  auto sim = Make(v, 1234, keyed);
  FramerOptions options;
  if (keyed) options.key = kKey;
  // 37 s apart: 100 telegrams span 61 minutes, crossing gas captures and tariff-free hours.
  auto telegrams = Run(*sim, kJune15, 37000, 100, options);

  const bool has_crc = v != "dsmr2" && v != "dsmr3" && v != "q3d";
  std::map<std::string, double> last;
  for (const auto& t : telegrams) {
    INFO(t->plaintext);
    REQUIRE(t->status == FrameStatus::kTelegram);
    CHECK(t->encrypted == keyed);
    if (keyed) CHECK(static_cast<uint8_t>(t->raw[0]) == 0xDB);
    CHECK(t->crc == (has_crc ? CrcStatus::kValid : CrcStatus::kAbsent));
    CHECK(t->parsed);
    CHECK(t->reading.errors.empty());
    for (const char* code : EnergyRegisters(v)) {
      const double value = t->Number(code);
      if (last.count(code)) CHECK(value >= last[code]);
      last[code] = value;
    }
  }
  // About 0.3 kWh or more flows in an hour; the total must have grown.
  CHECK(TotalImport(*telegrams.back(), v) > TotalImport(*telegrams.front(), v));
}

TEST_CASE("telegram timestamps are the call time in CET/CEST with S/W", "[simulator]") {
  auto sim = Make("dsmr5", 1, false);
  // Around both 2024 switches: 31 March 01:00 UTC and 27 October 01:00 UTC.
  const int64_t spring = 1711846800000, autumn = 1729990800000;
  const std::vector<std::pair<int64_t, std::string>> cases = {{spring - 1000, "240331015959W"},
                                                              {spring, "240331030000S"},
                                                              {autumn - 1800000, "241027023000S"},
                                                              {autumn + 1800000, "241027023000W"}};
  for (const auto& [ms, want] : cases) {
    auto t = Run(*sim, ms, 0, 1);
    const CosemObject* ts = t[0]->Object("0-0:1.0.0");
    REQUIRE(ts != nullptr);
    CHECK(t[0]->plaintext.find("0-0:1.0.0(" + want + ")") != std::string::npos);
    REQUIRE(ts->kind == ValueKind::kTimestamp);
    CHECK(ts->timestamp.unix_seconds == ms / 1000);
  }
}

TEST_CASE("gas is captured every 5 minutes (dsmr5, be) and hourly (dsmr4)", "[simulator]") {
  const std::string v = GENERATE("dsmr5", "be", "dsmr4");
  const int64_t period_s = v == "dsmr4" ? 3600 : 300;
  INFO("variant " << v);
  auto sim = Make(v, 99, false);
  // A January evening, when heating burns gas; 10 s steps over 2.5 hours.
  const int64_t first = kJan17 + 18 * 60 * kMinute + 7000, step = 10000, count = 900;
  auto telegrams = Run(*sim, first, step, count);
  int changes = 0;
  const MbusDevice* prev = nullptr;
  for (const auto& t : telegrams) {
    REQUIRE(!t->reading.mbus.empty());
    const MbusDevice& gas = t->reading.mbus.front();
    CHECK(gas.channel == 1);
    CHECK(gas.device_type == 3);
    REQUIRE(gas.timestamp.valid);
    CHECK(gas.timestamp.unix_seconds % period_s == 0);
    // The latest capture boundary not after the telegram's own time.
    const int64_t now_s = t->Object("0-0:1.0.0")->timestamp.unix_seconds;
    CHECK(gas.timestamp.unix_seconds == now_s / period_s * period_s);
    if (prev != nullptr) {
      if (gas.timestamp.unix_seconds == prev->timestamp.unix_seconds) {
        CHECK(gas.value == prev->value);
      } else {
        ++changes;
        CHECK(gas.value > prev->value);  // winter evening: heating on
      }
    }
    prev = &gas;
  }
  // 18:00:07 .. 20:29:57 crosses 20:00 and 19:00, or 18:05 .. 20:25.
  const int64_t last = first + (count - 1) * step;
  CHECK(changes == last / 1000 / period_s - first / 1000 / period_s);
  CHECK(changes == (v == "dsmr4" ? 2 : 29));
}

TEST_CASE("dsmr2/3: the two-line hourly gas record parses to the captured reading", "[simulator]") {
  const std::string v = GENERATE("dsmr2", "dsmr3");
  auto sim = Make(v, 21, false);
  auto t = Run(*sim, kJan17 + 18 * 60 * kMinute + 30000, 20 * kMinute, 4);
  for (const auto& p : t) {
    REQUIRE(p->reading.mbus.size() == 1);
    const MbusDevice& gas = p->reading.mbus[0];
    CHECK(gas.device_type == 3);
    REQUIRE(gas.has_value);
    CHECK(gas.unit == "m3");
    REQUIRE(gas.timestamp.valid);
    CHECK(gas.timestamp.unix_seconds % 3600 == 0);
    CHECK(p->plaintext.find(")(m3)\r\n(") != std::string::npos);
  }
  CHECK(t[3]->reading.mbus[0].value > t[0]->reading.mbus[0].value);  // 18:00 -> 19:00 capture
  CHECK(sim->state().gas.m3 == Approx(t[3]->reading.mbus[0].value).margin(0.001));
}

TEST_CASE("same seed and call times give the same bytes; another seed differs", "[simulator]") {
  const std::string v = GENERATE("dsmr5", "be", "lu");
  auto a = Make(v, 42, Encrypts(v));
  auto b = Make(v, 42, Encrypts(v));
  auto c = Make(v, 43, Encrypts(v));
  bool differs = false;
  for (int i = 0; i < 50; ++i) {
    const int64_t t = kJune15 + i * 1000;
    const std::string x = a->Next(t), y = b->Next(t), z = c->Next(t);
    REQUIRE(x == y);
    differs = differs || x != z;
  }
  CHECK(differs);
}

TEST_CASE("lu: frame counter increments; a wrong key fails to decrypt", "[simulator]") {
  auto sim = Make("lu", 5, true);
  const std::string f1 = sim->Next(kJune15), f2 = sim->Next(kJune15 + 10000);
  GloFrameHeader h1, h2;
  REQUIRE(ParseGloHeader(f1, 1 << 16, &h1) == GloParse::kOk);
  REQUIRE(ParseGloHeader(f2, 1 << 16, &h2) == GloParse::kOk);
  CHECK(h2.frame_counter == h1.frame_counter + 1);
  CHECK(h1.system_title.substr(0, 5) == "SAGgp");
  CHECK(h1.total_length == f1.size());

  FramerOptions wrong;
  wrong.key = kOtherKey;
  Framer framer(wrong);
  std::vector<FrameStatus> statuses;
  framer.Feed(f1 + f2, [&](const Frame& f) { statuses.push_back(f.status); });
  CHECK(statuses ==
        std::vector<FrameStatus>{FrameStatus::kDecryptError, FrameStatus::kDecryptError});

  std::string plaintext, err;
  CHECK(DecryptGloFrame(f1, kKey, nullptr, &plaintext, &err));
  CHECK(plaintext.rfind("/Lux5", 0) == 0);
}

TEST_CASE("lu without a key sends plain text with a CRC", "[simulator]") {
  auto sim = Make("lu", 5, false);
  auto t = Run(*sim, kJune15, 10000, 3);
  CHECK(t[0]->raw.rfind("/Lux5", 0) == 0);
  CHECK(!t[0]->encrypted);
  CHECK(t[0]->crc == CrcStatus::kValid);
}

TEST_CASE("dsmr5: solar export by day only, three phases near 230 V, realistic size",
          "[simulator]") {
  auto sim = Make("dsmr5", 8, false);
  // Midsummer noon, one telegram a second for 10 minutes.
  auto noon = Run(*sim, kJune15 + 3 * 60 * kMinute, 1000, 600);
  int exporting = 0;
  for (const auto& t : noon) {
    if (t->Number("1-0:2.7.0") > 0) ++exporting;
    for (const char* v : {"1-0:32.7.0", "1-0:52.7.0", "1-0:72.7.0"}) {
      CHECK(t->Number(v) > 215);
      CHECK(t->Number(v) < 245);
    }
    CHECK(t->raw.size() > 700);
    CHECK(t->raw.size() < 1000);
  }
  CHECK(exporting > 300);
  auto night = Run(*sim, kJune15 + 16 * 60 * kMinute, 1000, 300);  // 02:00 local
  for (const auto& t : night) CHECK(t->Number("1-0:2.7.0") == 0);
}

TEST_CASE("se: phase currents match power and reactive power over voltage", "[simulator]") {
  auto sim = Make("se", 3, false);
  auto telegrams = Run(*sim, kJan17 + 19 * 60 * kMinute, 10000, 100);
  const char* const p_imp[3] = {"1-0:21.7.0", "1-0:41.7.0", "1-0:61.7.0"};
  const char* const q_imp[3] = {"1-0:23.7.0", "1-0:43.7.0", "1-0:63.7.0"};
  const char* const q_exp[3] = {"1-0:24.7.0", "1-0:44.7.0", "1-0:64.7.0"};
  const char* const volts[3] = {"1-0:32.7.0", "1-0:52.7.0", "1-0:72.7.0"};
  const char* const amps[3] = {"1-0:31.7.0", "1-0:51.7.0", "1-0:71.7.0"};
  for (const auto& t : telegrams) {
    double sum_p = 0;
    for (int p = 0; p < 3; ++p) {
      const double va =
          1000 * std::hypot(t->Number(p_imp[p]), t->Number(q_imp[p]) - t->Number(q_exp[p]));
      // Currents have one decimal: allow 0.05 A of rounding on ~230 V.
      CHECK(std::abs(t->Number(amps[p]) * t->Number(volts[p]) - va) < 0.05 * 250 + 2);
      sum_p += t->Number(p_imp[p]);
    }
    CHECK(std::abs(sum_p - t->Number("1-0:1.7.0")) < 0.003);
  }
}

TEST_CASE("tariff follows the local clock: NL low at night and weekends, BE day on weekdays",
          "[simulator]") {
  auto nl = Make("dsmr4", 1, false);
  auto be = Make("be", 1, false);
  const int64_t wed_noon = kJan17 + 12 * 60 * kMinute, wed_3am = kJan17 + 3 * 60 * kMinute + 10000;
  const int64_t sat_noon = kJan17 + (3 * 24 + 12) * 60 * kMinute;
  CHECK(Run(*nl, wed_3am, 0, 1)[0]->Number("0-0:96.14.0") == 1);
  CHECK(Run(*nl, wed_noon, 0, 1)[0]->Number("0-0:96.14.0") == 2);
  CHECK(Run(*nl, sat_noon, 0, 1)[0]->Number("0-0:96.14.0") == 1);
  CHECK(Run(*be, wed_3am, 0, 1)[0]->Number("0-0:96.14.0") == 2);
  CHECK(Run(*be, wed_noon, 0, 1)[0]->Number("0-0:96.14.0") == 1);
  CHECK(Run(*be, sat_noon, 0, 1)[0]->Number("0-0:96.14.0") == 2);
  // Energy went to the register of the tariff in force: NL normal (1.8.2) grew over Wednesday.
  auto wed = Run(*Make("dsmr4", 2, false), kJan17 + 9 * 60 * kMinute, 10 * kMinute, 50);
  CHECK(wed.back()->Number("1-0:1.8.2") > wed.front()->Number("1-0:1.8.2"));
  CHECK(wed.back()->Number("1-0:1.8.1") == wed.front()->Number("1-0:1.8.1"));
}

TEST_CASE("be: capacity tariff keeps month peaks and rolls the 13-month history", "[simulator]") {
  auto sim = Make("be", 11, false);
  // 2024-01-31 22:00 CET to 2024-02-01 02:00, one telegram a minute.
  const int64_t start = FromLocal(2024, 1, 31, 22, 0, 30) * 1000;
  auto telegrams = Run(*sim, start, kMinute, 240);
  const int64_t feb1 = FromLocal(2024, 2, 1, 0, 0, 0);
  double peak_jan = 0;
  for (const auto& t : telegrams) {
    const CosemObject* peak = t->Object("1-0:1.6.0");
    const CosemObject* hist = t->Object("0-0:98.1.0");
    REQUIRE(peak != nullptr);
    REQUIRE(hist != nullptr);
    REQUIRE(hist->kind == ValueKind::kEntries);
    CHECK(hist->count == 13);
    const HistoryEntry& newest = t->reading.entries[hist->first];
    const int64_t now_s = t->Object("0-0:1.0.0")->timestamp.unix_seconds;
    CHECK(peak->timestamp.unix_seconds <= now_s);
    CHECK(t->Number("1-0:1.4.0") >= 0);
    if (now_s < feb1) {
      CHECK(peak->number >= peak_jan);  // a month's peak only grows
      peak_jan = peak->number;
      CHECK(newest.period.unix_seconds == FromLocal(2024, 1, 1, 0, 0, 0));
    } else {
      // January closed: its peak heads the history, dated 1 February 00:00.
      CHECK(newest.period.unix_seconds == feb1);
      CHECK(newest.value == Approx(peak_jan).margin(0.0005));
      CHECK(peak->timestamp.unix_seconds >= feb1);
      CHECK(peak->timestamp.unix_seconds % 900 == 0);
    }
  }
  CHECK(peak_jan > 0);
  // Water on channel 2 (device type 007) and gas on 24.2.3 on channel 1.
  const Reading& r = telegrams.back()->reading;
  REQUIRE(r.mbus.size() == 2);
  CHECK(r.mbus[1].channel == 2);
  CHECK(r.mbus[1].device_type == 7);
  CHECK(telegrams.back()->plaintext.find("0-1:24.2.3(") != std::string::npos);
}

TEST_CASE("registers never decrease when the caller's clock steps back", "[simulator]") {
  auto sim = Make("dsmr5", 4, false);
  auto a = Run(*sim, kJune15, 0, 1);
  auto b = Run(*sim, kJune15 + 30 * kMinute, 0, 1);
  auto c = Run(*sim, kJune15 + 10 * kMinute, 0, 1);
  CHECK(TotalImport(*b[0], "dsmr5") >= TotalImport(*a[0], "dsmr5"));
  CHECK(TotalImport(*c[0], "dsmr5") >= TotalImport(*b[0], "dsmr5"));
}

TEST_CASE("at-mbus: a Kaifa MA309M's encrypted notification in checksummed M-Bus long frames",
          "[simulator]") {
  auto sim = Make("at-mbus", 99, true);
  CHECK(sim->interval_ms() == 5000);
  const uint32_t counter = sim->frame_counter();
  const std::string wire = sim->Next(kJan17 + 90 * kMinute);  // 01:30 CET, a Wednesday
  const MeterState state = sim->state();
  CHECK(sim->frame_counter() == counter + 1);
  // Every frame: 68 L L 68, C = 0x53, A = 0xFF, a DLMS segment CI, checksum, 16.
  size_t pos = 0, frames = 0;
  while (pos < wire.size()) {
    auto u = [&](size_t i) { return static_cast<uint8_t>(wire[pos + i]); };
    REQUIRE(wire.size() - pos >= 6);
    REQUIRE(u(0) == 0x68);
    REQUIRE(u(1) == u(2));
    REQUIRE(u(3) == 0x68);
    const size_t len = u(1);
    REQUIRE(wire.size() - pos >= len + 6);
    CHECK(u(4) == 0x53);
    CHECK(u(5) == 0xFF);
    CHECK(u(6) <= 0x1F);
    uint8_t sum = 0;
    for (size_t i = 0; i < len; ++i) sum = static_cast<uint8_t>(sum + u(4 + i));
    CHECK(u(4 + len) == sum);
    CHECK(u(5 + len) == 0x16);
    pos += len + 6;
    ++frames;
  }
  CHECK(frames >= 1);

  StreamUnwrapper unwrapper(Wrapping::kMbus);
  const std::string apdu(unwrapper.Feed(wire));
  REQUIRE(static_cast<uint8_t>(apdu[0]) == 0xDB);
  CHECK(apdu.substr(2, 3) == "KFM");
  FramerOptions options;
  options.key = kKey;
  auto telegrams = Run(*Make("at-mbus", 99, true), kJan17 + 90 * kMinute, 0, 1, options);
  const Parsed& t = *telegrams[0];
  INFO(t.plaintext);
  CHECK(t.plaintext.rfind("/KFM5\\DLMS\r\n\r\n0-0:1.0.0(240117013000W)\r\n", 0) == 0);
  CHECK(t.crc == CrcStatus::kValid);
  CHECK(t.Number("1-0:1.8.0") == std::floor(state.ImportWh()));
  CHECK(t.Number("1-0:32.7.0") == Approx(state.voltage_v[0]).margin(0.051));
  CHECK(t.Number("1-0:31.7.0") == Approx(state.current_a[0]).margin(0.0051));
  const double pf = t.Number("1-0:13.7.0");
  CHECK(pf > 0);
  CHECK(pf <= 1);
  const CosemObject* serial = t.Object("0-0:96.1.0");
  REQUIRE(serial != nullptr);
  CHECK((serial->kind == ValueKind::kNumber ? serial->number_text : serial->text).size() == 12);

  FramerOptions wrong;
  wrong.key = kOtherKey;
  CHECK(Run(*Make("at-mbus", 99, true), kJan17, 0, 1, wrong)[0]->status ==
        FrameStatus::kDecryptError);
}

TEST_CASE("bad variants and keys are refused with a message", "[simulator]") {
  std::string err;
  CHECK(Simulator::Create("dsmr9", 1, std::nullopt, std::nullopt, &err) == nullptr);
  CHECK(err.find("dsmr9") != std::string::npos);
  err.clear();
  CHECK(Simulator::Create("dsmr5", 1, kKey, std::nullopt, &err) == nullptr);
  CHECK(!err.empty());
  err.clear();
  CHECK(Simulator::Create("at-mbus", 1, std::nullopt, std::nullopt, &err) == nullptr);
  CHECK(err.find("needs a key") != std::string::npos);
  CHECK(Simulator::IsVariant("q3d"));
  CHECK(!Simulator::IsVariant(""));
  CHECK(Make("dsmr5", 1, false)->interval_ms() == 1000);
  CHECK(Make("se", 1, false)->interval_ms() == 10000);
  CHECK(Make("q3d", 1, false)->interval_ms() == 2000);
}

}  // namespace
}  // namespace p1
