// The exported metric families (names, types, HELP) in one table, and
// FamilySet, which collects samples for one scrape grouped by family in
// table order. Names are a public interface (see DESIGN.md, Metrics).
#ifndef P1GW_EXPORTERS_METRICS_METRIC_FAMILIES_H_
#define P1GW_EXPORTERS_METRICS_METRIC_FAMILIES_H_

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

namespace p1 {

enum class Fam : int {
  // Identity and health.
  kMeterInfo,
  kMeterUp,
  kLastTelegramTimestamp,
  kMeterClockTimestamp,
  // Active energy registers.
  kImportedTotal,
  kExportedTotal,
  kImportedTariff,
  kExportedTariff,
  kAbsoluteTotal,
  // Active power.
  kPowerImported,
  kPowerExported,
  kPhasePowerImported,
  kPhasePowerExported,
  kPhaseVoltage,
  kPhaseCurrent,
  kActiveTariff,
  kPowerFailures,
  kLongPowerFailures,
  kVoltageSags,
  kVoltageSwells,
  // Belgian capacity tariff, limits, breaker.
  kDemandCurrentAverage,
  kDemandMonthPeak,
  kDemandMonthPeakTimestamp,
  kLimiterThreshold,
  kPhaseCurrentLimit,
  kBreakerState,
  // Reactive energy and power, power quality.
  kReactiveImportedTotal,
  kReactiveExportedTotal,
  kReactiveImportedTariff,
  kReactiveExportedTariff,
  kReactiveQuadrantTotal,
  kReactivePowerImported,
  kReactivePowerExported,
  kReactivePowerQuadrant,
  kPhaseReactivePowerImported,
  kPhaseReactivePowerExported,
  kPowerFactor,
  kPhasePowerFactor,
  kFrequency,
  // M-Bus devices.
  kMbusDeviceInfo,
  kGas,
  kWater,
  kHeat,
  kCooling,
  kMbusReadingTimestamp,
  // Gateway counters.
  kTelegrams,
  kTelegramErrors,
  kSourceReconnects,
  kSourceConnected,
  kSourceSilences,
  kReceivedBytes,
  kSourceForeignPackets,
  kClients,
  kClientDropped,
  kClientDroppedChunks,
  kClientRejected,
  kClientKicked,
  kClientDisconnects,
  kClientPortRequests,
  kClientSentBytes,
  // MQTT publisher (present when [mqtt] is configured).
  kMqttConnected,
  kMqttPublished,
  kMqttDropped,
  kMqttReconnects,
  kMqttConnectFailures,
  kMqttQueued,
  // Remote-write targets ([[remote_write]]), labelled target.
  kRemoteWriteSent,
  kRemoteWriteFailed,
  kRemoteWriteDropped,
  kRemoteWritePending,
  kRemoteWriteLastSuccess,
  kRemoteWriteLag,
  kBuildInfo,
  kCount,
};

struct FamilySpec {
  const char* name;
  prometheus::MetricType type;
  const char* help;
};

const FamilySpec& SpecOf(Fam f);

using Label = prometheus::ClientMetric::Label;
using Labels = std::vector<Label>;

// Samples of one scrape. Each family is emitted once, in table order, and
// only when it has samples (an absent value has no series).
// Text mode: the families' line buffers, kept by the caller from one scrape
// to the next. Cleared, not freed: the next scrape writes into pages that
// are already resident (a page fault per 4 KiB written was a quarter of a
// 500-meter scrape) and never regrows them. Costs about one body of memory.
using FamilyLines = std::array<std::string, static_cast<size_t>(Fam::kCount)>;

class FamilySet {
 public:
  // `meters`: how many meters the scrape covers, to size the families once.
  // `text`: samples are written straight into exposition text (TakeText),
  // not kept as ClientMetrics (Take): a scrape of 500 meters then makes no
  // per-sample allocation.
  // `lines` (text mode, may be null): the buffers to write into.
  explicit FamilySet(size_t meters = 1, bool text = false, FamilyLines* lines = nullptr);
  FamilySet(const FamilySet&) = delete;  // lines_ may refer to own_lines_
  FamilySet& operator=(const FamilySet&) = delete;

  // Adds one sample: `base` labels (meter + static labels) then `extra`.
  void Add(Fam f, const Labels& base, std::initializer_list<Label> extra, double value);

  // The non-empty families; leaves the set empty. Not in text mode.
  std::vector<prometheus::MetricFamily> Take();
  // Text mode: the exposition (format 0.0.4) of the non-empty families,
  // byte for byte what SerializeMetrics(Take()) would give, written over
  // *out (its capacity kept).
  void TakeText(std::string* out);

 private:
  bool text_;
  std::array<std::vector<prometheus::ClientMetric>, static_cast<size_t>(Fam::kCount)> samples_;
  FamilyLines own_lines_;  // text mode without the caller's buffers
  FamilyLines& lines_;
};

// The exposition text pieces SerializeMetrics and the text mode share:
// "# HELP"/"# TYPE" lines, and one sample line (name{labels} value [ts]).
void AppendFamilyHeader(std::string* out, std::string_view name, std::string_view help,
                        prometheus::MetricType type);
void AppendSample(std::string* out, std::string_view name, const Label* labels, size_t count,
                  const Label* more, size_t more_count, double value, int64_t timestamp_ms);

}  // namespace p1

#endif  // P1GW_EXPORTERS_METRICS_METRIC_FAMILIES_H_
