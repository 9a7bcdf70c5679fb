#include "gateway/core/framer.h"

#include <catch2/catch.hpp>
#include <cctype>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/core/crc16.h"
#include "tests/support/corpus_files.h"

namespace p1 {
namespace {

// A frame copied out of the callback (its views die with the call).
struct Seen {
  FrameStatus status;
  std::string raw, plaintext, error;
  bool encrypted;
  CrcStatus crc;
  bool operator==(const Seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{status " << int(s.status) << " crc " << CrcStatusName(s.crc) << " raw "
            << s.raw.size() << "B '" << s.raw.substr(0, 20) << "' err '" << s.error << "'}";
}

struct Run {
  std::vector<Seen> frames;
  FramerStats stats;
};

// Feeds `stream` split at the given chunk sizes (cycled), then Finish()
// unless `finish` is false.
Run FeedChunked(const std::string& stream, const std::vector<size_t>& sizes,
                FramerOptions options = {}, bool finish = true) {
  Framer framer(options);
  Run run;
  auto collect = [&](const Frame& f) {
    run.frames.push_back({f.status, std::string(f.raw), std::string(f.plaintext),
                          std::string(f.error), f.encrypted, f.crc});
  };
  const Framer::Callback cb = collect;
  size_t pos = 0;
  for (size_t i = 0; pos < stream.size(); ++i) {
    const size_t n =
        std::min(stream.size() - pos, sizes.empty() ? stream.size() : sizes[i % sizes.size()]);
    framer.Feed(std::string_view(stream).substr(pos, n), cb);
    pos += n;
  }
  if (finish) framer.Finish(cb);
  run.stats = framer.stats();
  return run;
}

Run FeedWhole(const std::string& stream, FramerOptions options = {}) {
  return FeedChunked(stream, {}, options);
}

bool EndsWith(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

// CRC column of INDEX.md per file: "valid", "invalid" (MISMATCH), "absent"
// (none) or "missing" (no "!" line at all).
std::map<std::string, std::string> IndexCrcColumn() {
  std::map<std::string, std::string> out;
  std::istringstream in(testing::ReadCorpusFile("INDEX.md"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream row(line);
    for (std::string cell; std::getline(row, cell, '|');) cells.push_back(cell);
    if (cells.size() < 5) continue;
    const std::string name =
        cells[1].substr(cells[1].find('`') + 1, cells[1].rfind('`') - cells[1].find('`') - 1);
    const std::string& crc = cells[4];
    if (crc.find("valid (") != std::string::npos && crc.find("MISMATCH") == std::string::npos) {
      out[name] = "valid";
    } else if (crc.find("MISMATCH") != std::string::npos) {
      out[name] = "invalid";
    } else if (crc.find("no \"!\" line") != std::string::npos) {
      out[name] = "missing";
    } else if (crc.find("none") != std::string::npos) {
      out[name] = "absent";
    }
  }
  return out;
}

std::vector<std::string> PlainTelegramFiles() {
  return testing::CorpusFiles(".txt", {".key.txt", ".expected.txt"});
}

TEST_CASE("every corpus telegram framed alone yields one telegram with INDEX.md's CRC status",
          "[framer]") {
  const auto index = IndexCrcColumn();
  const auto files = PlainTelegramFiles();
  REQUIRE(files.size() >= 60);
  for (const std::string& name : files) {
    INFO(name);
    const std::string text = testing::ReadCorpusFile(name);
    REQUIRE(index.count(name) == 1);
    const std::string& want = index.at(name);
    const Run run = FeedWhole(text);
    if (want == "missing") {
      REQUIRE(run.frames.size() == 1);
      CHECK(run.frames[0].status == FrameStatus::kTruncated);
      CHECK(run.frames[0].raw == text);
      continue;
    }
    std::vector<const Seen*> telegrams;
    for (const Seen& s : run.frames) {
      if (s.status == FrameStatus::kTelegram) telegrams.push_back(&s);
    }
    REQUIRE(telegrams.size() == 1);
    const Seen& t = *telegrams[0];
    CHECK(CrcStatusName(t.crc) == want);
    CHECK_FALSE(t.encrypted);
    CHECK(t.raw == t.plaintext);
    // The frame is the text from its '/' through the CRC line and line end.
    const size_t start = text.rfind("\n/") == std::string::npos ? 0 : text.rfind("\n/") + 1;
    const size_t bang = text.find('!', start);
    size_t end = bang + 1;
    while (end < text.size() && end - bang <= 4 &&
           std::isxdigit(static_cast<unsigned char>(text[end])))
      ++end;
    if (text.compare(end, 2, "\r\n") == 0) end += 2;
    CHECK(t.raw == text.substr(start, end - start));
    CHECK(run.stats.telegrams == 1);
    CHECK(run.stats.crc_errors == (want == "invalid" ? 1u : 0u));
  }
}

TEST_CASE("a truncated telegram then a full one in one file: kTruncated then kTelegram",
          "[framer]") {
  const std::string text =
      testing::ReadCorpusFile("dsmr-tools__dsmr50__onbadtelegram-parse-bad-testcase.txt");
  const Run run = FeedWhole(text);
  REQUIRE(run.frames.size() == 2);
  CHECK(run.frames[0].status == FrameStatus::kTruncated);
  CHECK(run.frames[1].status == FrameStatus::kTelegram);
  CHECK(run.frames[1].crc == CrcStatus::kValid);
  CHECK(run.frames[0].raw + run.frames[1].raw ==
        text.substr(text.find('/'), run.frames[0].raw.size() + run.frames[1].raw.size()));
}

TEST_CASE("a raw serial capture that starts mid-telegram skips the prefix then frames",
          "[framer]") {
  const std::string stream =
      testing::ReadCorpusFile("dsmr-tools__dsmr50__ttyusb0-raw-stream-head.bin");
  const size_t first_start = stream.find('/');
  REQUIRE(first_start > 0);
  const Run run = FeedWhole(stream);
  REQUIRE(run.frames.size() == 2);
  for (const Seen& s : run.frames) {
    CHECK(s.status == FrameStatus::kTelegram);
    CHECK(s.crc == CrcStatus::kValid);
    CHECK(s.raw.front() == '/');
    CHECK(EndsWith(s.raw, "\r\n"));
  }
  CHECK(run.frames[1].raw.find("!3B12\r\n") != std::string::npos);
  CHECK(run.stats.skipped_bytes ==
        first_start +
            (stream.size() - first_start - run.frames[0].raw.size() - run.frames[1].raw.size()));
  CHECK(run.stats.truncated == 0);
}

const AesKey kStreamKey = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

// All corpus telegrams (and some encrypted with kStreamKey), junk between
// them. Junk never holds '/', '!' or 0x08 (so a junk 0xDB is never a header)
// and ends with a line end, so each element frames on its own.
std::string BuildStream(std::mt19937& rng, size_t* telegrams, size_t* truncated,
                        size_t* encrypted) {
  std::string stream;
  *telegrams = *truncated = *encrypted = 0;
  const std::string junk_chars = std::string("abcXYZ0123 \r\n\0\xFF\xDB\x7F-()*:.", 24);
  auto junk = [&] {
    const size_t n = rng() % 24;
    for (size_t i = 0; i < n; ++i) stream.push_back(junk_chars[rng() % junk_chars.size()]);
    if (n > 0) stream += "\r\n";
  };
  junk();
  uint32_t counter = 1;
  for (const std::string& name : PlainTelegramFiles()) {
    std::string text = testing::ReadCorpusFile(name);
    if (!EndsWith(text, "\n")) text += "\r\n";
    const bool has_end = text.find('!') != std::string::npos;
    stream += text;
    if (!has_end) {
      ++*truncated;
    } else {
      *telegrams += std::count(text.begin(), text.end(), '!');
      *truncated += std::count(text.begin(), text.end(), '/') - 1 -
                    (name.find("with-text-message") != std::string::npos);
    }
    junk();
    if (has_end && rng() % 3 == 0) {
      std::string frame;
      const std::string plain =
          text.substr(text.rfind("\n/") == std::string::npos ? 0 : text.rfind("\n/") + 1);
      REQUIRE(EncryptGloFrame(plain, kStreamKey, nullptr, "SYSTITLE", counter++, &frame));
      stream += frame;
      ++*telegrams;
      ++*encrypted;
      junk();
    }
  }
  return stream;
}

TEST_CASE("any chunking of a long mixed stream yields the same frames", "[framer]") {
  FramerOptions options;
  options.key = kStreamKey;
  for (unsigned seed : {1u, 2u, 3u, 42u, 2024u}) {
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    size_t telegrams = 0, truncated = 0, encrypted = 0;
    const std::string stream = BuildStream(rng, &telegrams, &truncated, &encrypted);
    const Run whole = FeedWhole(stream, options);
    size_t n_tel = 0, n_trunc = 0, n_enc = 0;
    for (const Seen& s : whole.frames) {
      n_tel += s.status == FrameStatus::kTelegram;
      n_trunc += s.status == FrameStatus::kTruncated;
      n_enc += s.encrypted;
      CHECK(s.status != FrameStatus::kDecryptError);
      CHECK(s.status != FrameStatus::kOverflow);
    }
    CHECK(n_tel == telegrams);
    CHECK(n_trunc == truncated);
    CHECK(n_enc == encrypted);

    const Run bytewise = FeedChunked(stream, {1}, options);
    CHECK(bytewise.frames == whole.frames);
    CHECK(bytewise.stats.skipped_bytes == whole.stats.skipped_bytes);
    for (size_t max_chunk : {7u, 64u, 2000u}) {
      std::vector<size_t> sizes(50);
      for (size_t& s : sizes) s = 1 + rng() % max_chunk;
      const Run chunked = FeedChunked(stream, sizes, options);
      REQUIRE(chunked.frames.size() == whole.frames.size());
      for (size_t i = 0; i < whole.frames.size(); ++i)
        REQUIRE(chunked.frames[i] == whole.frames[i]);
      CHECK(chunked.stats.skipped_bytes == whole.stats.skipped_bytes);
      CHECK(chunked.stats.telegrams == whole.stats.telegrams);
      CHECK(chunked.stats.crc_errors == whole.stats.crc_errors);
    }
  }
}

const char kKaifa[] = "arduino-dsmr__dsmr40__kaifa-example.txt";

TEST_CASE("a telegram cut mid-line and followed by a full one is never glued to it", "[framer]") {
  const std::string a = testing::ReadCorpusFile("dsmr_parser__dsmr42__kaifa.txt");
  const std::string b = testing::ReadCorpusFile(kKaifa);
  for (size_t cut : {size_t{1}, size_t{30}, a.size() / 2, a.find('!')}) {
    INFO("cut " << cut);
    const std::string stream = a.substr(0, cut) + b;
    for (const std::vector<size_t>& sizes :
         {std::vector<size_t>{}, std::vector<size_t>{1}, std::vector<size_t>{3, 5}}) {
      const Run run = FeedChunked(stream, sizes);
      REQUIRE(run.frames.size() == 2);
      CHECK(run.frames[0].status == FrameStatus::kTruncated);
      CHECK(run.frames[0].raw == a.substr(0, cut));
      CHECK(run.frames[1].status == FrameStatus::kTelegram);
      CHECK(run.frames[1].crc == CrcStatus::kValid);
      CHECK(run.frames[1].raw == b);
    }
  }
}

TEST_CASE("a '/' inside a text value does not split the telegram", "[framer]") {
  const std::string body = "/ISk5\\2MT382-1000\r\n\r\n0-0:96.13.0(see /info and a/b1)\r\n!";
  const std::string text = body + "\r\n";
  const Run run = FeedChunked(text, {1});
  REQUIRE(run.frames.size() == 1);
  CHECK(run.frames[0].status == FrameStatus::kTelegram);
  CHECK(run.frames[0].crc == CrcStatus::kAbsent);
  CHECK(run.frames[0].raw == text);
}

TEST_CASE("a telegram over max_telegram_bytes overflows and the next one frames", "[framer]") {
  const std::string big = testing::ReadCorpusFile("dsmr_parser__hu-eon__sagemcom-eon-hungary.txt");
  const std::string small = testing::ReadCorpusFile(kKaifa);
  FramerOptions options;
  options.max_telegram_bytes = 1000;
  REQUIRE(big.size() > 1000);
  REQUIRE(small.size() < 1000);
  for (const std::vector<size_t>& sizes :
       {std::vector<size_t>{}, std::vector<size_t>{1}, std::vector<size_t>{100}}) {
    const Run run = FeedChunked(big + "junk\r\n" + small, sizes, options);
    REQUIRE(run.frames.size() == 2);
    CHECK(run.frames[0].status == FrameStatus::kOverflow);
    CHECK(run.frames[0].raw == big.substr(0, 1000));
    CHECK(run.frames[1].status == FrameStatus::kTelegram);
    CHECK(run.frames[1].raw == small);
    CHECK(run.stats.overflows == 1);
    CHECK(run.stats.skipped_bytes == big.size() - 1000 + 6);
  }
}

TEST_CASE("bytes rejected by an overflow are rescanned for the next start", "[framer]") {
  // Regression (fuzzer): the rest of an overflowing span used to be dropped
  // whole when it arrived in one chunk but rescanned when fed bytewise.
  FramerOptions options;
  options.max_telegram_bytes = 1000;
  const std::string stream = "/" + std::string(1100, 'x') + "/b\r\n!\r\n";
  for (const std::vector<size_t>& sizes :
       {std::vector<size_t>{}, std::vector<size_t>{1}, std::vector<size_t>{999, 3}}) {
    const Run run = FeedChunked(stream, sizes, options);
    REQUIRE(run.frames.size() == 2);
    CHECK(run.frames[0].status == FrameStatus::kOverflow);
    CHECK(run.frames[0].raw.size() == 1000);
    CHECK(run.frames[1].status == FrameStatus::kTelegram);
    CHECK(run.frames[1].raw == "/b\r\n!\r\n");
    CHECK(run.stats.skipped_bytes == 101);
  }
}

TEST_CASE("NUL and junk after the CRC line are skipped, not part of the next telegram",
          "[framer]") {
  const std::string t = testing::ReadCorpusFile(kKaifa);  // ends "!6F4A\r\n"
  const std::string stream = t + std::string("\0\0\xFF\xFFgarbage\r\n", 13) + t;
  const Run run = FeedChunked(stream, {2});
  REQUIRE(run.frames.size() == 2);
  CHECK(run.frames[0].raw == t);
  CHECK(run.frames[1].raw == t);
  CHECK(run.stats.skipped_bytes == 13);

  // A NUL between the CRC and CRLF belongs to the CRC line.
  std::string with_nul = t;
  with_nul.insert(with_nul.size() - 2, 1, '\0');
  const Run nul = FeedWhole(with_nul + t);
  REQUIRE(nul.frames.size() == 2);
  CHECK(nul.frames[0].raw == with_nul);
  CHECK(nul.frames[0].crc == CrcStatus::kValid);
  CHECK(nul.stats.skipped_bytes == 0);
}

TEST_CASE("lowercase, unpadded and LF-only CRC lines verify", "[framer]") {
  const std::string t = testing::ReadCorpusFile(kKaifa);
  const size_t bang = t.rfind('!');
  const uint16_t crc = Crc16(std::string_view(t).substr(0, bang + 1));
  REQUIRE(crc == 0x6F4A);
  const std::string body = t.substr(0, bang + 1);
  const Run lower = FeedWhole(body + "6f4a\r\n");
  REQUIRE(lower.frames.size() == 1);
  CHECK(lower.frames[0].crc == CrcStatus::kValid);
  const Run lf = FeedChunked(body + "6F4A\n" + body + "6F4B\n", {1});
  REQUIRE(lf.frames.size() == 2);
  CHECK(lf.frames[0].crc == CrcStatus::kValid);
  CHECK(lf.frames[1].crc == CrcStatus::kInvalid);
  CHECK(lf.frames[0].raw == body + "6F4A\n");

  const std::string warm =
      testing::ReadCorpusFile("dsmr_parser__dsmr50__warmtelink-heat-unpadded-crc.txt");
  REQUIRE(warm.find("!B9F\r\n") != std::string::npos);
  const Run unpadded = FeedChunked(warm + warm, {1});
  REQUIRE(unpadded.frames.size() == 2);
  CHECK(unpadded.frames[0].crc == CrcStatus::kValid);
  CHECK(unpadded.frames[0].raw == warm);
}

TEST_CASE("a CRC line without line end is completed by the next start or Finish", "[framer]") {
  const std::string t = testing::ReadCorpusFile(kKaifa);
  const std::string no_eol = t.substr(0, t.size() - 2);
  const Run run = FeedChunked(no_eol + no_eol, {1});
  REQUIRE(run.frames.size() == 2);
  CHECK(run.frames[0].raw == no_eol);
  CHECK(run.frames[0].crc == CrcStatus::kValid);
  CHECK(run.frames[1].crc == CrcStatus::kValid);

  Framer framer;
  int seen = 0;
  const Framer::Callback cb = [&](const Frame&) { ++seen; };
  framer.Feed(no_eol, cb);
  CHECK(seen == 0);  // more digits or a line end could still follow
  framer.Finish(cb);
  CHECK(seen == 1);
}

TEST_CASE("Q3D gateway lines with 0xFF after '!' are junk between telegrams", "[framer]") {
  const std::string q3d = testing::ReadCorpusFile("dsmr_parser__q3d__easymeter-q3db1024.txt");
  const size_t end = q3d.find("!\r\n") + 3;
  const Run run = FeedChunked(q3d + q3d, {5});
  REQUIRE(run.frames.size() == 2);
  CHECK(run.frames[0].raw == q3d.substr(0, end));
  CHECK(run.frames[0].crc == CrcStatus::kAbsent);
  CHECK(run.frames[1].raw == q3d.substr(0, end));
  CHECK(run.stats.skipped_bytes == 2 * (q3d.size() - end));
}

TEST_CASE("encrypted corpus frames in a stream with junk decrypt and CRC-check", "[framer]") {
  const std::string name = "esphome-dsmr_parser__at__encrypted-packet-t210";
  const std::string frame = testing::ReadCorpusFile(name + ".bin");
  const std::string expected = testing::ReadCorpusFile(name + ".expected.txt");
  FramerOptions options;
  options.key = ParseAesKey("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  const std::string plain = testing::ReadCorpusFile(kKaifa);
  const std::string stream =
      std::string("\xDB\x07junk\xDB", 7) + frame + "\r\n\xFF" + plain + frame;
  for (const std::vector<size_t>& sizes :
       {std::vector<size_t>{}, std::vector<size_t>{1}, std::vector<size_t>{13}}) {
    const Run run = FeedChunked(stream, sizes, options);
    REQUIRE(run.frames.size() == 3);
    CHECK(run.frames[0].status == FrameStatus::kTelegram);
    CHECK(run.frames[0].encrypted);
    CHECK(run.frames[0].raw == frame);
    CHECK(run.frames[0].plaintext == expected);
    CHECK(run.frames[0].crc == CrcStatus::kValid);
    CHECK(run.frames[1].raw == plain);
    CHECK_FALSE(run.frames[1].encrypted);
    CHECK(run.frames[2].plaintext == expected);
    // The plain framing scans the frames' bytes too; the count is the same
    // for any chunking.
    CHECK(run.stats.skipped_bytes == FeedWhole(stream, options).stats.skipped_bytes);
  }
}

TEST_CASE("encrypted frames with a wrong key are decrypt errors", "[framer]") {
  const std::string frame =
      testing::ReadCorpusFile("openhab-dsmr__lu-smarty__smarty-decrypter-test.bin");
  const std::string plain = testing::ReadCorpusFile(kKaifa);
  FramerOptions wrong;
  wrong.key = ParseAesKey("D491470F47126332B07D1923B3504189");
  for (const std::vector<size_t>& sizes : {std::vector<size_t>{7}, std::vector<size_t>{1}}) {
    const Run run = FeedChunked(frame + plain, sizes, wrong);
    REQUIRE(run.frames.size() == 2);
    CHECK(run.frames[0].status == FrameStatus::kDecryptError);
    CHECK(run.frames[0].raw == frame);
    CHECK_FALSE(run.frames[0].error.empty());
    CHECK(run.frames[1].status == FrameStatus::kTelegram);
    CHECK(run.frames[1].raw == plain);
    CHECK(run.stats.decrypt_errors == 1);
  }
  FramerOptions right;
  right.key = ParseAesKey("D491470F47126332B07D1923B3504188");
  const Run ok = FeedWhole(frame, right);
  REQUIRE(ok.frames.size() == 1);
  CHECK(ok.frames[0].status == FrameStatus::kTelegram);
  // INDEX.md: the GCM tag verifies but the plaintext's own CRC does not.
  CHECK(ok.frames[0].crc == CrcStatus::kInvalid);
  CHECK(ok.frames[0].plaintext ==
        testing::ReadCorpusFile("openhab-dsmr__lu-smarty__smarty-decrypter-test.expected.txt"));
}

TEST_CASE("without a key 0xDB starts nothing: the frame is junk, counted as a hint", "[framer]") {
  const std::string frame =
      testing::ReadCorpusFile("openhab-dsmr__lu-smarty__smarty-decrypter-test.bin");
  const std::string plain = testing::ReadCorpusFile(kKaifa);
  // The hint needs the 18-byte header within one chunk (serial reads are ~30 bytes).
  const Run run = FeedChunked(frame + plain, {64}, FramerOptions{});
  CHECK(run.stats.decrypt_errors == 0);
  CHECK(run.stats.encrypted_hints == 1);
  REQUIRE_FALSE(run.frames.empty());
  CHECK(run.frames.back().status == FrameStatus::kTelegram);
  CHECK(run.frames.back().raw == plain);
  for (const Seen& s : run.frames) CHECK(s.status != FrameStatus::kDecryptError);
}

// A 0xDB general-glo-ciphering header that announces `length` bytes, as line
// noise can make one: DB 08 <title> 82 LL LL 30 <counter>.
std::string BogusGloHeader(uint16_t length) {
  std::string h("\xDB\x08NOISE123\x82", 11);
  h.push_back(static_cast<char>(length >> 8));
  h.push_back(static_cast<char>(length & 0xFF));
  h.append("\x30\x00\x00\x00\x01", 5);
  return h;
}

TEST_CASE("a bogus 0xDB header never swallows the telegrams after it", "[framer]") {
  // Issue 8, defect 3a: the framer collected the announced 15 KiB (about 17 s
  // of telegrams at 115200 baud) without looking for '/'.
  const std::string t = testing::ReadCorpusFile(kKaifa);
  const std::string stream = BogusGloHeader(15000) + t + t + t;
  FramerOptions with_key;
  with_key.key = kStreamKey;
  for (const FramerOptions& options : {FramerOptions{}, with_key}) {
    for (const std::vector<size_t>& sizes :
         {std::vector<size_t>{}, std::vector<size_t>{1}, std::vector<size_t>{5, 17}}) {
      // Telegrams come out while feeding, not only when the stream ends.
      const std::vector<Seen> seen = FeedChunked(stream, sizes, options, /*finish=*/false).frames;
      std::vector<Seen> telegrams;
      for (const Seen& s : seen) {
        if (s.status == FrameStatus::kTelegram) telegrams.push_back(s);
      }
      REQUIRE(telegrams.size() == 3);
      for (const Seen& s : telegrams) {
        CHECK(s.raw == t);
        CHECK(s.crc == CrcStatus::kValid);
      }
      if (options.key) {
        // The bogus frame is reported once, as interrupted.
        REQUIRE(seen.size() == 4);
        CHECK(seen[0].status == FrameStatus::kTruncated);
        CHECK(seen[0].raw.substr(0, 18) == BogusGloHeader(15000));
      }
    }
  }
}

TEST_CASE("a bogus 0xDB frame ends where the interrupting telegram starts, for any chunking",
          "[framer]") {
  // Found by framer_fuzz: the interrupted frame's bytes depended on how many
  // of the telegram's CRC line arrived in the same chunk.
  const std::string t = testing::ReadCorpusFile(kKaifa);
  const std::string stream = "junk" + BogusGloHeader(3000) + "more junk\r\n" + t + "tail";
  FramerOptions options;
  options.key = kStreamKey;
  const Run whole = FeedWhole(stream, options);
  REQUIRE(whole.frames.size() == 2);
  CHECK(whole.frames[0].status == FrameStatus::kTruncated);
  CHECK(whole.frames[0].raw == BogusGloHeader(3000) + "more junk\r\n");
  CHECK(whole.frames[1].raw == t);
  for (size_t size = 1; size <= 9; ++size) {
    const Run chunked = FeedChunked(stream, {size}, options);
    CHECK(chunked.frames == whole.frames);
    CHECK(chunked.stats.skipped_bytes == whole.stats.skipped_bytes);
  }
}

TEST_CASE("after a bogus 0xDB header a real encrypted frame still decrypts", "[framer]") {
  const std::string name = "esphome-dsmr_parser__at__encrypted-packet-t210";
  const std::string frame = testing::ReadCorpusFile(name + ".bin");
  const std::string expected = testing::ReadCorpusFile(name + ".expected.txt");
  const std::string t = testing::ReadCorpusFile(kKaifa);
  FramerOptions options;
  options.key = ParseAesKey("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  const std::string stream = BogusGloHeader(900) + t + frame;
  for (const std::vector<size_t>& sizes : {std::vector<size_t>{}, std::vector<size_t>{3}}) {
    const Run run = FeedChunked(stream, sizes, options);
    REQUIRE(run.frames.size() == 3);
    CHECK(run.frames[0].status == FrameStatus::kTruncated);
    CHECK(run.frames[1].raw == t);
    CHECK(run.frames[2].status == FrameStatus::kTelegram);
    CHECK(run.frames[2].plaintext == expected);
  }
}

TEST_CASE("a decrypted payload that is not a DSMR telegram is a decrypt error", "[framer]") {
  std::string frame;
  REQUIRE(EncryptGloFrame(std::string("\x0F\x80\x06\x87", 4), kStreamKey, nullptr, "SYSTITLE", 9,
                          &frame, 0x20));
  FramerOptions options;
  options.key = kStreamKey;
  const Run run = FeedWhole(frame, options);
  REQUIRE(run.frames.size() == 1);
  CHECK(run.frames[0].status == FrameStatus::kDecryptError);
}

TEST_CASE("Reset drops a partial telegram silently; Finish reports it", "[framer]") {
  const std::string t = testing::ReadCorpusFile(kKaifa);
  Framer framer;
  std::vector<FrameStatus> seen;
  const Framer::Callback cb = [&](const Frame& f) { seen.push_back(f.status); };
  framer.Feed(t.substr(0, 100), cb);
  framer.Reset();
  framer.Feed(t, cb);
  REQUIRE(seen == std::vector<FrameStatus>{FrameStatus::kTelegram});
  framer.Feed(t.substr(0, 100), cb);
  framer.Finish(cb);
  CHECK(seen == std::vector<FrameStatus>{FrameStatus::kTelegram, FrameStatus::kTruncated});
  CHECK(framer.stats().truncated == 1);
}

}  // namespace
}  // namespace p1
