// `p1gateway parse` core: streams of many telegrams with junk, stdin,
// encrypted input, error lines with offsets, and exit codes.
#include "gateway/cli/parse_command.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/corpus_files.h"

namespace p1 {
namespace {

using nlohmann::json;
using testing::ReadCorpusFile;

// A file in the temp directory, removed when the object goes away.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/p1gw_parse_test_XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    path_ = name;
    REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    close(fd);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Captures what is written to a FILE*.
class Capture {
 public:
  Capture() : f_(std::tmpfile()) { REQUIRE(f_); }
  ~Capture() { std::fclose(f_); }
  std::FILE* file() { return f_; }
  std::string Text() {
    std::fflush(f_);
    std::rewind(f_);
    std::string s;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f_)) > 0) s.append(buf, n);
    return s;
  }
  std::vector<std::string> Lines() {
    std::vector<std::string> out;
    std::istringstream in(Text());
    std::string line;
    while (std::getline(in, line)) out.push_back(line);
    return out;
  }

 private:
  std::FILE* f_;
};

int Run(ParseCommandOptions opt, Capture& out, Capture& err) {
  return RunParseCommand(opt, out.file(), err.file());
}

TEST_CASE("a long stream of telegrams with junk gives one JSON line per telegram",
          "[parse_command]") {
  const std::string valid =
      ReadCorpusFile("dsmr-tools__dsmr50__onrealdsmr5-parse-real-telegram.txt");
  const std::string dsmr22 = ReadCorpusFile("dsmr_parser__dsmr22__iskra-mt382-v22.txt");
  const std::string bad_crc =
      ReadCorpusFile("dsmr-tools__dsmr50__crcvalidator-crc-validator-const-2.txt");
  const char kJunk[] = "\x00\xff noise ! line\r\n";
  const std::string junk(kJunk, sizeof kJunk - 1);
  REQUIRE_FALSE(valid.empty());
  std::string stream = "tail of an earlier telegram\r\n!AB12\r\n";
  const int kCopies = 1000;
  size_t truncated_at = 0;
  for (int i = 0; i < kCopies; ++i) {
    if (i == 500) {
      truncated_at = stream.size();
      stream += valid.substr(0, 200);  // cut off: the next telegram's '/' interrupts it
    }
    stream += valid;
    stream += dsmr22;
    stream += junk;
    stream += bad_crc;
  }
  REQUIRE(stream.size() > 4 * 64 * 1024);  // several read chunks
  TempFile file(stream);
  Capture out, err;
  ParseCommandOptions opt;
  opt.inputs = {file.path()};
  CHECK(Run(opt, out, err) == 0);
  auto lines = out.Lines();
  REQUIRE(lines.size() == 3 * kCopies);
  size_t invalid = 0, absent = 0;
  for (const auto& line : lines) {
    json j = json::parse(line);
    invalid += j["crc"] == "invalid";
    absent += j["crc"] == "absent";
  }
  CHECK(invalid == kCopies);
  CHECK(absent == kCopies);
  CHECK(json::parse(lines[0])["errors"].empty());
  CHECK(json::parse(lines[0])["header"] == "ISK5\\2M550T-1012");
  auto errors = err.Lines();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] ==
        file.path() + ":" + std::to_string(truncated_at) + ": truncated telegram (200 bytes)");
}

TEST_CASE("'-' reads stdin", "[parse_command]") {
  TempFile file(ReadCorpusFile("dsmr_parser__be-emucs__fluvius-v171.txt"));
  REQUIRE(std::freopen(file.path().c_str(), "rb", stdin));
  Capture out, err;
  ParseCommandOptions opt;
  opt.inputs = {"-"};
  CHECK(Run(opt, out, err) == 0);
  auto lines = out.Lines();
  REQUIRE(lines.size() == 1);
  json j = json::parse(lines[0]);
  CHECK(j["crc"] == "valid");
  CHECK(j["mbus"].size() == 2);
  CHECK(err.Text().empty());
}

TEST_CASE("ParseInput works on any FILE* and counts what it saw", "[parse_command]") {
  Capture in;
  std::string text = ReadCorpusFile("dsmr_parser__dsmr42__kaifa.txt") + "/KFM5 cut\r\n1-0:1.8.1(";
  std::fwrite(text.data(), 1, text.size(), in.file());
  std::rewind(in.file());
  Capture out, err;
  ParseInputStats stats;
  ParseCommandOptions opt;
  CHECK(ParseInput(in.file(), "cap", opt, out.file(), err.file(), &stats));
  CHECK(stats.telegrams == 1);
  CHECK(stats.truncated == 1);
  CHECK(stats.bytes == text.size());
  size_t first = text.size() - std::string("/KFM5 cut\r\n1-0:1.8.1(").size();
  CHECK(err.Lines() == std::vector<std::string>{"cap:" + std::to_string(first) +
                                                ": truncated telegram (21 bytes)"});
}

TEST_CASE("encrypted input decrypts with --key and fails cleanly without", "[parse_command]") {
  const std::string bin = "openhab-dsmr__lu-smarty__smarty-decrypter-test.bin";
  ParseCommandOptions opt;
  opt.inputs = {testing::CorpusPath(bin)};
  {
    Capture out, err;
    opt.key = ParseAesKey("D491470F47126332B07D1923B3504188");
    CHECK(Run(opt, out, err) == 0);
    auto lines = out.Lines();
    REQUIRE(lines.size() == 1);
    json j = json::parse(lines[0]);
    CHECK(j["header"] == "Lux5\\253663629_D");
    CHECK(j["crc"] == "invalid");  // the sample's own CRC is wrong (INDEX.md)
    CHECK(j["objects"].size() == 28);
  }
  {
    Capture out, err;
    opt.key.reset();
    CHECK(Run(opt, out, err) == 1);
    CHECK(out.Text().empty());
    // Without a key the ciphertext is junk (never a frame that swallows what
    // follows); the hint names the missing key.
    auto errors = err.Lines();
    REQUIRE(errors.size() >= 2);
    CHECK(errors[errors.size() - 2] ==
          opt.inputs[0] + ": holds encrypted DLMS frames (0xDB): give the meter's key with --key");
    CHECK(errors.back() == opt.inputs[0] + ": no telegram found");
  }
  {
    Capture out, err;
    opt.key = ParseAesKey("D491470F47126332B07D1923B3504189");
    CHECK(Run(opt, out, err) == 1);
    auto errors = err.Lines();
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].rfind(opt.inputs[0] + ":0: encrypted frame not decrypted (711 bytes)", 0) == 0);
  }
}

TEST_CASE("parse with wrapping mbus reads an Austrian M-Bus capture and reports other frames",
          "[parse_command]") {
  const std::string capture =
      ReadCorpusFile("node-dsmr-parser__at-mbus-dlms__austria-example-1.bin");
  // An M-Bus ACK and a frame of another kind (CI 0x72) before the capture.
  std::string other = "\x68\x05\x05\x68\x08\x01\x72\x01\x02";
  other += static_cast<char>(0x08 + 0x01 + 0x72 + 0x01 + 0x02);
  other += '\x16';
  TempFile in("\xE5" + other + capture);
  ParseCommandOptions opt;
  opt.inputs = {in.path()};
  opt.key = ParseAesKey("36C66639E48A8CA4D6BC8B282A793BBB");
  opt.wrapping = Wrapping::kMbus;
  Capture out, err;
  REQUIRE(Run(opt, out, err) == 0);
  const auto lines = out.Lines();
  REQUIRE(lines.size() == 1);
  const json j = json::parse(lines[0]);
  CHECK(j["header"] == "KFM5\\DLMS");
  CHECK(j["crc"] == "valid");
  bool energy = false;
  for (const json& o : j["objects"]) {
    if (o["obis"] == "1-0:1.8.0") energy = o["value"] == 12937 && o["unit"] == "Wh";
  }
  CHECK(energy);
  CHECK(err.Text() == in.path() + ": 1 M-Bus frames without meter data skipped\n");
  // Read as plain P1, the same bytes hold no telegram.
  opt.wrapping = Wrapping::kNone;
  Capture out2, err2;
  CHECK(Run(opt, out2, err2) == 1);
  CHECK(out2.Text().empty());
}

TEST_CASE("parse with a timezone (--timezone) reads the meter's clock in that zone", "[parse_command]") {
  TempFile in(ReadCorpusFile("dsmr_parser__ie-iskra__iskra-ie5t.txt"));
  ParseCommandOptions opt;
  opt.inputs = {in.path()};
  Capture out1, err1;
  REQUIRE(Run(opt, out1, err1) == 0);
  CHECK(out1.Text().find("\"2023-02-02T13:27:47+02:00\"") != std::string::npos);  // CET/CEST
  std::string err;
  REQUIRE(TimeZone::Find("Europe/Dublin", &opt.zone, &err));
  Capture out2, err2;
  REQUIRE(Run(opt, out2, err2) == 0);
  const json j = json::parse(out2.Lines().at(0));
  bool found = false;
  for (const json& o : j["objects"]) {
    if (o["obis"] == "0-0:1.0.0") {
      CHECK(o["value"] == "2023-02-02T13:27:47+00:00");
      found = true;
    }
  }
  CHECK(found);
}

TEST_CASE("text format prints a block per telegram", "[parse_command]") {
  TempFile file(ReadCorpusFile("dsmr_parser__dsmr50__warmtelink-heat-unpadded-crc.txt"));
  Capture out, err;
  ParseCommandOptions opt;
  opt.json = false;
  opt.inputs = {file.path()};
  CHECK(Run(opt, out, err) == 0);
  std::string t = out.Text();
  CHECK(t.rfind("telegram /NWA-WARMTELINK  crc valid\n", 0) == 0);
  CHECK(t.find("mbus channel 1: device type 4, id 621848012D2C0B0C, 240.860 GJ") !=
        std::string::npos);
}

TEST_CASE("exit codes: usage 2, unreadable input 1, later inputs still processed",
          "[parse_command]") {
  Capture out, err;
  CHECK(Run(ParseCommandOptions{}, out, err) == 2);
  CHECK(err.Lines().size() == 1);

  TempFile good(ReadCorpusFile("arduino-dsmr__dsmr40__kaifa-minimal.txt"));
  Capture out2, err2;
  ParseCommandOptions opt;
  opt.inputs = {"/nonexistent/p1gw/file.txt", good.path()};
  CHECK(Run(opt, out2, err2) == 1);
  CHECK(out2.Lines().size() == 1);
  auto errors = err2.Lines();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].rfind("/nonexistent/p1gw/file.txt: cannot open", 0) == 0);

  TempFile empty("");
  Capture out3, err3;
  opt.inputs = {empty.path()};
  CHECK(Run(opt, out3, err3) == 1);
  CHECK(err3.Lines() == std::vector<std::string>{empty.path() + ": no telegram found"});
}

}  // namespace
}  // namespace p1
