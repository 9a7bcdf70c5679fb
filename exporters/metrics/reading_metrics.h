// Maps one parsed Reading (the OBIS registers and M-Bus devices of a
// telegram) onto the dsmr_* metric families. Pure: no clock, no I/O.
#ifndef P1GW_EXPORTERS_METRICS_READING_METRICS_H_
#define P1GW_EXPORTERS_METRICS_READING_METRICS_H_

#include <string>
#include <string_view>

#include "exporters/metrics/metric_families.h"
#include "gateway/core/reading.h"

namespace p1 {

// Adds every series the reading supports, each labelled with `base` (meter
// and static labels) plus its own labels. Registers the meter does not send
// get no series; a register in a unit that does not fit its metric is
// skipped; a code repeated in one telegram counts once (the first).
void AppendReadingMetrics(const Reading& reading, const Labels& base, FamilySet* out);

// Meter-sent text for a label value: hex octet strings are decoded when the
// result is printable ASCII; anything outside printable ASCII becomes '?',
// so label values are always valid UTF-8.
std::string MeterText(std::string_view raw, bool try_hex);

}  // namespace p1

#endif  // P1GW_EXPORTERS_METRICS_READING_METRICS_H_
