// libFuzzer target: TelnetCodec::Receive in both modes (plain telnet and RFC
// 2217, picked by the first byte) with the input (sent 8 times if the first
// byte says so) fed in chunks derived from it. Every TakeOutput() stays
// within kMaxOutput; when nothing can have been dropped, chunked feeding
// gives the same output and discarded-byte count as feeding everything at
// once. Escape/NeedsEscape round-trip on the input.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/telnet/telnet_codec.h"

namespace {

using p1::TelnetCodec;

constexpr char kIac = static_cast<char>(0xFF);

struct Run {
  std::string output;  // every take, concatenated (greeting included)
  uint64_t discarded = 0;
  bool failed = false;
};

std::string Take(TelnetCodec* codec) {
  std::string out = codec->TakeOutput();
  if (out.size() > TelnetCodec::kMaxOutput) std::abort();
  return out;
}

// chunk_seed 0: one Receive and one take. Otherwise chunks of 1..64 bytes,
// and output is taken after a chunk only when the seed says so (so pending
// output can grow into the cap).
Run Feed(TelnetCodec::Mode mode, const p1::SerialSettings& settings, p1::PortSettings port,
         std::string_view data, uint32_t chunk_seed) {
  TelnetCodec codec(mode, settings, port);
  Run run;
  const std::string greeting = Take(&codec);
  if (!codec.failed() && (greeting.empty() || greeting[0] != kIac)) std::abort();
  run.output = greeting;
  uint32_t state = chunk_seed;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t n = data.size() - pos;
    bool take = true;
    if (chunk_seed != 0) {
      state = state * 1103515245u + 12345u;  // deterministic split points
      n = std::min<size_t>(n, 1 + (state >> 16) % 64);
      take = (state >> 8) % 4 != 0;
    }
    codec.Receive(data.substr(pos, n));
    if (take) run.output += Take(&codec);
    pos += n;
  }
  run.output += Take(&codec);
  if (!codec.TakeOutput().empty()) std::abort();  // a take empties the buffer
  run.discarded = codec.discarded_data_bytes();
  if (run.discarded > data.size()) std::abort();
  run.failed = codec.failed();
  return run;
}

void CheckEscape(std::string_view data) {
  const std::string escaped = TelnetCodec::Escape(data);
  if (TelnetCodec::NeedsEscape(data) != (data.find(kIac) != std::string_view::npos)) std::abort();
  if (TelnetCodec::NeedsEscape(data) != (escaped != data)) std::abort();
  // No lone IAC: IACs come in pairs, and dropping the second of each pair
  // gives back the input.
  std::string unescaped;
  for (size_t i = 0; i < escaped.size(); ++i) {
    unescaped.push_back(escaped[i]);
    if (escaped[i] == kIac) {
      if (i + 1 >= escaped.size() || escaped[i + 1] != kIac) std::abort();
      ++i;
    }
  }
  if (unescaped != data) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 2) return 0;
  const auto mode = (bytes[0] & 1) ? TelnetCodec::Mode::kRfc2217 : TelnetCodec::Mode::kTelnet;
  // The settings and port mode only show in RFC 2217 answers; vary them.
  static constexpr int kBauds[] = {115200, 9600, 300, 4'000'000};
  p1::SerialSettings settings;
  settings.baud = kBauds[(bytes[1] >> 0) & 3];
  settings.data_bits = 5 + ((bytes[1] >> 2) & 3);
  settings.parity = static_cast<p1::Parity>(((bytes[1] >> 4) & 3) % 3);
  settings.stop_bits = (bytes[1] & 0x40) ? 2 : 1;
  const auto port = (bytes[1] & 0x80) ? p1::PortSettings::kFixed : p1::PortSettings::kVirtual;
  const uint32_t chunk_seed = (uint32_t{bytes[0]} << 8 | bytes[1]) + 1;
  // With the top three bits set the client's bytes are sent 8 times, so a
  // short input can produce more answers than kMaxOutput (a flood that never
  // reads); the rest are sent once, to keep runs fast.
  const std::string_view once(reinterpret_cast<const char*>(bytes) + 2, size - 2);
  std::string repeated;
  for (int i = 0; i < ((bytes[0] >> 5) == 7 ? 8 : 1); ++i) repeated += once;
  const std::string_view data = repeated;

  const Run whole = Feed(mode, settings, port, data, 0);
  const Run chunked = Feed(mode, settings, port, data, chunk_seed);
  // Feeding everything at once cannot have dropped output if it stayed well
  // below the cap (one answer is far smaller than the margin); the chunked
  // run then dropped nothing either (its pending output is never larger).
  // After a protocol error the two may stop at different bytes.
  if (!whole.failed && !chunked.failed &&
      whole.output.size() + 1024 <= TelnetCodec::kMaxOutput) {
    if (whole.output != chunked.output || whole.discarded != chunked.discarded) std::abort();
  }
  CheckEscape(once);
  return 0;
}
