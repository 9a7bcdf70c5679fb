#include "gateway/cli/parse_command.h"

#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstring>

#include "gateway/core/framer.h"
#include "gateway/core/parser.h"
#include "gateway/core/render.h"
#include "gateway/core/telegram_shape.h"
#include "gateway/core/unwrap.h"

namespace p1 {
namespace {

constexpr size_t kChunkBytes = 64 * 1024;

void WriteAll(std::FILE* out, std::string_view s) { std::fwrite(s.data(), 1, s.size(), out); }

}  // namespace

bool ParseInput(std::FILE* in, std::string_view name, const ParseCommandOptions& options,
                std::FILE* out, std::FILE* err, ParseInputStats* stats) {
  FramerOptions framer_options;
  framer_options.key = options.key;
  framer_options.aad_key = options.aad_key;
  Framer framer(framer_options);
  StreamUnwrapper unwrapper(options.wrapping);
  Reading reading;  // reused: steady state does not allocate per telegram
  std::string rendered;
  const std::string label(name);

  auto on_frame = [&](const Frame& f) {
    const uint64_t offset = f.offset;
    switch (f.status) {
      case FrameStatus::kTelegram: {
        const char* why = nullptr;
        if (!CheckTelegramShape(f.plaintext, &why)) {
          ++stats->malformed;
          std::fprintf(err, "%s:%" PRIu64 ": not a telegram (%zu bytes): %s\n", label.c_str(),
                       offset, f.raw.size(), why);
          break;
        }
        ++stats->telegrams;
        if (f.crc == CrcStatus::kInvalid) ++stats->crc_invalid;
        ParseTelegram(f.plaintext, &reading);
        if (options.zone.valid()) options.zone.Rezone(&reading);
        reading.crc = f.crc;
        rendered = options.json ? RenderJson(reading) : RenderText(reading);
        rendered.push_back('\n');
        WriteAll(out, rendered);
        break;
      }
      case FrameStatus::kTruncated:
        ++stats->truncated;
        std::fprintf(err, "%s:%" PRIu64 ": truncated telegram (%zu bytes)\n", label.c_str(), offset,
                     f.raw.size());
        break;
      case FrameStatus::kOverflow:
        ++stats->overflow;
        std::fprintf(err, "%s:%" PRIu64 ": telegram larger than %zu bytes dropped\n", label.c_str(),
                     offset, framer_options.max_telegram_bytes);
        break;
      case FrameStatus::kDecryptError:
        ++stats->decrypt_errors;
        std::fprintf(err, "%s:%" PRIu64 ": encrypted frame not decrypted (%zu bytes): %.*s\n",
                     label.c_str(), offset, f.raw.size(), static_cast<int>(f.error.size()),
                     f.error.data());
        break;
    }
  };

  std::array<char, kChunkBytes> chunk;
  bool ok = true;
  while (true) {
    size_t n = std::fread(chunk.data(), 1, chunk.size(), in);
    if (n > 0) {
      stats->bytes += n;
      framer.Feed(unwrapper.Feed(std::string_view(chunk.data(), n)), on_frame);
    }
    if (n < chunk.size()) {
      if (std::ferror(in)) {
        std::fprintf(err, "%s: read error: %s\n", label.c_str(), std::strerror(errno));
        ok = false;
      }
      break;
    }
  }
  framer.Finish(on_frame);
  if (unwrapper.foreign_packets() > 0) {
    std::fprintf(err, "%s: %" PRIu64 " %s without meter data skipped\n", label.c_str(),
                 unwrapper.foreign_packets(),
                 options.wrapping == Wrapping::kMbus ? "M-Bus frames" : "RFXtrx packets");
  }
  if (stats->telegrams == 0 && framer.stats().encrypted_hints > 0) {
    std::fprintf(err, "%s: holds encrypted DLMS frames (0xDB): give the meter's key with --key\n",
                 label.c_str());
  }
  std::fflush(out);
  return ok;
}

int RunParseCommand(const ParseCommandOptions& options, std::FILE* out, std::FILE* err) {
  if (options.inputs.empty()) {
    std::fprintf(err, "parse: no input given (a file, or - for stdin)\n");
    return 2;
  }
  bool all_read = true;
  uint64_t telegrams = 0;
  for (const std::string& path : options.inputs) {
    const bool is_stdin = path == "-";
    std::FILE* in = is_stdin ? stdin : std::fopen(path.c_str(), "rb");
    if (!in) {
      std::fprintf(err, "%s: cannot open: %s\n", path.c_str(), std::strerror(errno));
      all_read = false;
      continue;
    }
    ParseInputStats stats;
    const char* name = is_stdin ? "<stdin>" : path.c_str();
    all_read &= ParseInput(in, name, options, out, err, &stats);
    if (!is_stdin) std::fclose(in);
    if (stats.telegrams == 0) std::fprintf(err, "%s: no telegram found\n", name);
    telegrams += stats.telegrams;
  }
  return all_read && telegrams > 0 ? 0 : 1;
}

}  // namespace p1
