#include "exporters/prometheus_exporter.h"

#include <chrono>
#include <utility>

#include "exporters/http/http_server.h"
#include "exporters/metrics/metrics_renderer.h"

namespace p1 {
namespace {

constexpr const char* kIndexPage =
    "<!DOCTYPE html>\n<html><head><title>p1gateway</title></head><body>\n"
    "<h1>p1gateway</h1>\n<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n";

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

PrometheusExporter::PrometheusExporter(std::string version) : version_(std::move(version)) {}

PrometheusExporter::~PrometheusExporter() = default;  // server_ joins its threads first

bool PrometheusExporter::Start(const SocketAddress& listen, std::string* err) {
  auto server = std::make_unique<HttpServer>();
  server->Handle("/metrics", [this] {
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", Render(NowUnixMs())};
  });
  server->Handle("/", [] { return HttpResponse{200, "text/html; charset=utf-8", kIndexPage}; });
  std::string host = listen.host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  if (!server->Start(host, listen.port, err)) return false;
  server_ = std::move(server);
  return true;
}

void PrometheusExporter::Publish(MeterSnapshotPtr snapshot) {
  if (snapshot == nullptr) return;
  std::string name = snapshot->name;
  std::lock_guard lock(mu_);
  meters_[std::move(name)] = std::move(snapshot);
}

void PrometheusExporter::Remove(const std::string& meter) {
  MeterSnapshotPtr old;  // released outside the lock
  std::lock_guard lock(mu_);
  auto it = meters_.find(meter);
  if (it == meters_.end()) return;
  old = std::move(it->second);
  meters_.erase(it);
}

std::vector<MeterSnapshotPtr> PrometheusExporter::Snapshots() const {
  std::lock_guard lock(mu_);
  std::vector<MeterSnapshotPtr> out;
  out.reserve(meters_.size());
  for (const auto& [name, snap] : meters_) out.push_back(snap);
  return out;
}

std::string PrometheusExporter::Render(int64_t now_unix_ms) const {
  // Render outside the lock: Publish never waits for a scrape.
  return SerializeMetrics(CollectMetrics(Snapshots(), now_unix_ms, version_));
}

uint16_t PrometheusExporter::port() const { return server_ ? server_->port() : 0; }

}  // namespace p1
