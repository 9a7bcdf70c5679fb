#include "exporters/prometheus_exporter.h"

#include <utility>

#include "exporters/http/http_server.h"
#include "exporters/metrics/metrics_renderer.h"
#include "gateway/loop/wall_clock.h"

namespace p1 {

PrometheusExporter::PrometheusExporter(std::string version, SnapshotSource source,
                                       MqttSource mqtt)
    : version_(std::move(version)), source_(std::move(source)), mqtt_(std::move(mqtt)) {}

void PrometheusExporter::Register(HttpServer* server) const {
  server->Handle("/metrics", [this](const HttpRequest&) {
    HttpResponse r = HttpResponse::Text(200, Render(WallClockMs()));
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  });
}

std::string PrometheusExporter::Render(int64_t now_unix_ms) const {
  std::optional<MqttMetrics> mqtt;
  if (mqtt_) mqtt = mqtt_();
  return SerializeMetrics(CollectMetrics(source_(), now_unix_ms, version_, mqtt ? &*mqtt : nullptr));
}

}  // namespace p1
