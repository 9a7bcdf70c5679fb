// ListenerStats: the counters of one proxy listener, filled by proxy/ and
// read by exporters/ through a MeterSnapshot.
#ifndef P1GW_GATEWAY_CORE_LISTENER_STATS_H_
#define P1GW_GATEWAY_CORE_LISTENER_STATS_H_

#include <cstdint>
#include <string>

namespace p1 {

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
  uint64_t rejected_fds = 0;        // accepted and closed at once: out of file descriptors
  uint64_t kicked = 0;              // disconnected: kick_old or stuck
  uint64_t disconnects_closed = 0;  // the client closed its end (orderly EOF)
  uint64_t disconnects_error = 0;   // a read/write failed: reset, broken pipe, ...
  uint64_t port_requests = 0;       // rfc2217: requests to set a port parameter
  uint64_t bytes_sent = 0;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_LISTENER_STATS_H_
