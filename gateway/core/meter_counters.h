// MeterCounters: what one meter has seen (telegrams, errors by reason,
// reconnects), owned by its Meter on the loop thread.
#ifndef P1GW_GATEWAY_CORE_METER_COUNTERS_H_
#define P1GW_GATEWAY_CORE_METER_COUNTERS_H_

#include <cstdint>

namespace p1 {

struct MeterCounters {
  uint64_t telegrams = 0;  // CRC valid or absent
  uint64_t crc_errors = 0;
  uint64_t crc_missing_errors = 0;  // no CRC from a meter whose variant sends one
  uint64_t malformed_errors = 0;    // framed '/'..'!' but not shaped like a telegram
  uint64_t parse_errors = 0;        // telegrams with at least one field error
  uint64_t overflow_errors = 0;
  uint64_t truncated_errors = 0;
  uint64_t decrypt_errors = 0;
  uint64_t timeouts = 0;            // stale_after elapsed without a telegram
  uint64_t silence_reconnects = 0;  // TCP source closed after silence_timeout without bytes
  uint64_t reconnects = 0;
  uint64_t foreign_packets = 0;     // wrapping = "rfxtrx" | "mbus": packets/frames without meter data
  uint64_t received_bytes = 0;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_METER_COUNTERS_H_
