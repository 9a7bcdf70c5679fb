#include "exporters/prometheus_exporter.h"

#include <utility>

#include "exporters/http/http_server.h"
#include "exporters/metrics/metrics_renderer.h"
#include "gateway/loop/wall_clock.h"

namespace p1 {
namespace {

constexpr const char* kIndexPage =
    "<!DOCTYPE html>\n<html><head><title>p1gateway</title></head><body>\n"
    "<h1>p1gateway</h1>\n<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n";

}  // namespace

PrometheusExporter::PrometheusExporter(std::string version, SnapshotSource source)
    : version_(std::move(version)), source_(std::move(source)) {}

void PrometheusExporter::Register(HttpServer* server) const {
  server->Handle("/metrics", [this](const HttpRequest&) {
    HttpResponse r = HttpResponse::Text(200, Render(WallClockMs()));
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  });
  server->Handle("/", [](const HttpRequest&) {
    HttpResponse r = HttpResponse::Text(200, kIndexPage);
    r.content_type = "text/html; charset=utf-8";
    return r;
  });
}

std::string PrometheusExporter::Render(int64_t now_unix_ms) const {
  return SerializeMetrics(CollectMetrics(source_(), now_unix_ms, version_));
}

}  // namespace p1
