#include "exporters/prometheus_exporter.h"

#include <utility>

#include "exporters/http/http_server.h"
#include "exporters/metrics/metrics_renderer.h"
#include "gateway/loop/wall_clock.h"

namespace p1 {
PrometheusExporter::PrometheusExporter(std::string version, SnapshotSource source,
                                       MqttSource mqtt, RemoteWriteSource remote_write)
    : version_(std::move(version)),
      source_(std::move(source)),
      mqtt_(std::move(mqtt)),
      remote_write_(std::move(remote_write)) {}

void PrometheusExporter::Register(HttpServer* server) const {
  server->Handle("/metrics", [this](const HttpRequest&) {
    // A body still being written to a slow client is left to it.
    if (!body_ || body_.use_count() > 1) body_ = std::make_shared<std::string>();
    Render(WallClockMs(), body_.get());
    HttpResponse r;
    r.shared_body = body_;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  });
}

PrometheusExporter::Health PrometheusExporter::GatewayHealth() const {
  Health h;
  if (mqtt_) h.mqtt = mqtt_();
  if (remote_write_) h.remote_write = remote_write_();
  return h;
}

std::vector<prometheus::MetricFamily> PrometheusExporter::Collect(int64_t now_unix_ms) const {
  const Health h = GatewayHealth();
  return CollectMetrics(source_(), now_unix_ms, version_, h.Mqtt(), h.RemoteWrite());
}

void PrometheusExporter::Render(int64_t now_unix_ms, std::string* out) const {
  const Health h = GatewayHealth();
  RenderMetrics(source_(), now_unix_ms, version_, h.Mqtt(), h.RemoteWrite(), &lines_, out);
}

std::string PrometheusExporter::Render(int64_t now_unix_ms) const {
  std::string out;
  Render(now_unix_ms, &out);
  return out;
}

}  // namespace p1
