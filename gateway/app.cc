#include "gateway/app.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "exporters/prometheus_exporter.h"
#include "gateway/wall_clock.h"
#include "proxy/hub.h"

namespace p1 {
namespace {
constexpr uint64_t kPublishIntervalMs = 1000;
}  // namespace

bool SetupLogging(const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") return false;
  auto logger = spdlog::stderr_logger_mt("p1gateway");
  // journald stamps every line itself.
  bool systemd = std::getenv("JOURNAL_STREAM") != nullptr || std::getenv("INVOCATION_ID") != nullptr;
  logger->set_pattern(systemd ? "%l: %v" : "%Y-%m-%d %H:%M:%S.%e %l: %v");
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return true;
}

App::App(uv_loop_t* loop, std::string config_path, GatewayConfig config)
    : loop_(loop), config_path_(std::move(config_path)), config_(std::move(config)) {}

App::~App() { Shutdown(); }

bool App::Start(std::string* err) {
  if (config_.metrics_enabled) {
    exporter_ = std::make_unique<PrometheusExporter>(PROJECT_VERSION);
    if (!exporter_->Start(config_.metrics_listen, err)) return false;
    spdlog::info("metrics on http://{}/metrics", config_.metrics_listen.ToString());
  }
  for (const MeterConfig& mc : config_.meters) {
    Entry e;
    if (!StartMeter(mc, &e, err)) return false;
    meters_.emplace(mc.name, std::move(e));
  }
  sigint_.Init(uv_signal_init, loop_, this);
  sigterm_.Init(uv_signal_init, loop_, this);
  sighup_.Init(uv_signal_init, loop_, this);
  uv_signal_start(sigint_.get(), OnSignal, SIGINT);
  uv_signal_start(sigterm_.get(), OnSignal, SIGTERM);
  uv_signal_start(sighup_.get(), OnSignal, SIGHUP);
  publish_timer_.Init(uv_timer_init, loop_, this);
  uv_timer_start(publish_timer_.get(), OnPublishTimer, kPublishIntervalMs, kPublishIntervalMs);
  return true;
}

bool App::StartMeter(const MeterConfig& mc, Entry* out, std::string* err) {
  out->hub = std::make_unique<Hub>(loop_, mc.name, mc.listeners, mc.serial_settings);
  if (!out->hub->Start(err)) {
    *err = "meter " + mc.name + ": " + *err;
    return false;
  }
  out->meter = std::make_unique<Meter>(loop_, mc, this);
  out->meter->AddSink(out->hub.get());
  if (!out->meter->Start(err)) return false;
  for (const ListenerConfig& l : mc.listeners) {
    spdlog::info("meter {}: listening on {}", mc.name, l.listen.ToString());
  }
  Publish(*out);
  return true;
}

bool App::Reload(std::string* err) {
  if (config_path_.empty()) {
    *err = "no config file to reload (built-in demo)";
    return false;
  }
  GatewayConfig next;
  if (!LoadConfigFile(config_path_, &next, err)) return false;
  std::map<std::string, Entry> kept;
  std::vector<const MeterConfig*> to_start;
  for (const MeterConfig& mc : next.meters) {
    auto it = meters_.find(mc.name);
    if (it != meters_.end() && it->second.meter->config() == mc) {
      kept.emplace(mc.name, std::move(it->second));
      meters_.erase(it);
    } else {
      to_start.push_back(&mc);
    }
  }
  // What is left in meters_ was changed or removed: close it before the
  // new meters bind the same ports.
  for (auto& [name, entry] : meters_) {
    spdlog::info("reload: stopping meter {}", name);
    if (exporter_ && std::none_of(next.meters.begin(), next.meters.end(),
                                  [&](const MeterConfig& m) { return m.name == name; })) {
      exporter_->Remove(name);
    }
  }
  // uv_close() closes a listener's fd at once (only the handle's memory is
  // freed later), so the new meters can bind the same ports right away.
  meters_ = std::move(kept);
  bool ok = true;
  for (const MeterConfig* mc : to_start) {
    Entry e;
    std::string merr;
    if (!StartMeter(*mc, &e, &merr)) {
      spdlog::error("reload: {}", merr);
      *err = merr;
      ok = false;
      continue;
    }
    spdlog::info("reload: started meter {}", mc->name);
    meters_.emplace(mc->name, std::move(e));
  }
  if (next.log_level != config_.log_level) {
    spdlog::set_level(spdlog::level::from_str(next.log_level));
  }
  if (!(next.metrics_listen.ToString() == config_.metrics_listen.ToString()) ||
      next.metrics_enabled != config_.metrics_enabled) {
    spdlog::warn("reload: [metrics] listen changes take effect after a restart");
    next.metrics_listen = config_.metrics_listen;
    next.metrics_enabled = config_.metrics_enabled;
  }
  config_ = std::move(next);
  return ok;
}

void App::Shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  meters_.clear();
  sigint_.Reset();
  sigterm_.Reset();
  sighup_.Reset();
  publish_timer_.Reset();
  // The exporter's HTTP threads are joined here, outside the loop's handles.
  exporter_.reset();
}

void App::OnSignal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<App*>(handle->data);
  if (self == nullptr) return;
  if (signum == SIGHUP) {
    spdlog::info("SIGHUP: reloading {}", self->config_path_);
    std::string err;
    if (!self->Reload(&err)) spdlog::error("reload failed: {}", err);
    return;
  }
  spdlog::info("{}: shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
  self->Shutdown();
}

void App::OnPublishTimer(uv_timer_t* timer) {
  auto* self = static_cast<App*>(timer->data);
  if (self == nullptr) return;
  // Client counts change without telegrams; keep the exporter's view fresh.
  for (const auto& [name, entry] : self->meters_) self->Publish(entry);
}

void App::OnMeterChanged(Meter* meter) {
  auto it = meters_.find(meter->config().name);
  if (it != meters_.end() && it->second.meter.get() == meter) Publish(it->second);
}

void App::Publish(const Entry& entry) {
  if (!exporter_ || !entry.meter) return;
  auto s = std::make_shared<MeterSnapshot>();
  const MeterConfig& c = entry.meter->config();
  s->name = c.name;
  s->labels = c.labels;
  s->latest = entry.meter->latest();
  s->stale_after_ms = c.stale_after.count();
  s->source_connected = entry.meter->connected();
  s->counters = entry.meter->counters();
  if (entry.hub) s->listeners = entry.hub->Stats();
  exporter_->Publish(std::move(s));
}

uint16_t App::metrics_port() const { return exporter_ ? exporter_->port() : 0; }

const Meter* App::meter(const std::string& name) const {
  auto it = meters_.find(name);
  return it == meters_.end() ? nullptr : it->second.meter.get();
}

const Hub* App::hub(const std::string& name) const {
  auto it = meters_.find(name);
  return it == meters_.end() ? nullptr : it->second.hub.get();
}

std::string App::RenderMetrics() const {
  return exporter_ ? exporter_->Render(WallClockMs()) : std::string();
}

}  // namespace p1
