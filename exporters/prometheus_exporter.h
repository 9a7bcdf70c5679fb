// Serves /metrics on an HttpServer.
// Each scrape asks the SnapshotSource for the meters' state at that moment;
// both run on the loop thread, so nothing is copied ahead of a scrape.
#ifndef P1GW_EXPORTERS_PROMETHEUS_EXPORTER_H_
#define P1GW_EXPORTERS_PROMETHEUS_EXPORTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exporters/metrics/metrics_renderer.h"
#include "gateway/core/meter_snapshot.h"

namespace p1 {

class HttpServer;

class PrometheusExporter {
 public:
  // The meters in output order (by name).
  using SnapshotSource = std::function<std::vector<MeterSnapshotPtr>()>;

  // The MQTT publisher's figures now, or nullopt when MQTT is off.
  using MqttSource = std::function<std::optional<MqttMetrics>()>;

  // Every remote-write target's figures now (none: empty or null).
  using RemoteWriteSource = std::function<std::vector<RemoteWriteMetrics>()>;

  PrometheusExporter(std::string version, SnapshotSource source, MqttSource mqtt = nullptr,
                     RemoteWriteSource remote_write = nullptr);

  // Adds the handler for "/metrics"; *server must not outlive this.
  void Register(HttpServer* server) const;
  // The exposition text at `now_unix_ms` (for tests and promtool).
  std::string Render(int64_t now_unix_ms) const;
  // The same written over *out, whose capacity is kept (what /metrics does).
  void Render(int64_t now_unix_ms, std::string* out) const;
  // The families a scrape shows at `now_unix_ms` (what remote write pushes).
  std::vector<prometheus::MetricFamily> Collect(int64_t now_unix_ms) const;

 private:
  // The MQTT and remote-write figures a scrape or a push shows now.
  struct Health {
    std::optional<MqttMetrics> mqtt;
    std::vector<RemoteWriteMetrics> remote_write;
    const MqttMetrics* Mqtt() const { return mqtt ? &*mqtt : nullptr; }
    const std::vector<RemoteWriteMetrics>* RemoteWrite() const {
      return remote_write.empty() ? nullptr : &remote_write;
    }
  };
  Health GatewayHealth() const;

  const std::string version_;
  SnapshotSource source_;
  MqttSource mqtt_;
  RemoteWriteSource remote_write_;
  mutable FamilyLines lines_;  // reused by every scrape (see FamilyLines)
  // The last scrape's body, reused by the next unless a write still holds it.
  mutable std::shared_ptr<std::string> body_;
};

}  // namespace p1

#endif  // P1GW_EXPORTERS_PROMETHEUS_EXPORTER_H_
