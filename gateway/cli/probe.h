// Port discovery and detection for `list-ports` and `probe`. These run as
// one-shot commands, outside the gateway's loop, and may block on their
// own device with a bounded timeout.
#ifndef P1GW_GATEWAY_CLI_PROBE_H_
#define P1GW_GATEWAY_CLI_PROBE_H_

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "gateway/core/reading.h"

namespace p1 {

// Preset name (dsmr2 | dsmr3 | dsmr4 | dsmr5 | be | lu | se | at | q3d | ie) for a
// telegram, from its version line, header and object set.
std::string DetectPreset(const Reading& reading, bool encrypted);

// A udev rule line (deploy/udev/99-p1gateway.rules) that gives the USB
// serial adapter vid:pid with `serial` a stable /dev/p1meter-<serial> name,
// group dialout and mode 0660. Without a serial (CH340 cables have none) the
// name is p1meter-<vid>-<pid>, unique only while one such cable is plugged.
// Characters outside [A-Za-z0-9._-] become '_' in the name and '?' (a
// one-character glob) in the match.
std::string UdevRule(int vid, int pid, const char* serial);

// The [[meters]] block `probe` prints for a meter found at `settings`:
// the preset, the serial settings that differ from the preset's, and for an
// encrypted meter (preset lu, at or at-mbus) where its key goes.
std::string ProbeSnippet(const std::string& device, const SerialSettings& settings,
                         const std::string& preset);

// "ser2net (pid 812)" for each process that has `device` (after symlinks)
// open, from /proc/<pid>/fd; processes this user may not inspect are not
// seen. Empty when nobody has it open.
std::vector<std::string> PortUsers(const std::string& device);

// Prints every port libserialport sees with USB ids and /dev/serial/by-id
// names, then a UdevRule line per USB adapter. Returns the exit code.
int RunListPorts(std::FILE* out, std::FILE* err);

// Tries kProbeSettings and then 2400 8E1 (the M-Bus customer interface) on
// `device` in turn, each for up to timeout_ms, and prints the variant found
// and a config snippet (ProbeSnippet): a telegram, encrypted DLMS frames or
// M-Bus long frames (both: needs a key). Exit 0 when one was seen, 1 otherwise.
int RunProbe(const std::string& device, int timeout_ms, std::FILE* out, std::FILE* err);

}  // namespace p1

#endif  // P1GW_GATEWAY_CLI_PROBE_H_
