// The label names the Prometheus exporter sets on meter series itself, or
// that Prometheus gives a meaning (job, instance, le, quantile). The one
// list: the exporter (exporters/metrics) drops a static meter label of such
// a name, and config/ refuses it with a one-line error, so it never reaches
// the exporter from a config file.
#ifndef P1GW_BASE_RESERVED_LABELS_H_
#define P1GW_BASE_RESERVED_LABELS_H_

#include <algorithm>
#include <array>
#include <string_view>

namespace p1 {

inline constexpr std::array<std::string_view, 16> kReservedLabels{
    "meter",  "phase",        "tariff",       "quadrant", "channel",  "device_type",
    "reason", "equipment_id", "dsmr_version", "header",   "listener", "version",
    "job",    "instance",     "le",           "quantile"};

constexpr bool IsReservedLabel(std::string_view name) {
  return std::find(kReservedLabels.begin(), kReservedLabels.end(), name) != kReservedLabels.end();
}

}  // namespace p1

#endif  // P1GW_BASE_RESERVED_LABELS_H_
