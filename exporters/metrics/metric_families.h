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
class FamilySet {
 public:
  // `meters`: how many meters the scrape covers, to size the families once.
  explicit FamilySet(size_t meters = 1);

  // Adds one sample: `base` labels (meter + static labels) then `extra`.
  void Add(Fam f, const Labels& base, std::initializer_list<Label> extra, double value);

  // The non-empty families; leaves the set empty.
  std::vector<prometheus::MetricFamily> Take();

 private:
  std::array<std::vector<prometheus::ClientMetric>, static_cast<size_t>(Fam::kCount)> samples_;
};

}  // namespace p1

#endif  // P1GW_EXPORTERS_METRICS_METRIC_FAMILIES_H_
