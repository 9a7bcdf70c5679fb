// Corpus-driven parser tests: every sample in tests/data goes through the
// real path (Framer -> ParseTelegram), and spot values per DSMR variant are
// checked against the telegram text.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>

#include "gateway/core/framer.h"
#include "gateway/core/parser.h"
#include "gateway/core/render.h"
#include "tests/gateway/core/parse_helpers.h"

namespace p1 {
namespace {

using testing::Channel;
using testing::CorpusFiles;
using testing::FindNth;
using testing::O;
using testing::ParseCorpus;
using testing::ReadCorpusFile;

struct FramedTelegram {
  FrameStatus status;
  CrcStatus crc;
  std::string plaintext;
};

std::vector<FramedTelegram> FrameAll(const std::string& bytes, FramerOptions options = {}) {
  std::vector<FramedTelegram> out;
  Framer framer(options);
  auto on_frame = [&](const Frame& f) {
    out.push_back({f.status, f.crc, std::string(f.plaintext)});
  };
  framer.Feed(bytes, on_frame);
  framer.Finish(on_frame);
  return out;
}

std::vector<FramedTelegram> Telegrams(const std::vector<FramedTelegram>& frames) {
  std::vector<FramedTelegram> out;
  for (const auto& f : frames) {
    if (f.status == FrameStatus::kTelegram) out.push_back(f);
  }
  return out;
}

// INDEX.md rows "| `file` | source | variant | CRC | notes |": file -> CRC column.
std::map<std::string, std::string> IndexCrcColumn() {
  std::map<std::string, std::string> out;
  std::istringstream in(ReadCorpusFile("INDEX.md"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cols;
    std::string col;
    std::istringstream row(line.substr(1));
    while (std::getline(row, col, '|')) cols.push_back(col);
    if (cols.size() < 4) continue;
    std::string name = cols[0].substr(cols[0].find('`') + 1);
    name = name.substr(0, name.find('`'));
    std::string crc = cols[3].substr(cols[3].find_first_not_of(' '));
    out[name] = crc;
  }
  return out;
}

// CRC-valid samples whose telegrams carry clockless placeholder or invalid
// timestamps: each becomes null plus exactly these errors (checked by hand
// against the files).
const std::map<std::string, std::vector<std::string>> kDocumentedErrors = {
    {"arduino-dsmr__dsmr40__kaifa-example.txt", {"line 17: invalid timestamp '000101000001W'"}},
    {"dsmr-tools__dsmr42__onrealdsmr4-dsmr42-telegram.txt",
     {"line 4: invalid timestamp '000101010000W'", "line 35: invalid timestamp '000101010000W'"}},
    {"dsmr-tools__dsmr42__onrealdsmr4-dsmrtelegram-kfm.txt",
     {"line 15: invalid timestamp '000101000001W'"}},
    {"dsmr_parser__be-emucs__fluvius-v171-alt.txt", {"line 13: invalid timestamp '632525252525W'"}},
    {"dsmr_parser__dsmr42__kaifa.txt", {"line 15: invalid timestamp '000101000001W'"}},
    {"dsmr_parser__dsmr50__iskra-am550-two-mbus.txt", {"line 37: invalid timestamp '700101010000W'"}},
    {"node-dsmr-parser__dsmr40__dsmr-4.0-isk-2.txt", {"line 4: invalid timestamp '000101010000W'"}},
    {"node-dsmr-parser__dsmr42__dsmr-4.2-kfm-1.txt", {"line 15: invalid timestamp '000101000024W'"}},
    {"openhab-dsmr__be-emucs__flu5-invalid-gasmeter.txt",
     {"line 22: invalid timestamp '632525252525W'"}},
};

TEST_CASE("every CRC-valid corpus telegram frames with a valid CRC and parses cleanly", "[corpus]") {
  auto index = IndexCrcColumn();
  size_t checked = 0;
  for (const auto& [name, crc] : index) {
    if (crc.rfind("valid", 0) != 0) continue;
    INFO(name);
    auto telegrams = Telegrams(FrameAll(ReadCorpusFile(name)));
    REQUIRE_FALSE(telegrams.empty());
    for (const auto& t : telegrams) {
      CHECK(t.crc == CrcStatus::kValid);
      Reading r;
      ParseTelegram(t.plaintext, &r);
      auto it = kDocumentedErrors.find(name);
      CHECK(r.errors == (it == kDocumentedErrors.end() ? std::vector<std::string>{} : it->second));
      CHECK(r.objects.size() >= 2);
    }
    ++checked;
  }
  CHECK(checked == 33);  // INDEX.md totals: 33 CRC-valid files
}

TEST_CASE("samples with a wrong CRC are framed and reported as crc invalid", "[corpus]") {
  size_t checked = 0;
  for (const auto& [name, crc] : IndexCrcColumn()) {
    if (crc.rfind("MISMATCH", 0) != 0) continue;
    INFO(name);
    auto telegrams = Telegrams(FrameAll(ReadCorpusFile(name)));
    REQUIRE(telegrams.size() == 1);
    CHECK(telegrams[0].crc == CrcStatus::kInvalid);
    Reading r;
    ParseTelegram(telegrams[0].plaintext, &r);
    CHECK(r.objects.size() >= 2);
    ++checked;
  }
  CHECK(checked >= 20);
}

TEST_CASE("every sample without a CRC still parses into objects", "[corpus]") {
  for (const auto& name : CorpusFiles(".txt", {".key.txt", ".expected.txt"})) {
    INFO(name);
    auto p = ParseCorpus(name);
    CHECK(p->reading.objects.size() >= 2);
    CHECK_FALSE(p->reading.header.empty());
  }
}

struct EncryptedSample {
  const char* bin;
  const char* key;
  const char* aad_key;  // nullptr: framer default
};

TEST_CASE("encrypted samples decrypt and parse like their plaintext", "[corpus]") {
  const EncryptedSample samples[] = {
      {"esphome-dsmr_parser__at__encrypted-packet-t210", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
       "00112233445566778899AABBCCDDEEFF"},
      {"node-dsmr-parser__lu-smarty__spec-example-encrypted-with-aad",
       "0123456789ABCDEF0123456789ABCDEF", "FFEEDDCCBBAA99887766554433221100"},
      {"node-dsmr-parser__lu-smarty__spec-example-encrypted-without-aad",
       "0123456789ABCDEF0123456789ABCDEF", nullptr},
      {"openhab-dsmr__lu-smarty__smarty-decrypter-test", "D491470F47126332B07D1923B3504188",
       nullptr},
  };
  for (const auto& s : samples) {
    std::string name = s.bin;
    INFO(name);
    FramerOptions opt;
    opt.key = ParseAesKey(s.key);
    if (s.aad_key) opt.aad_key = ParseAesKey(s.aad_key);
    auto decrypted = Telegrams(FrameAll(ReadCorpusFile(name + ".bin"), opt));
    auto plain = Telegrams(FrameAll(ReadCorpusFile(name + ".expected.txt")));
    REQUIRE(decrypted.size() == 1);
    REQUIRE(plain.size() == 1);
    CHECK(decrypted[0].plaintext == plain[0].plaintext);
    Reading a, b;
    ParseTelegram(decrypted[0].plaintext, &a);
    ParseTelegram(plain[0].plaintext, &b);
    a.crc = decrypted[0].crc;
    b.crc = plain[0].crc;
    CHECK(a.objects.size() >= 18);
    CHECK(RenderJson(a) == RenderJson(b));
  }
}

TEST_CASE("a truncated telegram followed by a full one: the full one parses cleanly", "[corpus]") {
  auto frames = FrameAll(ReadCorpusFile("dsmr-tools__dsmr50__onbadtelegram-parse-bad-testcase.txt"));
  auto telegrams = Telegrams(frames);
  REQUIRE(telegrams.size() == 1);
  CHECK(frames.front().status == FrameStatus::kTruncated);
  Reading r;
  CHECK(ParseTelegram(telegrams[0].plaintext, &r));
  CHECK(r.Find(O("1-0:2.7.0"))->number == Approx(2.857));
}

TEST_CASE("Belgian e-MUCS: demand, month peaks, gas on 24.2.3 and water by device type",
          "[corpus][be]") {
  auto p = ParseCorpus("dsmr_parser__be-emucs__fluvius-v171.txt");
  const Reading& r = p->reading;
  CHECK(r.errors.empty());
  CHECK(r.Find(O("0-0:96.1.4"))->number_text == "50217");
  CHECK(r.Find(O("1-0:1.4.0"))->number == Approx(2.351));
  const CosemObject* peak = r.Find(O("1-0:1.6.0"));
  CHECK(peak->number == Approx(2.589));
  CHECK(peak->unit == "kW");
  CHECK(peak->has_timestamp);
  CHECK(peak->timestamp.ToIso8601() == "2020-05-09T13:45:58+02:00");
  const CosemObject* hist = r.Find(O("0-0:98.1.0"));
  REQUIRE(hist->kind == ValueKind::kEntries);
  REQUIRE(hist->count == 3);
  const HistoryEntry& e = r.entries[hist->first];
  CHECK(e.period.ToIso8601() == "2020-05-01T00:00:00+02:00");
  CHECK(e.time.ToIso8601() == "2020-04-23T19:25:38+02:00");
  CHECK(e.value == Approx(3.695));
  CHECK(e.unit == "kW");
  CHECK(r.entries[hist->first + 2].time.ToIso8601() == "2020-02-10T03:54:21+01:00");
  REQUIRE(r.mbus.size() == 2);
  const MbusDevice* gas = Channel(r, 1);
  CHECK(gas->device_type == 3);
  CHECK(gas->value_obis == O("0-1:24.2.3"));
  CHECK(gas->value == Approx(112.384));
  CHECK(gas->timestamp.ToIso8601() == "2020-05-12T13:45:58+02:00");
  CHECK(gas->equipment_id == "37464C4F32313139303333373333");
  const MbusDevice* water = Channel(r, 2);
  CHECK(water->device_type == 7);
  CHECK(water->value == Approx(872.234));
  CHECK(water->unit == "m3");
}

TEST_CASE("Fluvius without '*' before units and with a disconnected gas meter", "[corpus][be]") {
  auto p = ParseCorpus("openhab-dsmr__be-emucs__flu5-invalid-gasmeter.txt");
  const Reading& r = p->reading;
  CHECK(r.Find(O("1-0:1.8.1"))->number == Approx(123.456));
  CHECK(r.Find(O("1-0:1.8.1"))->unit == "kWh");
  CHECK(r.Find(O("1-0:31.7.0"))->unit == "A");
  const MbusDevice* gas = Channel(r, 1);
  CHECK(gas->has_value);
  CHECK(gas->value == 0);
  CHECK(gas->unit.empty());
  CHECK_FALSE(gas->timestamp.valid);
  CHECK(r.errors == std::vector<std::string>{"line 22: invalid timestamp '632525252525W'"});
}

TEST_CASE("Belgian month-peak history with an invalid peak time keeps the entry", "[corpus][be]") {
  auto p = ParseCorpus("dsmr_parser__be-emucs__fluvius-v171-alt.txt");
  const CosemObject* hist = p->reading.Find(O("0-0:98.1.0"));
  REQUIRE(hist->count == 4);
  const HistoryEntry& first = p->reading.entries[hist->first];
  CHECK(first.period.valid);
  CHECK_FALSE(first.time.valid);
  CHECK(first.value == 0);
}

TEST_CASE("Hungarian 98.1.0 billing values without count header", "[corpus][hu]") {
  auto p = ParseCorpus("dsmr_parser__hu-eon__sagemcom-eon-hungary.txt");
  const Reading& r = p->reading;
  CHECK(r.errors.empty());
  const CosemObject* hist = r.Find(O("0-0:98.1.0"));
  REQUIRE(hist->kind == ValueKind::kEntries);
  REQUIRE(hist->count == 19);
  const HistoryEntry& first = r.entries[hist->first];
  CHECK(first.has_period);
  CHECK_FALSE(first.has_time);
  CHECK(first.period.ToIso8601() == "2023-07-01T00:00:00+02:00");
  CHECK(first.value == Approx(40.777));
  CHECK(first.unit == "kWh");
  CHECK(r.entries[hist->first + 18].value == Approx(3.4));
  CHECK(r.entries[hist->first + 18].unit == "kW");
  CHECK(r.Find(O("1-0:14.7.0"))->unit == "Hz");
  CHECK(r.Find(O("1-0:13.7.0"))->number == Approx(4.556));
  CHECK(r.Find(O("0-0:42.0.0"))->kind == ValueKind::kText);
}

TEST_CASE("EasyMeter Q3D: *255 dropped, W units, trailing gateway lines ignored", "[corpus][q3d]") {
  auto p = ParseCorpus("dsmr_parser__q3d__easymeter-q3db1024.txt");
  const Reading& r = p->reading;
  CHECK(r.errors.empty());
  CHECK(r.objects.size() == 9);
  const CosemObject* total = r.Find(O("1-0:1.8.0"));
  REQUIRE(total);
  CHECK(total->obis.ToString() == "1-0:1.8.0");
  CHECK(total->number_text == "00052185.7825309");
  CHECK(total->unit == "kWh");
  CHECK(r.Find(O("1-0:1.7.0"))->unit == "W");
  CHECK(r.Find(O("0-0:96.1.255"))->text == "1ESY1313002565");
}

TEST_CASE("Austria: integer Wh and W", "[corpus][at]") {
  auto p = ParseCorpus("dsmr_parser__at__sagemcom-t210-d-r-plaintext.txt");
  const CosemObject* total = p->reading.Find(O("1-0:1.8.0"));
  CHECK(total->is_integer);
  CHECK(total->number == 6545766);
  CHECK(total->unit == "Wh");
  CHECK(p->reading.Find(O("1-0:1.7.0"))->number == 286);
}

TEST_CASE("Luxembourg Smarty: logical device name and message slots", "[corpus][lu]") {
  auto p = ParseCorpus("openhab-dsmr__lu-smarty__smarty-with-units.txt");
  const Reading& r = p->reading;
  CHECK(r.errors.empty());
  const CosemObject* name = r.Find(O("0-0:42.0.0"));
  REQUIRE(name->kind == ValueKind::kText);
  std::string text;
  CHECK(DecodeHexText(name->text, &text));
  CHECK(text == "SAG1030700114004");
  CHECK(r.Find(O("0-0:17.0.0"))->unit == "kVA");
  CHECK(r.Find(O("0-0:96.13.5"))->kind == ValueKind::kNone);
  CHECK(r.Find(O("1-0:3.8.0"))->unit == "kvarh");
}

TEST_CASE("DSMR 2.2 two-line gas record is one object", "[corpus][dsmr22]") {
  auto p = ParseCorpus("dsmr_parser__dsmr22__iskra-mt382-v22.txt");
  const Reading& r = p->reading;
  CHECK(r.errors.empty());
  const CosemObject* gas = r.Find(O("0-1:24.3.0"));
  REQUIRE(gas);
  CHECK(gas->kind == ValueKind::kNumber);
  CHECK(gas->number == Approx(1.001));
  CHECK(gas->unit == "m3");
  CHECK(gas->timestamp.ToIso8601() == "2016-11-07T19:00:00+01:00");
  CHECK(FindNth(r, "0-1:24.3.0", 1) == nullptr);
  CHECK(r.objects.size() == 16);  // 17 data lines, the value line folded in
  CHECK(r.Find(O("0-1:24.4.0"))->line == 19);
  CHECK(Channel(r, 1)->device_type == 3);
  CHECK(Channel(r, 1)->value == Approx(1.001));
}

TEST_CASE("power-failure log with placeholder entries", "[corpus][dsmr42]") {
  auto p = ParseCorpus("dsmr_parser__dsmr42__kaifa.txt");
  const Reading& r = p->reading;
  const CosemObject* log = r.Find(O("1-0:99.97.0"));
  REQUIRE(log->kind == ValueKind::kEvents);
  REQUIRE(log->count == 3);
  CHECK(r.events[0].end.ToIso8601() == "2000-01-04T18:03:20+01:00");
  CHECK(r.events[0].duration_s == 237126);
  CHECK_FALSE(r.events[1].end.valid);
  CHECK(r.events[1].duration_s == 2147583646);
  CHECK(r.events[2].duration_s == 2317482647);
  CHECK(r.Find(O("0-0:96.7.21"))->number == 15);
  CHECK(r.Find(O("1-0:32.32.0"))->is_integer);
}

TEST_CASE("warmtelink heat meter: GJ with device type 4", "[corpus][dsmr50]") {
  auto p = ParseCorpus("dsmr_parser__dsmr50__warmtelink-heat-unpadded-crc.txt");
  const MbusDevice* heat = Channel(p->reading, 1);
  REQUIRE(heat);
  CHECK(heat->device_type == 4);
  CHECK(heat->value == Approx(240.86));
  CHECK(heat->unit == "GJ");
  CHECK(heat->equipment_id == "621848012D2C0B0C");
}

TEST_CASE("unread M-Bus device: invalid timestamp becomes invalid plus one error", "[corpus][dsmr50]") {
  auto p = ParseCorpus("dsmr_parser__dsmr50__iskra-am550-two-mbus.txt");
  const Reading& r = p->reading;
  CHECK_FALSE(Channel(r, 1)->timestamp.valid);
  CHECK(Channel(r, 1)->number_text == "00000000");
  CHECK(Channel(r, 2)->timestamp.valid);
  CHECK(r.errors.size() == 1);
}

TEST_CASE("Iskra IE header keeps its 0x02 byte", "[corpus][ie]") {
  auto p = ParseCorpus("dsmr_parser__ie-iskra__iskra-ie5t.txt");
  CHECK(p->reading.header == std::string_view("ISk5\x02MIE5T-200"));
  CHECK(p->reading.Find(O("0-0:96.1.0"))->text == "09610");
  CHECK(p->reading.errors.empty());
}

TEST_CASE("ACE4000: value before timestamp, lines kept in order", "[corpus][other]") {
  auto p = ParseCorpus("openhab-dsmr__other__ace4000.txt");
  const Reading& r = p->reading;
  CHECK(r.errors.empty());
  const CosemObject* first = FindNth(r, "7-0:23.1.0", 0);
  REQUIRE(first);
  CHECK(first->number == Approx(1238.74));
  CHECK(first->unit == "m3");
  CHECK(first->timestamp.ToIso8601() == "2019-01-01T00:00:00+01:00");
  CHECK(FindNth(r, "7-0:23.1.0", 23) != nullptr);
  CHECK(FindNth(r, "7-0:23.1.0", 24) == nullptr);
  CHECK(FindNth(r, "7-0:23.1.0", 14)->timestamp.ToIso8601() == "2018-12-31T14:00:00+01:00");
}

TEST_CASE("landis+gyr without blank line after the header", "[corpus][dsmr22]") {
  auto p = ParseCorpus("openhab-dsmr__dsmr22__landis-gyr-e350.txt");
  CHECK(p->reading.errors.empty());
  CHECK(p->reading.objects.size() == 10);
  CHECK(p->reading.objects[0].line == 2);
}

TEST_CASE("malformed samples report errors but keep the other fields", "[corpus]") {
  auto p = ParseCorpus("dsmr-tools__dsmr50__parser-syntax-error.txt");
  const Reading& r = p->reading;
  CHECK(r.errors ==
        std::vector<std::string>{"line 5: not an OBIS line 'A-0:96.1.1(4B384547303034303436333935353037)'"});
  CHECK(r.Find(O("1-3:0.2.8"))->number == 50);
  CHECK(r.Find(O("0-0:1.0.0"))->timestamp.ToIso8601() == "2010-12-09T11:30:20+01:00");

  auto spec = ParseCorpus("dsmr-tools__dsmr42__onspecification42-parse-testcase-from42-specification.txt");
  CHECK(spec->reading.errors.size() == 1);  // the typo "1-0:72:32.0"
  CHECK(spec->reading.Find(O("1-0:31.7.0"))->number == 1);  // written "1-0:31.7.0.255"

  auto unknown = ParseCorpus("dsmr-tools__dsmr50__parser-unknown-cosem-id.txt");
  CHECK(unknown->reading.errors.empty());
  CHECK(unknown->reading.Find(O("0-0:0.0.0"))->kind == ValueKind::kText);
}

}  // namespace
}  // namespace p1
