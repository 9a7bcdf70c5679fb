// Pure rendering of meter snapshots into Prometheus metric families and
// exposition text (format 0.0.4). No clock: the caller passes `now`.
#ifndef P1GW_EXPORTERS_METRICS_METRICS_RENDERER_H_
#define P1GW_EXPORTERS_METRICS_METRICS_RENDERER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

#include "exporters/metrics/metric_families.h"
#include "gateway/core/meter_snapshot.h"

namespace p1 {

// Labels every series of a meter carries: meter="name" plus its static
// labels. Static labels whose name is not a valid Prometheus label name or
// collides with a label the exporter sets itself are left out.
Labels BaseLabels(const MeterSnapshot& meter);

// All families for the given meters (each non-null, distinct names) plus
// p1gateway_build_info{version}. A meter with a telegram exports its
// registers even when stale (dsmr_meter_up then reads 0).
// The MQTT publisher's figures, for p1gateway_mqtt_*.
struct MqttMetrics {
  bool connected = false;
  uint64_t published = 0;
  uint64_t dropped = 0;
  uint64_t reconnects = 0;
  uint64_t connect_failures = 0;
  size_t queued = 0;  // messages waiting in the outbox
};

// One remote-write target's figures, for p1gateway_remote_write_*{target}.
struct RemoteWriteMetrics {
  std::string target;
  uint64_t sent = 0;
  uint64_t failed = 0;
  uint64_t dropped_queue_full = 0;
  uint64_t dropped_rejected = 0;
  size_t pending = 0;
  int64_t last_success_unix_ms = 0;  // 0: never
  int64_t oldest_pending_unix_ms = 0;  // 0: nothing pending
};

// `mqtt`, when given, adds the p1gateway_mqtt_* families, `remote_write`
// the p1gateway_remote_write_* ones.
std::vector<prometheus::MetricFamily> CollectMetrics(
    const std::vector<MeterSnapshotPtr>& meters, int64_t now_unix_ms, std::string_view version,
    const MqttMetrics* mqtt = nullptr, const std::vector<RemoteWriteMetrics>* remote_write = nullptr);

// SerializeMetrics(CollectMetrics(...)) byte for byte, written straight
// into the text (what a scrape serves; no ClientMetric per sample).
// `lines`: kept by the caller from one scrape to the next (see FamilyLines).
std::string RenderMetrics(const std::vector<MeterSnapshotPtr>& meters, int64_t now_unix_ms,
                          std::string_view version, const MqttMetrics* mqtt = nullptr,
                          const std::vector<RemoteWriteMetrics>* remote_write = nullptr,
                          FamilyLines* lines = nullptr);
// The same written over *out, whose capacity is kept: a buffer reused from
// one scrape to the next is not faulted in again (a fresh 2 MB body was
// two thirds of a 500-meter scrape's CPU, in page faults and the copy).
void RenderMetrics(const std::vector<MeterSnapshotPtr>& meters, int64_t now_unix_ms,
                   std::string_view version, const MqttMetrics* mqtt,
                   const std::vector<RemoteWriteMetrics>* remote_write, FamilyLines* lines,
                   std::string* out);

// Only the meters' families (no p1gateway_build_info, no MQTT): what a
// push at one meter's telegram sends.
std::vector<prometheus::MetricFamily> CollectMeterMetrics(
    const std::vector<MeterSnapshotPtr>& meters, int64_t now_unix_ms);

// The value of a counter, gauge or untyped sample (what CollectMetrics makes).
double SampleValue(const prometheus::MetricFamily& family, const prometheus::ClientMetric& m);

// Text exposition format 0.0.4 of counter, gauge and untyped families, as
// prometheus-cpp's TextSerializer writes it.
std::string SerializeMetrics(const std::vector<prometheus::MetricFamily>& families);

}  // namespace p1

#endif  // P1GW_EXPORTERS_METRICS_METRICS_RENDERER_H_
