#include "gateway/app/app.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "config/parse_util.h"
#include "exporters/api/api_exporter.h"
#include "exporters/api/device_apis.h"
#include "exporters/http/http_server.h"
#include "exporters/mdns/mdns_publisher.h"
#include "exporters/mqtt/mqtt_exporter.h"
#include "exporters/prometheus_exporter.h"
#include "exporters/remote_write/remote_writer.h"
#include "gateway/loop/acceptor.h"
#include "gateway/loop/wall_clock.h"
#include "proxy/hub.h"
#include "proxy/send_batch.h"

namespace p1 {
namespace {

// Whether stderr is the journal stream systemd connected ($JOURNAL_STREAM
// names its device and inode, systemd.exec(5)), not a file or a terminal.
bool StderrIsJournal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  unsigned long long dev = 0, ino = 0;
  struct stat st {};
  if (env == nullptr || std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
  return fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

// "%*": the sd-daemon(3) priority prefix for the message's level.
class JournalPriority : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    // trace, debug, info, warn, err, critical, off
    static constexpr std::string_view kPrefix[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", ""};
    std::string_view p = kPrefix[msg.level];
    dest.append(p.data(), p.data() + p.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JournalPriority>();
  }
};

std::string Hostname() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "p1gateway";
  return host;
}

}  // namespace

bool SetupLogging(const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") return false;
  auto logger = spdlog::stderr_logger_mt("p1gateway");
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (StderrIsJournal()) {
    // journald stamps every line itself and reads the priority off "<N>".
    formatter->add_flag<JournalPriority>('*').set_pattern("%*%l: %v");
  } else if (std::getenv("INVOCATION_ID") != nullptr) {
    formatter->set_pattern("%l: %v");  // under systemd, stderr to a file or a pipe
  } else {
    formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %l: %v");
  }
  logger->set_formatter(std::move(formatter));
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return true;
}

App::App(uv_loop_t* loop, std::string config_path, GatewayConfig config)
    : loop_(loop),
      config_path_(std::move(config_path)),
      config_(std::move(config)),
      notifier_(loop, [this] { return StatusLine(); }) {}

App::~App() { Shutdown(); }

bool App::Start(std::string* err) {
  // Before any socket is bound: a client can connect (and a supervisor send
  // SIGHUP) as soon as listen() returns, and SIGHUP's default action ends
  // the process. Signals are handled once the loop runs.
  signals_.Start(loop_, this, OnSignal, {SIGINT, SIGTERM, SIGHUP});
  // Also what remote write pushes, with or without HTTP.
  exporter_ = std::make_unique<PrometheusExporter>(
      PROJECT_VERSION, [this] { return Snapshots(); },
      [this]() -> std::optional<MqttMetrics> {
        if (!mqtt_) return std::nullopt;
        MqttExporter::Stats s = mqtt_->stats();
        return MqttMetrics{s.connected,  s.published,        s.dropped,
                           s.reconnects, s.connect_failures, s.queued};
      },
      [this] {
        std::vector<RemoteWriteMetrics> out;
        for (const auto& [name, w] : remote_writers_) out.push_back(w->metrics());
        return out;
      });
  if (config_.metrics_enabled) {
    ApiExporter::Options api;
    api.cors = config_.cors;
    api_ = std::make_unique<ApiExporter>(
        loop_, [this] { return Snapshots(); }, api);
    http_ = std::make_unique<HttpServer>(loop_);
    exporter_->Register(http_.get());
    api_->Register(http_.get());
    RegisterDsmrLogger(
        http_.get(), [this](const std::string& name) { return Latest(name); },
        [this] {
          std::vector<std::string> names;
          for (const auto& [name, entry] : meters_) names.push_back(name);
          return names;
        });
    const SocketAddress& at = config_.metrics_listen;
    sockaddr_storage addr{};
    int r = NumericSocketAddress(at.host, at.port, &addr);
    if (r == 0) r = http_->Listen(addr);
    if (r != 0) {
      *err = "cannot listen on " + at.ToString() + ": " + uv_strerror(r);
      return false;
    }
    spdlog::info("metrics on http://{}/metrics, API on http://{}/api/v1/meters", at.ToString(),
                 at.ToString());
  }
  if (config_.mqtt.enabled) {
    mqtt_ = PrepareMqtt(config_.mqtt, err);
    if (!mqtt_) return false;
    mqtt_->Start();
  }
  RemoteWriters writers;
  if (!PrepareRemoteWrites(config_, &writers, err)) return false;
  CommitRemoteWrites(&writers);
  if (!StartSendBatch(err)) return false;
  for (const MeterConfig& mc : config_.meters) {
    Entry e;
    if (!StartMeter(mc, &e, err)) return false;
    meters_.emplace(mc.name, std::move(e));
  }
  UpdateMdns();
  notifier_.Ready();  // every listener is bound
  return true;
}

// P1GW_IO_URING (auto | on | off) overrides [gateway] io_uring: the test
// suite runs the proxy tests once in each mode.
bool App::StartSendBatch(std::string* err) {
  IoUringMode mode = config_.io_uring;
  if (const char* env = std::getenv("P1GW_IO_URING"); env != nullptr && *env != '\0') {
    if (!ParseIoUringMode(env, &mode)) {
      *err = std::string("P1GW_IO_URING: unknown mode '") + env + "' (auto | on | off)";
      return false;
    }
  }
  std::string why = "io_uring = \"off\"";
  if (mode != IoUringMode::kOff) send_batch_ = SendBatch::Create(loop_, &why);
  if (send_batch_) {
    spdlog::info("proxy: a telegram's sends to all clients go in one io_uring submission");
    return true;
  }
  if (mode == IoUringMode::kOn) {
    *err = why + " (set [gateway] io_uring = \"auto\" to write to clients one by one)";
    return false;
  }
  spdlog::info("proxy: one write per client ({})", why);
  return true;
}

bool App::StartMeter(const MeterConfig& mc, Entry* out, std::string* err) {
  out->hub = std::make_unique<Hub>(loop_, mc.name, mc.listeners, mc.serial_settings,
                                   send_batch_.get());
  if (!out->hub->Start(err)) {
    *err = "meter " + mc.name + ": " + *err;
    return false;
  }
  out->meter = std::make_unique<Meter>(loop_, mc, this);
  AddSinks(mc.name, out);
  if (mc.homewizard) {
    out->homewizard = StartHomeWizard(mc, err);
    if (!out->homewizard) return false;
    out->homewizard_at = mc.homewizard;
  }
  if (!out->meter->Start(err)) return false;
  for (const ListenerConfig& l : mc.listeners) {
    spdlog::info("meter {}: listening on {}", mc.name, l.listen.ToString());
  }
  return true;
}

namespace {

// A meter's own settings, apart from its listeners (diffed one by one) and
// its HomeWizard port (which the App owns).
bool SameMeter(MeterConfig a, MeterConfig b) {
  a.listeners.clear();
  b.listeners.clear();
  a.homewizard = b.homewizard = std::nullopt;
  a.mqtt_min_interval = b.mqtt_min_interval = std::nullopt;  // the MQTT exporter's
  return a == b;
}

// Whether `l` can stay as it is for a listener configured as `c` on a meter
// with serial settings `serial` (only RFC 2217 clients see those).
bool SameListener(const Listener& l, const ListenerConfig& c, const SerialSettings& serial) {
  return l.config() == c && (c.protocol != ListenerProtocol::kRfc2217 || l.serial() == serial);
}

}  // namespace

// What a reload does to one meter of the new config, prepared before
// anything running is touched.
struct App::MeterPlan {
  const MeterConfig* config = nullptr;
  Entry* old = nullptr;                          // running entry of that name
  std::vector<const Listener*> keep;             // old listeners that stay, clients and all
  std::vector<bool> kept;                        // per configured listener: one of `keep`
  std::vector<std::unique_ptr<Listener>> fresh;  // bound already (their port was free)
  std::vector<const ListenerConfig*> deferred;   // port held by an old listener that goes
  std::unique_ptr<Meter> meter;                  // prepared replacement, if the meter changed
  std::unique_ptr<HomeWizardServer> homewizard;  // bound already: a new or moved HomeWizard port
};

bool App::Reload(std::string* err) {
  if (config_path_.empty()) {
    *err = "no config file to reload (built-in demo)";
    ++reload_failures_;
    return false;
  }
  GatewayConfig next;
  std::vector<MeterPlan> plans;
  std::unique_ptr<MqttExporter> mqtt;
  RemoteWriters writers;
  if (!LoadConfigFile(config_path_, &next, err) || !PrepareRemoteWrites(next, &writers, err) ||
      !PrepareReload(next, &plans, &mqtt, err)) {
    // Nothing running was touched: listeners bound and meters prepared for
    // the new config close with `plans`.
    ++reload_failures_;
    return false;
  }
  CommitReload(&plans, std::move(mqtt), next.mqtt.enabled);
  CommitRemoteWrites(&writers);
  if (next.io_uring != config_.io_uring) {
    spdlog::warn("reload: [gateway] io_uring changes take effect after a restart");
    next.io_uring = config_.io_uring;
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
  UpdateMdns();  // the new set of ports; a rejected reload never gets here
  ++reloads_;
  return true;
}

// Binds every new listener whose port is free and prepares every new or
// changed meter. Any failure leaves the running state exactly as it was.
bool App::PrepareReload(const GatewayConfig& next, std::vector<MeterPlan>* plans,
                        std::unique_ptr<MqttExporter>* mqtt, std::string* err) {
  // A changed [mqtt] or password gets a new client, prepared first.
  if (next.mqtt.enabled) {
    bool changed = !mqtt_ || next.mqtt != config_.mqtt;
    if (!changed) {
      std::string password;
      if (!MqttExporter::ReadPassword(next.mqtt, &password, err)) return false;
      changed = password != mqtt_->password();
    }
    if (changed) {
      *mqtt = PrepareMqtt(next.mqtt, err);
      if (!*mqtt) return false;
    }
  }
  plans->resize(next.meters.size());
  for (size_t i = 0; i < next.meters.size(); ++i) {
    MeterPlan& plan = (*plans)[i];
    plan.config = &next.meters[i];
    plan.kept.assign(plan.config->listeners.size(), false);
    auto it = meters_.find(plan.config->name);
    if (it == meters_.end()) continue;
    plan.old = &it->second;
    for (size_t k = 0; k < plan.config->listeners.size(); ++k) {
      for (const auto& l : plan.old->hub->listeners()) {
        if (SameListener(*l, plan.config->listeners[k], plan.config->serial_settings) &&
            std::find(plan.keep.begin(), plan.keep.end(), l.get()) == plan.keep.end()) {
          plan.keep.push_back(l.get());
          plan.kept[k] = true;
          break;
        }
      }
    }
  }
  // Ports of running listeners that the new config does not keep.
  std::vector<uint16_t> going;
  for (const auto& [name, entry] : meters_) {
    const MeterPlan* plan = nullptr;
    for (const MeterPlan& p : *plans) {
      if (p.old == &entry) plan = &p;
    }
    for (const auto& l : entry.hub->listeners()) {
      if (plan == nullptr ||
          std::find(plan->keep.begin(), plan->keep.end(), l.get()) == plan->keep.end()) {
        going.push_back(l->BoundPort());
      }
    }
  }
  for (MeterPlan& plan : *plans) {
    const MeterConfig& mc = *plan.config;
    for (size_t k = 0; k < mc.listeners.size(); ++k) {
      if (plan.kept[k]) continue;
      const ListenerConfig& c = mc.listeners[k];
      if (c.listen.port != 0 &&
          std::find(going.begin(), going.end(), c.listen.port) != going.end()) {
        plan.deferred.push_back(&c);
        continue;
      }
      auto l = std::make_unique<Listener>(loop_, c, mc.serial_settings, send_batch_.get());
      if (!l->Start(err)) {
        *err = "meter " + mc.name + ": " + *err;
        return false;
      }
      plan.fresh.push_back(std::move(l));
    }
    const bool hw_stays =
        plan.old != nullptr && plan.old->homewizard && plan.old->homewizard_at == mc.homewizard;
    if (mc.homewizard && !hw_stays) {
      plan.homewizard = StartHomeWizard(mc, err);
      if (!plan.homewizard) return false;
    }
    if (plan.old != nullptr && SameMeter(plan.old->meter->config(), mc)) continue;
    plan.meter = std::make_unique<Meter>(loop_, mc, this);
    if (!plan.meter->Prepare(err)) {
      *err = "meter " + mc.name + ": " + *err;
      return false;
    }
  }
  return true;
}

// Applies prepared plans: closes what goes, binds ports that it freed, swaps
// changed meters. Only a port taken by someone else between the close and
// the bind can still fail here; that listener is then missing and logged.
void App::CommitReload(std::vector<MeterPlan>* plans, std::unique_ptr<MqttExporter> mqtt,
                       bool mqtt_enabled) {
  for (auto it = meters_.begin(); it != meters_.end();) {
    const bool stays = std::any_of(plans->begin(), plans->end(),
                                   [&](const MeterPlan& p) { return p.old == &it->second; });
    if (stays) {
      ++it;
      continue;
    }
    spdlog::info("reload: stopping meter {}", it->first);
    if (mqtt_) mqtt_->RemoveMeter(it->first);  // its Home Assistant device goes
    it = meters_.erase(it);
  }
  if (mqtt || !mqtt_enabled) {
    mqtt_ = std::move(mqtt);  // the old client says "offline" and disconnects
    if (mqtt_) mqtt_->Start();
  }
  for (MeterPlan& plan : *plans) {
    if (plan.old != nullptr) plan.old->hub->Retain(plan.keep);
  }
  for (MeterPlan& plan : *plans) {
    const MeterConfig& mc = *plan.config;
    Entry fresh_entry;
    Entry* entry = plan.old;
    if (entry == nullptr) {
      fresh_entry.hub =
          std::make_unique<Hub>(loop_, mc.name, std::vector<ListenerConfig>{}, mc.serial_settings,
                                send_batch_.get());
      entry = &fresh_entry;
    }
    for (const ListenerConfig* c : plan.deferred) {
      auto l = std::make_unique<Listener>(loop_, *c, mc.serial_settings, send_batch_.get());
      std::string err;
      if (!l->Start(&err)) {
        spdlog::error("reload: meter {}: {}", mc.name, err);
        continue;
      }
      plan.fresh.push_back(std::move(l));
    }
    for (auto& l : plan.fresh) entry->hub->Add(std::move(l));
    if (plan.homewizard || !mc.homewizard) {
      entry->homewizard = std::move(plan.homewizard);  // an old port closes here
      entry->homewizard_at = entry->homewizard ? mc.homewizard : std::nullopt;
    }
    if (plan.meter) {
      spdlog::info("reload: {} meter {}", plan.old ? "restarting" : "starting", mc.name);
      entry->meter = std::move(plan.meter);  // the old meter closes its source here
      AddSinks(mc.name, entry);
      entry->meter->Run();
    }
    if (entry == &fresh_entry) meters_.emplace(mc.name, std::move(fresh_entry));
  }
  // Every meter's current state, for a new exporter and for a changed
  // mqtt_min_interval.
  for (auto& [name, entry] : meters_) {
    if (entry.meter) OnMeterChanged(entry.meter.get());
  }
}

bool App::PrepareRemoteWrites(const GatewayConfig& next, RemoteWriters* out, std::string* err) {
  for (const RemoteWriteConfig& c : next.remote_write) {
    auto it = remote_writers_.find(c.name);
    if (it != remote_writers_.end() && it->second->config() == c) {
      std::string secret;
      if (!RemoteWriter::ReadSecret(c, &secret, err)) return false;
      if (secret == it->second->secret()) {
        (*out)[c.name] = nullptr;  // unchanged: keeps its queue and connection
        continue;
      }
    }
    auto w = std::make_unique<RemoteWriter>(
        loop_, c, PROJECT_VERSION, [this](int64_t now) { return exporter_->Collect(now); });
    if (!w->Prepare(err)) return false;
    (*out)[c.name] = std::move(w);
  }
  return true;
}

void App::CommitRemoteWrites(RemoteWriters* next) {
  for (auto& [name, w] : *next) {
    if (w == nullptr) {
      w = std::move(remote_writers_[name]);
      continue;
    }
    if (remote_writers_.count(name)) spdlog::info("reload: restarting remote_write {}", name);
    w->Start();
  }
  for (const auto& [name, w] : remote_writers_) {
    if (w != nullptr && !next->count(name)) spdlog::info("reload: stopping remote_write {}", name);
  }
  remote_writers_ = std::move(*next);  // the replaced and removed ones close here
}

void App::OnMeterChanged(Meter* meter) {
  const MeterConfig& c = meter->config();
  auto it = meters_.find(c.name);
  // A prepared meter of a reload that has not replaced the running one yet.
  if (it == meters_.end() || it->second.meter.get() != meter) return;
  Entry& entry = it->second;
  if (entry.pushed != meter->latest() && meter->latest() != nullptr) {
    entry.pushed = meter->latest();
    std::vector<prometheus::MetricFamily> families;
    for (auto& [name, w] : remote_writers_) {
      if (!w->config().on_telegram) continue;
      if (families.empty()) {
        families = CollectMeterMetrics({SnapshotOf(entry)}, entry.pushed->received_unix_ms);
      }
      w->Add(families, entry.pushed->received_unix_ms);
    }
  }
  if (!mqtt_) return;
  const MeterCounters& n = meter->counters();
  MeterUpdate u;
  u.name = c.name;
  u.min_interval = c.mqtt_min_interval.value_or(mqtt_->config().min_interval);
  u.latest = meter->latest();
  u.up = u.latest != nullptr && WallClockMs() - u.latest->received_unix_ms <= c.stale_after.count();
  u.crc_errors = n.crc_errors;
  u.rejected = n.crc_errors + n.crc_missing_errors + n.malformed_errors + n.parse_errors +
               n.overflow_errors + n.truncated_errors + n.decrypt_errors;
  mqtt_->OnMeterUpdate(u);
}

std::unique_ptr<MqttExporter> App::PrepareMqtt(const MqttConfig& c, std::string* err) {
  auto mqtt = std::make_unique<MqttExporter>(loop_, c, PROJECT_VERSION, Hostname());
  if (!mqtt->Prepare(err)) return nullptr;
  return mqtt;
}

void App::Shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  notifier_.Stopping();
  mdns_.reset();  // withdrawn while the ports still answer
  meters_.clear();
  send_batch_.reset();  // after the sessions that used it
  mqtt_.reset();  // "offline", then a clean disconnect
  remote_writers_.clear();  // what is still queued is lost (no spool yet)
  signals_.Reset();
  http_.reset();
  api_.reset();
  exporter_.reset();
}

void App::OnSignal(void* owner, int signum) {
  auto* self = static_cast<App*>(owner);
  if (signum == SIGHUP) {
    spdlog::info("SIGHUP: reloading {}", self->config_path_);
    self->notifier_.Reloading();
    std::string err;
    if (!self->Reload(&err)) spdlog::error("reload failed: {}", err);
    self->reload_error_ = err;
    self->notifier_.Ready();  // either config runs fully: the old or the new
    return;
  }
  spdlog::info("{}: shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
  self->Shutdown();
}

std::unique_ptr<HomeWizardServer> App::StartHomeWizard(const MeterConfig& mc, std::string* err) {
  auto hw = std::make_unique<HomeWizardServer>(
      loop_, HomeWizardServer::Identity{mc.name, PROJECT_VERSION, Hostname()},
      [this](const std::string& name) { return Latest(name); });
  sockaddr_storage addr{};
  int r = NumericSocketAddress(mc.homewizard->host, mc.homewizard->port, &addr);
  if (r == 0) r = hw->Listen(addr);
  if (r != 0) {
    *err = "meter " + mc.name + ": homewizard " + mc.homewizard->ToString() + ": " + uv_strerror(r);
    return nullptr;
  }
  spdlog::info("meter {}: HomeWizard P1 API on http://{}/api", mc.name, mc.homewizard->ToString());
  return hw;
}

void App::UpdateMdns() {
  if (!config_.mdns.enabled) {
    if (mdns_) spdlog::info("mdns: disabled; withdrawing every service");
    mdns_.reset();
    return;
  }
  MdnsPlanInput in;
  in.prefix = config_.mdns.name.empty() ? "p1gateway" : config_.mdns.name;
  in.host = Hostname();
  if (http_) {
    in.http_host = config_.metrics_listen.host;
    in.http_port = http_->port();
  }
  for (const auto& [name, entry] : meters_) {
    MdnsPlanInput::Meter m;
    m.name = name;
    if (entry.hub) {
      for (const auto& l : entry.hub->listeners()) {
        m.listeners.push_back({l->config().protocol, l->config().listen.host, l->BoundPort()});
      }
    }
    if (entry.homewizard && entry.homewizard_at) {
      m.homewizard_host = entry.homewizard_at->host;
      m.homewizard_port = entry.homewizard->port();
    }
    in.meters.push_back(std::move(m));
  }
  std::vector<MdnsService> services = PlanMdnsServices(in);
  if (mdns_ && mdns_->options().interfaces != config_.mdns.interfaces) {
    mdns_.reset();  // other interfaces: withdraw everything, start over
  }
  if (!mdns_) {
    mdns_ = std::make_unique<MdnsPublisher>(loop_, MdnsPublisher::Options{config_.mdns.interfaces});
    mdns_->SetServices(services);
    mdns_->Start();
    return;
  }
  mdns_->SetServices(services);
}

TelegramPtr App::Latest(const std::string& meter) const {
  auto it = meters_.find(meter);
  return it != meters_.end() && it->second.meter ? it->second.meter->latest() : nullptr;
}

void App::AddSinks(const std::string& name, Entry* entry) {
  entry->meter->AddSink(entry->hub.get());
  if (api_) entry->meter->AddSink(api_->SinkFor(name));
}

std::vector<MeterSnapshotPtr> App::Snapshots() const {
  std::vector<MeterSnapshotPtr> out;
  out.reserve(meters_.size());
  for (const auto& [name, entry] : meters_) {
    if (MeterSnapshotPtr s = SnapshotOf(entry)) out.push_back(std::move(s));
  }
  return out;
}

MeterSnapshotPtr App::SnapshotOf(const Entry& entry) const {
  if (!entry.meter) return nullptr;
  auto s = std::make_shared<MeterSnapshot>();
  const MeterConfig& c = entry.meter->config();
  s->name = c.name;
  s->labels = c.labels;
  switch (c.source) {
    case SourceKind::kSerial:
      s->source_kind = "serial";
      s->source_address = c.serial;
      break;
    case SourceKind::kTcp:
      s->source_kind = "tcp";
      s->source_address = c.tcp.ToString();
      break;
    case SourceKind::kSimulate:
      s->source_kind = "simulate";
      s->source_address = c.simulate;
      break;
  }
  s->latest = entry.meter->latest();
  s->stale_after_ms = c.stale_after.count();
  s->source_connected = entry.meter->connected();
  s->wrapped = c.wrapping != Wrapping::kNone;
  s->counters = entry.meter->counters();
  if (entry.hub) s->listeners = entry.hub->Stats();
  return s;
}

uint16_t App::metrics_port() const { return http_ ? http_->port() : 0; }

const Meter* App::meter(const std::string& name) const {
  auto it = meters_.find(name);
  return it == meters_.end() ? nullptr : it->second.meter.get();
}

const Hub* App::hub(const std::string& name) const {
  auto it = meters_.find(name);
  return it == meters_.end() ? nullptr : it->second.hub.get();
}

const RemoteWriter* App::remote_writer(const std::string& name) const {
  auto it = remote_writers_.find(name);
  return it == remote_writers_.end() ? nullptr : it->second.get();
}

std::string App::StatusLine() const {
  const int64_t now = WallClockMs();
  size_t up = 0;
  uint64_t clients = 0;
  for (const auto& [name, entry] : meters_) {
    if (!entry.meter) continue;
    if (MeterSnapshot::TelegramFresh(entry.meter->latest(),
                                     entry.meter->config().stale_after.count(), now)) {
      ++up;
    }
    if (entry.hub) {
      for (const ListenerStats& l : entry.hub->Stats()) clients += l.clients;
    }
  }
  std::string s = std::to_string(meters_.size()) + (meters_.size() == 1 ? " meter, " : " meters, ") +
                  std::to_string(up) + " up, " + std::to_string(clients) +
                  (clients == 1 ? " client" : " clients");
  if (!reload_error_.empty()) s += "; reload failed: " + reload_error_;
  return s;
}

std::string App::RenderMetrics() const {
  return http_ ? exporter_->Render(WallClockMs()) : std::string();
}

}  // namespace p1
