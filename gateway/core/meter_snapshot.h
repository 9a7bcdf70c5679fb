// MeterSnapshot: the state of one meter at one moment, as the exporters
// render it (taken on the loop when a scrape asks for it).
#ifndef P1GW_GATEWAY_CORE_METER_SNAPSHOT_H_
#define P1GW_GATEWAY_CORE_METER_SNAPSHOT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/core/listener_stats.h"
#include "gateway/core/meter_counters.h"
#include "gateway/core/telegram.h"

namespace p1 {

struct MeterSnapshot {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string source_kind;     // serial | tcp | simulate
  std::string source_address;  // device path, host:port, or variant
  TelegramPtr latest;  // last telegram with valid/absent CRC; may be null
  int64_t stale_after_ms = 30000;
  bool source_connected = false;
  bool wrapped = false;  // the source's P1 stream comes in RFXtrx packets
  MeterCounters counters;
  std::vector<ListenerStats> listeners;

  // dsmr_meter_up: a telegram arrived within stale_after.
  bool Up(int64_t now_unix_ms) const { return TelegramFresh(latest, stale_after_ms, now_unix_ms); }

  // The one rule for "up", also for callers without a snapshot.
  static bool TelegramFresh(const TelegramPtr& latest, int64_t stale_after_ms,
                            int64_t now_unix_ms) {
    return latest != nullptr && now_unix_ms - latest->received_unix_ms <= stale_after_ms;
  }
};

using MeterSnapshotPtr = std::shared_ptr<const MeterSnapshot>;

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_METER_SNAPSHOT_H_
