// `p1gateway parse`: frames, decrypts and parses files or stdin and prints
// one JSON object (or a text block) per telegram found. Reads in fixed-size
// chunks, so memory stays bounded for captures of any length. Synchronous
// file I/O: for the command line only, never on the gateway's loop.
#ifndef P1GW_GATEWAY_CLI_PARSE_COMMAND_H_
#define P1GW_GATEWAY_CLI_PARSE_COMMAND_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/wrapping.h"
#include "gateway/core/dlms.h"
#include "gateway/zone/time_zone.h"

namespace p1 {

struct ParseCommandOptions {
  std::optional<AesKey> key, aad_key;
  bool json = true;                 // false: RenderText blocks
  TimeZone zone;                    // the meter's clock; invalid: CET/CEST
  Wrapping wrapping = Wrapping::kNone;  // RFXtrx packets or M-Bus frames around the data
  std::vector<std::string> inputs;  // file paths; "-" = stdin
};

// What one input held. Every kTelegram frame is printed, CRC-invalid ones
// included ("crc":"invalid"); the other frame kinds are one line on `err`.
struct ParseInputStats {
  uint64_t telegrams = 0;
  uint64_t crc_invalid = 0;
  uint64_t truncated = 0;
  uint64_t overflow = 0;
  uint64_t decrypt_errors = 0;
  uint64_t malformed = 0;  // framed like a telegram but not one (line noise)
  uint64_t bytes = 0;
};

// Exit codes: 0 when every input was read and at least one telegram was
// found; 1 when an input could not be opened or read, or no input held any
// telegram; 2 on a usage error (no inputs). Bad telegrams inside a readable
// input do not change the exit code: they are reported on `err` as
// "name:offset: truncated telegram (N bytes)" and the like.
int RunParseCommand(const ParseCommandOptions& options, std::FILE* out, std::FILE* err);

// Processes one already-open stream to its end. `name` prefixes the error
// lines ("<stdin>" for "-"). Returns false on a read error (reported on err).
bool ParseInput(std::FILE* in, std::string_view name, const ParseCommandOptions& options,
                std::FILE* out, std::FILE* err, ParseInputStats* stats);

}  // namespace p1

#endif  // P1GW_GATEWAY_CLI_PARSE_COMMAND_H_
