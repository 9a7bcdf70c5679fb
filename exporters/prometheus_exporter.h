// Serves /metrics (and / with a short page linking it) from the latest
// MeterSnapshot of each meter. Publish/Remove are called on the loop thread;
// scrapes run on the HTTP server's threads and only read immutable
// snapshots (the map of them is swapped under a mutex).
#ifndef P1GW_EXPORTERS_PROMETHEUS_EXPORTER_H_
#define P1GW_EXPORTERS_PROMETHEUS_EXPORTER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/core/meter_snapshot.h"

namespace p1 {

class HttpServer;

class PrometheusExporter {
 public:
  explicit PrometheusExporter(std::string version);
  ~PrometheusExporter();  // stops the HTTP server
  PrometheusExporter(const PrometheusExporter&) = delete;
  PrometheusExporter& operator=(const PrometheusExporter&) = delete;

  // Listens on an IPv4 or IPv6 address ("[::]:9464"); port 0 picks one.
  bool Start(const SocketAddress& listen, std::string* err);
  // Replaces the snapshot of snapshot->name.
  void Publish(MeterSnapshotPtr snapshot);
  // A meter removed by a config reload: its series disappear.
  void Remove(const std::string& meter);
  // The exposition text at `now_unix_ms` (for tests and promtool).
  std::string Render(int64_t now_unix_ms) const;
  uint16_t port() const;  // bound port, 0 before Start

 private:
  std::vector<MeterSnapshotPtr> Snapshots() const;

  const std::string version_;
  mutable std::mutex mu_;
  std::map<std::string, MeterSnapshotPtr> meters_;  // guarded by mu_; sorted for a stable output order
  std::unique_ptr<HttpServer> server_;
};

}  // namespace p1

#endif  // P1GW_EXPORTERS_PROMETHEUS_EXPORTER_H_
