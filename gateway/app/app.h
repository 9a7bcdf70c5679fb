// App: the running gateway. Owns the meters, their proxy hubs, the HTTP
// server and the Prometheus exporter on one libuv loop (one thread), and advertises them over
// mDNS when [mdns] is enabled; SIGINT/SIGTERM shut it down cleanly, SIGHUP reloads the config
// keeping unchanged meters untouched.
// *loop must outlive the App.
#ifndef P1GW_GATEWAY_APP_APP_H_
#define P1GW_GATEWAY_APP_APP_H_

#include <uv.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/app/service_notifier.h"
#include "gateway/core/meter_snapshot.h"
#include "gateway/loop/signal_watcher.h"
#include "gateway/loop/uv_handle.h"
#include "gateway/runtime/meter.h"

namespace p1 {

class ApiExporter;
class HomeWizardServer;
class Hub;
class HttpServer;
class MdnsPublisher;
class MqttExporter;
class PrometheusExporter;
class RemoteWriter;
class SendBatch;

class App : public MeterObserver {
 public:
  // `config_path` is re-read on SIGHUP; empty means the config cannot be
  // reloaded (the built-in demo).
  App(uv_loop_t* loop, std::string config_path, GatewayConfig config);
  ~App() override;

  // Binds every listener and the metrics port, starts every meter. False with
  // *err on a startup error (port in use, unopenable trace file).
  bool Start(std::string* err);
  // Re-reads config_path and applies it fully, or (bad file, a port in use,
  // an unwritable trace file) not at all: the running state stays. Meters
  // and listeners that did not change keep running with their clients.
  bool Reload(std::string* err);
  uint64_t reloads() const { return reloads_; }
  uint64_t reload_failures() const { return reload_failures_; }
  // Closes every handle; uv_run then returns once the closes complete.
  void Shutdown();

  uint16_t metrics_port() const;
  const Meter* meter(const std::string& name) const;
  const Hub* hub(const std::string& name) const;
  const RemoteWriter* remote_writer(const std::string& name) const;  // null: no such target
  std::string RenderMetrics() const;  // for tests
  // systemd's STATUS= line: "3 meters, 2 up, 14 clients", and the last
  // reload's error while it is the latest reload.
  std::string StatusLine() const;

  // MeterObserver: every frame and state change reaches the MQTT exporter.
  void OnMeterChanged(Meter* meter) override;

 private:
  struct Entry {
    std::unique_ptr<Hub> hub;                      // declared first: destroyed after the meter
    std::unique_ptr<Meter> meter;                  // holds a raw pointer to hub
    std::unique_ptr<HomeWizardServer> homewizard;  // the meter's HomeWizard API port, if any
    std::optional<SocketAddress> homewizard_at;    // where it listens
    TelegramPtr pushed;  // the last telegram pushed to on_telegram remote-write targets
  };
  using RemoteWriters = std::map<std::string, std::unique_ptr<RemoteWriter>>;
  static void OnSignal(void* owner, int signum);
  struct MeterPlan;
  bool StartMeter(const MeterConfig& config, Entry* out, std::string* err);
  // The proxy's send batch as [gateway] io_uring asks; false with *err.
  bool StartSendBatch(std::string* err);
  bool PrepareReload(const GatewayConfig& next, std::vector<MeterPlan>* plans,
                     std::unique_ptr<MqttExporter>* mqtt, std::string* err);
  // `mqtt`: a new MQTT exporter replacing the running one; none and
  // !mqtt_enabled: MQTT stops.
  void CommitReload(std::vector<MeterPlan>* plans, std::unique_ptr<MqttExporter> mqtt,
                    bool mqtt_enabled);
  // The remote-write targets of `next`: a target whose table and secret are
  // unchanged maps to null (it keeps running), others are new and prepared.
  bool PrepareRemoteWrites(const GatewayConfig& next, RemoteWriters* out, std::string* err);
  // Replaces the running targets with `next` (nulls keep theirs) and starts the new ones.
  void CommitRemoteWrites(RemoteWriters* next);
  // An MQTT exporter for `c`, prepared (password and TLS files read). Null with *err.
  std::unique_ptr<MqttExporter> PrepareMqtt(const MqttConfig& c, std::string* err);
  void AddSinks(const std::string& name, Entry* entry);
  // A HomeWizard API server for `mc`, bound. Null with *err when it cannot bind.
  std::unique_ptr<HomeWizardServer> StartHomeWizard(const MeterConfig& mc, std::string* err);
  // Starts, updates or stops the mDNS publisher for config_ and the ports
  // bound now.
  void UpdateMdns();
  TelegramPtr Latest(const std::string& meter) const;
  MeterSnapshotPtr SnapshotOf(const Entry& entry) const;  // null for an entry without a meter
  // Every meter's state now, by name: what a scrape renders.
  std::vector<MeterSnapshotPtr> Snapshots() const;

  uv_loop_t* loop_;
  std::string config_path_;
  GatewayConfig config_;
  std::unique_ptr<PrometheusExporter> exporter_;
  std::unique_ptr<ApiExporter> api_;  // before meters_: their sinks live here
  std::unique_ptr<HttpServer> http_;  // after the exporters: destroyed first
  std::unique_ptr<MqttExporter> mqtt_;  // told by the meters through OnMeterChanged
  std::unique_ptr<SendBatch> send_batch_;  // null: plain writes; outlives meters_' hubs
  RemoteWriters remote_writers_;        // by target name; they collect through exporter_
  std::map<std::string, Entry> meters_;
  std::unique_ptr<MdnsPublisher> mdns_;  // advertises ports of meters_ and http_
  SignalWatcher signals_;
  ServiceNotifier notifier_;
  std::string reload_error_;  // the last reload's error; empty after a good one
  bool shutting_down_ = false;
  uint64_t reloads_ = 0;
  uint64_t reload_failures_ = 0;
};

// Configures spdlog for stderr, level by name ("info", "debug"...; false for
// an unknown one). On the journal stream systemd connected: "<N>" priority
// prefixes and no timestamps (journald adds its own); under systemd
// otherwise: no timestamps; else timestamped lines.
bool SetupLogging(const std::string& level);

}  // namespace p1

#endif  // P1GW_GATEWAY_APP_APP_H_
