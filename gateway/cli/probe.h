// Port discovery and detection for `list-ports` and `probe`. These run as
// one-shot commands, outside the gateway's loop, and may block on their
// own device with a bounded timeout.
#ifndef P1GW_GATEWAY_CLI_PROBE_H_
#define P1GW_GATEWAY_CLI_PROBE_H_

#include <cstdio>
#include <string>
#include <string_view>

#include "gateway/core/reading.h"

namespace p1 {

// Preset name (dsmr2 | dsmr3 | dsmr4 | dsmr5 | be | lu | se | at | q3d) for a
// telegram, from its version line, header and object set.
std::string DetectPreset(const Reading& reading, bool encrypted);

// Prints every port libserialport sees with USB ids and /dev/serial/by-id
// names. Returns the exit code.
int RunListPorts(std::FILE* out, std::FILE* err);

// Tries 115200 8N1 then 9600 7E1 on `device`, each for up to timeout_ms,
// and prints the variant found and a config snippet. Exit 0 when a valid
// telegram was seen, 1 otherwise.
int RunProbe(const std::string& device, int timeout_ms, std::FILE* out, std::FILE* err);

}  // namespace p1

#endif  // P1GW_GATEWAY_CLI_PROBE_H_
