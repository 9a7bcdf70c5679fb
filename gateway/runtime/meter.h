// Meter: one P1 meter. Owns its source, framer and stale timer; turns bytes
// into shared Telegrams, counts everything, and hands telegrams to its sinks.
// *loop, *observer and every added sink must outlive the Meter.
#ifndef P1GW_GATEWAY_RUNTIME_METER_H_
#define P1GW_GATEWAY_RUNTIME_METER_H_

#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/core/framer.h"
#include "gateway/core/meter_counters.h"
#include "gateway/core/unwrap.h"
#include "gateway/core/telegram_sink.h"
#include "gateway/loop/uv_handle.h"
#include "gateway/runtime/source.h"
#include "gateway/runtime/trace_writer.h"
#include "gateway/zone/time_zone.h"

namespace p1 {

class Meter;

// Told after every frame and source state change, on the loop thread (a
// Meter may have none).
class MeterObserver {
 public:
  virtual ~MeterObserver() = default;
  virtual void OnMeterChanged(Meter* meter) = 0;
};

class Meter : public SourceListener {
 public:
  Meter(uv_loop_t* loop, MeterConfig config, MeterObserver* observer);
  ~Meter() override;

  // Prepare() then Run(). False with *err on a startup error; a source that
  // cannot open yet is not an error: it retries.
  bool Start(std::string* err);
  // Everything that can fail (trace file, stale timer, source creation)
  // without touching the device yet; a reload prepares every new meter
  // before it stops any old one.
  bool Prepare(std::string* err);
  // Starts reading the source.
  void Run();
  void AddSink(TelegramSink* sink) { sinks_.push_back(sink); }

  const MeterConfig& config() const { return config_; }
  const MeterCounters& counters() const { return counters_; }
  const TelegramPtr& latest() const { return latest_; }
  bool connected() const { return connected_; }
  std::string DescribeSource() const;

  // SourceListener (also driven directly by tests).
  void OnSourceData(std::string_view bytes) override;
  void OnSourceState(bool connected, std::string_view reason) override;
  void OnSourceSilent() override { ++counters_.silence_reconnects; }

 private:
  static void OnStale(uv_timer_t* timer);
  // preset = "auto": until a valid telegram arrives, each stale_after period
  // without one moves on to the next of kProbeSettings (115200 8N1, 9600
  // 7E1, 115200 7E1, 9600 8N1, then round again).
  void ToggleAutoSettings();
  void OnFrame(const Frame& frame);

  uv_loop_t* loop_;
  MeterConfig config_;
  MeterObserver* observer_;
  Framer framer_;
  StreamUnwrapper unwrapper_;  // wrapping = "rfxtrx" | "mbus"
  TimeZone zone_;              // timezone = "…"; invalid: CET/CEST
  std::unique_ptr<Source> source_;
  std::unique_ptr<TraceWriter> trace_;
  UvHandle<uv_timer_t> stale_;
  std::vector<TelegramSink*> sinks_;
  MeterCounters counters_;
  TelegramPtr latest_;
  bool connected_ = false;
  bool ever_connected_ = false;
  bool crc_required_ = true;  // false for variants without CRC until one arrives
  uint64_t encrypted_hints_seen_ = 0;
  bool auto_probing_ = false;
  SerialSettings auto_settings_;  // what preset = "auto" currently tries
};

}  // namespace p1

#endif  // P1GW_GATEWAY_RUNTIME_METER_H_
