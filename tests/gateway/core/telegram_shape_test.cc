#include "gateway/core/telegram_shape.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "gateway/core/framer.h"
#include "tests/support/corpus_files.h"

namespace p1 {
namespace {

bool Shape(std::string_view text) {
  const char* why = nullptr;
  return CheckTelegramShape(text, &why);
}

TEST_CASE("every CRC-framed corpus telegram has the shape of a telegram", "[shape]") {
  for (const std::string& name : testing::CorpusFiles(".txt", {".key.txt", ".expected.txt"})) {
    if (name.find("syntax-error") != std::string::npos) continue;  // a line "A-0:…", CRC wrong
    Framer framer;
    framer.Feed(testing::ReadCorpusFile(name), [&](const Frame& f) {
      if (f.status != FrameStatus::kTelegram || f.crc == CrcStatus::kInvalid) return;
      const char* why = "";
      const bool ok = CheckTelegramShape(f.plaintext, &why);
      INFO(name << ": " << why);
      CHECK(ok);
    });
  }
}

TEST_CASE("frames that only look like telegrams by their '/' and '!' are rejected", "[shape]") {
  CHECK_FALSE(Shape("/\x01\x02garbage\r\n!"));
  CHECK_FALSE(Shape("/A1C5\r\n\r\n1-0:1.8.1(000001.000*kWh)\r\n!"));              // not 3 letters
  CHECK_FALSE(Shape("/ISK5\\2M550T\r\n\r\nno obis here\r\n!"));                   // no OBIS line
  CHECK_FALSE(Shape("/ISK5\\2M550T\r\n1-0:1.8.1(0\x05\x06)\r\n!"));               // control bytes
  CHECK_FALSE(Shape("/ISK5\\2M550T"));                                            // no line end
  CHECK_FALSE(Shape("/ISK5" + std::string(200, 'x') + "\r\n1-0:1.8.1(1)\r\n!"));  // header too long
  CHECK(Shape("/ISK5\\2M550T\r\n\r\n1-0:1.8.1(000001.000*kWh)\r\n!"));
  CHECK(Shape("/ESY5Q3DA1004 V3.04\r\n\r\n1-0:1.8.0*255(00001.0000000*kWh)\r\n!"));
  CHECK(Shape("/XMX5XMX\r\n0-1:24.3.0(1)(00)(60)(1)(0-1:24.2.1)(m3)\r\n(00001.000)\r\n!"));
}

TEST_CASE("random bytes framed between '/' and '!' never pass the shape check", "[shape]") {
  // Issue 8, defect 2: a MiB of line noise made ~1,800 "telegrams".
  std::mt19937 rng(42);
  std::string noise(1 << 20, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  Framer framer;
  uint64_t framed = 0;
  uint64_t passed = 0;
  framer.Feed(noise, [&](const Frame& f) {
    if (f.status != FrameStatus::kTelegram) return;
    ++framed;
    if (Shape(f.plaintext)) ++passed;
  });
  CHECK(framed > 100);  // the framer alone does let them through
  CHECK(passed == 0);
}

}  // namespace
}  // namespace p1
