// `p1gateway simulate`: emits a simulated meter's telegrams to stdout, to a
// pseudo-terminal (created and linked at PATH, or an existing tty device),
// or to TCP clients (tcp-listen:ADDR), so users and tests can drive their
// own consumers and the gateway itself.
#ifndef P1GW_GATEWAY_CLI_SIMULATE_COMMAND_H_
#define P1GW_GATEWAY_CLI_SIMULATE_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>

#include "gateway/core/dlms.h"

namespace p1 {

struct SimulateOptions {
  std::string variant = "dsmr5";
  double rate_hz = 0;    // 0: the variant's own interval
  std::string out = "-"; // "-" | PATH | tcp-listen:ADDR
  uint64_t count = 0;    // stop after this many telegrams; 0 = until SIGINT/SIGTERM
  uint64_t seed = 1;
  std::optional<AesKey> key, aad_key;
};

// Runs until count telegrams were sent or a signal arrives. Exit code.
int RunSimulate(const SimulateOptions& options);

}  // namespace p1

#endif  // P1GW_GATEWAY_CLI_SIMULATE_COMMAND_H_
