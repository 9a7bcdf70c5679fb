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
    HttpResponse r = HttpResponse::Text(200, Render(WallClockMs()));
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

std::string PrometheusExporter::Render(int64_t now_unix_ms) const {
  const Health h = GatewayHealth();
  // Written straight into the text: the only large blocks are the ~70
  // families' lines and the body, which glibc maps and unmaps on its own.
  return RenderMetrics(source_(), now_unix_ms, version_, h.Mqtt(), h.RemoteWrite(), &lines_);
}

}  // namespace p1
