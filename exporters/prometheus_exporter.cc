#include "exporters/prometheus_exporter.h"

#include <malloc.h>

#include <utility>

#include "exporters/http/http_server.h"
#include "exporters/metrics/metrics_renderer.h"
#include "gateway/loop/wall_clock.h"

namespace p1 {
namespace {

constexpr size_t kTrimAfterBytes = 256 * 1024;  // ~50 meters' exposition

}  // namespace

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

std::vector<prometheus::MetricFamily> PrometheusExporter::Collect(int64_t now_unix_ms) const {
  std::optional<MqttMetrics> mqtt;
  if (mqtt_) mqtt = mqtt_();
  std::vector<RemoteWriteMetrics> rw;
  if (remote_write_) rw = remote_write_();
  return CollectMetrics(source_(), now_unix_ms, version_, mqtt ? &*mqtt : nullptr,
                        rw.empty() ? nullptr : &rw);
}

std::string PrometheusExporter::Render(int64_t now_unix_ms) const {
  std::string text = SerializeMetrics(Collect(now_unix_ms));
  // A fleet's families are ~10^4 small blocks, freed just now; glibc keeps
  // the pages they spanned (RSS +11 MB after scrapes of 500 meters) unless
  // told to return them. Small scrapes are not worth the heap walk.
  if (text.size() > kTrimAfterBytes) malloc_trim(0);
  return text;
}

}  // namespace p1
