// Interfaces between a Meter (gateway/) and what consumes its output
// (proxy/, exporters/). Sinks run on the loop thread and never talk back.
#ifndef P1GW_GATEWAY_SINK_H_
#define P1GW_GATEWAY_SINK_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/telegram.h"

namespace p1 {

class TelegramSink {
 public:
  virtual ~TelegramSink() = default;
  // A complete telegram whose CRC is valid or absent (never invalid).
  virtual void OnTelegram(const TelegramPtr& telegram) = 0;
  // Every chunk exactly as read from the source, for transparent byte mode.
  // The buffer is shared and immutable; keep the pointer to keep the bytes.
  // Only called when WantsBytes(): a serial port delivers many small chunks
  // per telegram, and nobody should pay for copying them unless asked.
  virtual void OnBytes(const std::shared_ptr<const std::string>& /*bytes*/) {}
  virtual bool WantsBytes() const { return false; }
};

// Counters of one proxy listener, filled by proxy/, read by exporters/.
struct ListenerStats {
  std::string listener;  // listen address as configured, e.g. "0.0.0.0:2001"
  std::string protocol;  // raw | telnet | rfc2217
  uint64_t clients = 0;
  uint64_t accepted = 0;
  uint64_t dropped_telegrams = 0;
  uint64_t throttled_telegrams = 0;  // skipped by min_interval (not a loss)
  uint64_t dropped_chunks = 0;       // payload=bytes: chunks dropped for a slow client
  uint64_t rejected_max_clients = 0;
  uint64_t rejected_allow = 0;
  uint64_t rejected_fds = 0;     // accepted and closed at once: out of file descriptors
  uint64_t kicked = 0;           // disconnected: kick_old or stuck
  uint64_t disconnects_closed = 0;  // the client closed its end (orderly EOF)
  uint64_t disconnects_error = 0;   // a read/write failed: reset, broken pipe, ...
  uint64_t port_requests = 0;       // rfc2217: requests to set a port parameter
  uint64_t bytes_sent = 0;
};

// Counters of one meter, owned by the Meter on the loop thread.
struct MeterCounters {
  uint64_t telegrams = 0;        // CRC valid or absent
  uint64_t crc_errors = 0;
  uint64_t crc_missing_errors = 0;  // no CRC from a meter whose variant sends one
  uint64_t malformed_errors = 0;    // framed '/'..'!' but not shaped like a telegram
  uint64_t parse_errors = 0;     // telegrams with at least one field error
  uint64_t overflow_errors = 0;
  uint64_t truncated_errors = 0;
  uint64_t decrypt_errors = 0;
  uint64_t timeouts = 0;         // stale_after elapsed without a telegram
  uint64_t silence_reconnects = 0;  // TCP source closed after silence_timeout without bytes
  uint64_t reconnects = 0;
  uint64_t received_bytes = 0;
};

// Immutable picture of one meter handed from the loop thread to the
// exporter's HTTP thread. Published after every frame and state change.
struct MeterSnapshot {
  std::string name;
  std::map<std::string, std::string> labels;
  TelegramPtr latest;            // last telegram with valid/absent CRC; may be null
  int64_t stale_after_ms = 30000;
  bool source_connected = false;
  MeterCounters counters;
  std::vector<ListenerStats> listeners;
};

using MeterSnapshotPtr = std::shared_ptr<const MeterSnapshot>;

}  // namespace p1

#endif  // P1GW_GATEWAY_SINK_H_
