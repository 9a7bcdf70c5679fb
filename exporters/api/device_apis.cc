#include "exporters/api/device_apis.h"

#include <utility>

#include "exporters/api/api_exporter.h"
#include "exporters/json/dsmr_logger.h"
#include "exporters/json/homewizard.h"
#include "gateway/core/json_writer.h"

namespace p1 {
namespace {

HttpResponse TelegramText(const TelegramPtr& t) {
  if (!t) return JsonError(503, "no telegram yet");
  return HttpResponse::Text(200, t->plaintext);
}

// The DSMR-logger documents of one meter's latest telegram (or of an empty
// reading before the first one, as a dongle that just booted answers).
HttpResponse DsmrLogger(std::string_view what, const TelegramPtr& t) {
  static const Reading kNone;
  const Reading& r = t ? t->reading : kNone;
  if (what == "actual") return HttpResponse::Json(200, RenderDsmrLoggerActual(r));
  if (what == "info") return HttpResponse::Json(200, RenderDsmrLoggerInfo(r));
  if (what == "telegram") return TelegramText(t);
  return JsonError(404, "no such API path");
}

}  // namespace

HomeWizardServer::HomeWizardServer(uv_loop_t* loop, Identity identity, LatestTelegram latest)
    : identity_(std::move(identity)), latest_(std::move(latest)), server_(loop) {
  server_.Handle("/api", [this](const HttpRequest&) {
    return HttpResponse::Json(200,
                              RenderHomeWizardDevice(identity_.meter, identity_.firmware_version));
  });
  server_.Handle("/api/v1/data", [this](const HttpRequest&) {
    static const Reading kNone;
    const TelegramPtr t = latest_(identity_.meter);
    HomeWizardDataOptions o;
    o.wifi_ssid = identity_.wifi_ssid;
    return HttpResponse::Json(200, RenderHomeWizardData(t ? t->reading : kNone, o));
  });
  server_.Handle("/api/v1/telegram",
                 [this](const HttpRequest&) { return TelegramText(latest_(identity_.meter)); });
  // Clients switch the cloud off with PUT; the gateway has none to switch.
  server_.Handle(
      "/api/v1/system",
      [](const HttpRequest& req) {
        if (req.method != "GET" && req.method != "HEAD" && req.method != "PUT") {
          return JsonError(405, "method not allowed");
        }
        return HttpResponse::Json(200, "{\"cloud_enabled\":false}");
      },
      /*any_method=*/true);
  server_.HandlePrefix("/api/v2/sm/", [this](const HttpRequest& req) {
    return DsmrLogger(std::string_view(req.path).substr(11), latest_(identity_.meter));
  });
  server_.HandlePrefix(
      "/", [](const HttpRequest&) { return JsonError(404, "no such API path"); },
      /*any_method=*/true);
}

void RegisterDsmrLogger(HttpServer* server, LatestTelegram latest,
                        std::function<std::vector<std::string>()> meters) {
  server->HandlePrefix("/api/v2/sm/", [latest = std::move(latest),
                                       meters = std::move(meters)](const HttpRequest& req) {
    const std::vector<std::string> asked = req.QueryValues("meter");
    std::string meter = asked.empty() ? std::string() : asked.back();
    const std::vector<std::string> names = meters();
    if (meter.empty()) {
      if (names.size() != 1) return JsonError(400, "name the meter: ?meter=NAME");
      meter = names[0];
    } else if (std::find(names.begin(), names.end(), meter) == names.end()) {
      return JsonError(404, "unknown meter '" + meter + "'");
    }
    return DsmrLogger(std::string_view(req.path).substr(11), latest(meter));
  });
}

}  // namespace p1
