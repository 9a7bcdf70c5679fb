#include "exporters/metrics/metric_families.h"

#include <charconv>
#include <cmath>
#include <utility>

namespace p1 {
namespace {

using prometheus::MetricType;
constexpr MetricType kC = MetricType::Counter;
constexpr MetricType kG = MetricType::Gauge;

// Indexed by Fam; order is the exposition order.
constexpr FamilySpec kSpecs[] = {
    {"dsmr_meter_info", kG,
     "Meter identity, value 1: equipment_id (0-0:96.1.1, else 0-0:96.1.0; hex decoded when printable), "
     "dsmr_version (1-3:0.2.8, else 0-0:96.1.4) and the identification header."},
    {"dsmr_meter_up", kG, "1 while a valid telegram arrived within the meter's stale_after, else 0."},
    {"dsmr_meter_last_telegram_timestamp_seconds", kG,
     "Gateway time the latest valid telegram was received, Unix seconds."},
    {"dsmr_meter_clock_timestamp_seconds", kG, "Meter clock in the latest telegram (0-0:1.0.0), Unix seconds."},
    {"dsmr_electricity_imported_joules_total", kC,
     "Active energy imported (1-0:1.8.0, else the sum of tariff registers 1-0:1.8.1..1.8.9)."},
    {"dsmr_electricity_exported_joules_total", kC,
     "Active energy exported (1-0:2.8.0, else the sum of tariff registers 1-0:2.8.1..2.8.9)."},
    {"dsmr_electricity_imported_tariff_joules_total", kC, "Active energy imported per tariff (1-0:1.8.1..1.8.9)."},
    {"dsmr_electricity_exported_tariff_joules_total", kC, "Active energy exported per tariff (1-0:2.8.1..2.8.9)."},
    {"dsmr_electricity_absolute_joules_total", kC, "Absolute active energy |+A|+|-A| (1-0:15.8.0)."},
    {"dsmr_power_imported_watts", kG, "Active power imported (1-0:1.7.0)."},
    {"dsmr_power_exported_watts", kG, "Active power exported (1-0:2.7.0)."},
    {"dsmr_phase_power_imported_watts", kG, "Active power imported per phase (1-0:21.7.0, 41.7.0, 61.7.0)."},
    {"dsmr_phase_power_exported_watts", kG, "Active power exported per phase (1-0:22.7.0, 42.7.0, 62.7.0)."},
    {"dsmr_phase_voltage_volts", kG, "Instantaneous voltage per phase (1-0:32.7.0, 52.7.0, 72.7.0)."},
    {"dsmr_phase_current_amperes", kG, "Instantaneous current per phase (1-0:31.7.0, 51.7.0, 71.7.0)."},
    {"dsmr_active_tariff", kG, "Tariff indicator (0-0:96.14.0)."},
    {"dsmr_power_failures_total", kC, "Power failures in any phase (0-0:96.7.21)."},
    {"dsmr_long_power_failures_total", kC, "Long power failures in any phase (0-0:96.7.9)."},
    {"dsmr_voltage_sags_total", kC, "Voltage sags per phase (1-0:32.32.0, 52.32.0, 72.32.0)."},
    {"dsmr_voltage_swells_total", kC, "Voltage swells per phase (1-0:32.36.0, 52.36.0, 72.36.0)."},
    {"dsmr_demand_current_average_watts", kG, "Current quarter-hour average demand (1-0:1.4.0)."},
    {"dsmr_demand_month_peak_watts", kG, "Peak quarter-hour demand of the running month (1-0:1.6.0)."},
    {"dsmr_demand_month_peak_timestamp_seconds", kG,
     "When the running month's peak demand occurred (1-0:1.6.0), Unix seconds."},
    {"dsmr_limiter_threshold_watts", kG, "Power limiter threshold (0-0:17.0.0)."},
    {"dsmr_phase_current_limit_amperes", kG, "Fuse supervision / current limit per phase (1-0:31.4.0, 51.4.0, 71.4.0)."},
    {"dsmr_breaker_state", kG, "Breaker state (0-0:96.3.10): 0 disconnected, 1 connected, 2 ready for connection."},
    {"dsmr_reactive_energy_imported_varhours_total", kC, "Reactive energy imported (1-0:3.8.0)."},
    {"dsmr_reactive_energy_exported_varhours_total", kC, "Reactive energy exported (1-0:4.8.0)."},
    {"dsmr_reactive_energy_imported_tariff_varhours_total", kC,
     "Reactive energy imported per tariff (1-0:3.8.1..3.8.9)."},
    {"dsmr_reactive_energy_exported_tariff_varhours_total", kC,
     "Reactive energy exported per tariff (1-0:4.8.1..4.8.9)."},
    {"dsmr_reactive_energy_quadrant_varhours_total", kC,
     "Reactive energy per quadrant Q1..Q4 (1-0:5.8.0, 6.8.0, 7.8.0, 8.8.0)."},
    {"dsmr_reactive_power_imported_vars", kG, "Reactive power imported (1-0:3.7.0)."},
    {"dsmr_reactive_power_exported_vars", kG, "Reactive power exported (1-0:4.7.0)."},
    {"dsmr_reactive_power_quadrant_vars", kG, "Reactive power per quadrant Q1..Q4 (1-0:5.7.0, 6.7.0, 7.7.0, 8.7.0)."},
    {"dsmr_phase_reactive_power_imported_vars", kG,
     "Reactive power imported per phase (1-0:23.7.0, 43.7.0, 63.7.0)."},
    {"dsmr_phase_reactive_power_exported_vars", kG,
     "Reactive power exported per phase (1-0:24.7.0, 44.7.0, 64.7.0)."},
    {"dsmr_power_factor", kG, "Power factor (1-0:13.7.0)."},
    {"dsmr_phase_power_factor", kG, "Power factor per phase (1-0:33.7.0, 53.7.0, 73.7.0)."},
    {"dsmr_frequency_hertz", kG, "Grid frequency (1-0:14.7.0)."},
    {"dsmr_mbus_device_info", kG,
     "M-Bus device on a channel, value 1 (0-n:24.1.0 device type, 0-n:96.1.0/96.1.1 equipment id)."},
    {"dsmr_gas_cubic_meters_total", kC, "Gas meter reading, device type 3 (0-n:24.2.1, 0-n:24.2.3, 0-n:24.3.0)."},
    {"dsmr_water_cubic_meters_total", kC, "Water meter reading, device type 6/7/21/22 (0-n:24.2.1)."},
    {"dsmr_heat_joules_total", kC, "Heat meter reading, device type 4/12 (0-n:24.2.1)."},
    {"dsmr_cooling_joules_total", kC, "Cooling meter reading, device type 10/11 (0-n:24.2.1)."},
    {"dsmr_mbus_reading_timestamp_seconds", kG,
     "Capture time of the M-Bus device's reading (0-n:24.2.x), Unix seconds."},
    {"p1gateway_telegrams_total", kC, "Valid telegrams received (CRC valid or absent)."},
    {"p1gateway_telegram_errors_total", kC,
     "Telegrams rejected or flagged, by reason: crc, crc_missing (a meter that sends CRCs sent "
     "none), malformed (line noise framed like a telegram), parse, overflow, truncated, decrypt, "
     "timeout (stale_after without a telegram)."},
    {"p1gateway_source_reconnects_total", kC, "Times the meter's source (serial port or TCP) was reopened."},
    {"p1gateway_source_connected", kG, "1 while the meter's source is open."},
    {"p1gateway_source_silences_total", kC,
     "Times a TCP source was closed and reconnected because it sent nothing for silence_timeout."},
    {"p1gateway_received_bytes_total", kC, "Bytes read from the meter's source."},
    {"p1gateway_source_foreign_packets_total", kC,
     "Packets of a wrapped source that carried no meter data, skipped: RFXtrx packets of other "
     "types (wrapping = \"rfxtrx\"); M-Bus frames of other kinds, with a bad checksum or of an "
     "incomplete APDU (wrapping = \"mbus\")."},
    {"p1gateway_clients", kG, "Clients connected to a proxy listener."},
    {"p1gateway_client_dropped_telegrams_total", kC, "Telegrams a slow client lost (its queue was full)."},
    {"p1gateway_client_dropped_chunks_total", kC,
     "Byte chunks a slow client lost in transparent (payload = bytes) mode."},
    {"p1gateway_client_rejected_total", kC,
     "Connections refused, by reason: max_clients, allow, fds (out of file descriptors)."},
    {"p1gateway_client_kicked_total", kC, "Clients disconnected by kick_old or because they were stuck."},
    {"p1gateway_client_disconnects_total", kC,
     "Client connections that ended from the client's side, by reason: closed (orderly close), "
     "error (reset, broken pipe or another socket error)."},
    {"p1gateway_client_port_requests_total", kC,
     "RFC 2217 requests to set port parameters (baud rate, data size, parity, stop bits, flow "
     "control, DTR/RTS/BREAK); port_settings = \"virtual\" accepts them per client, \"fixed\" "
     "refuses them."},
    {"p1gateway_client_sent_bytes_total", kC, "Bytes sent to a listener's clients."},
    {"p1gateway_mqtt_connected", kG, "1 while the MQTT broker connection is up."},
    {"p1gateway_mqtt_published_total", kC, "MQTT messages handed to the broker connection."},
    {"p1gateway_mqtt_dropped_total", kC,
     "MQTT state messages replaced by a newer one before they could be sent (broker slow or down)."},
    {"p1gateway_mqtt_reconnects_total", kC, "MQTT sessions established after the first."},
    {"p1gateway_mqtt_connect_failures_total", kC,
     "MQTT connection attempts that failed or were refused (bad address, TLS, credentials)."},
    {"p1gateway_mqtt_queued", kG,
     "MQTT messages waiting to be sent, at most one per topic (a newer message replaces an unsent "
     "one)."},
    {"p1gateway_remote_write_samples_sent_total", kC,
     "Samples a remote-write target accepted (2xx)."},
    {"p1gateway_remote_write_samples_failed_total", kC,
     "Samples in remote-write requests that failed with a retryable error (5xx, 429, network, "
     "timeout); they are sent again, so a sample can count more than once."},
    {"p1gateway_remote_write_samples_dropped_total", kC,
     "Samples given up, by reason: queue_full (the oldest went to make room), rejected (the "
     "target answered a 4xx other than 429)."},
    {"p1gateway_remote_write_pending_samples", kG,
     "Samples waiting for a remote-write target: queued plus the request being sent."},
    {"p1gateway_remote_write_last_success_timestamp_seconds", kG,
     "When a remote-write target last accepted a request (Unix time)."},
    {"p1gateway_remote_write_lag_seconds", kG,
     "Age of the oldest sample not yet accepted by a remote-write target; 0 when none waits."},
    {"p1gateway_build_info", kG, "Build of the gateway, value 1."},
};
static_assert(std::size(kSpecs) == static_cast<size_t>(Fam::kCount), "one spec per Fam");

}  // namespace

const FamilySpec& SpecOf(Fam f) { return kSpecs[static_cast<size_t>(f)]; }

namespace {

// A sample value as prometheus-cpp 1.0's TextSerializer writes it (an
// ostream at precision max_digits10 - 1, i.e. "%.16g"): "Nan", "+Inf",
// "-Inf", else the shortest "%.16g" text. to_chars is that, without the stream.
void AppendValue(std::string* out, double v) {
  if (std::isnan(v)) {
    out->append("Nan");
  } else if (std::isinf(v)) {
    out->append(v < 0 ? "-Inf" : "+Inf");
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 16);
    out->append(buf, r.ptr);
  }
}

void AppendEscaped(std::string* out, const std::string& value) {
  size_t start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\\' && c != '"' && c != '\n') continue;
    out->append(value, start, i - start);
    out->push_back('\\');
    out->push_back(c == '\n' ? 'n' : c);
    start = i + 1;
  }
  out->append(value, start, std::string::npos);
}

const char* TypeName(prometheus::MetricType t) {
  switch (t) {
    case prometheus::MetricType::Counter: return "counter";
    case prometheus::MetricType::Gauge: return "gauge";
    case prometheus::MetricType::Summary: return "summary";
    case prometheus::MetricType::Untyped: return "untyped";
    case prometheus::MetricType::Histogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

void AppendFamilyHeader(std::string* out, std::string_view name, std::string_view help,
                        prometheus::MetricType type) {
  if (!help.empty()) out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" ").append(TypeName(type)).append("\n");
}

void AppendSample(std::string* out, std::string_view name, const Label* labels, size_t count,
                  const Label* more, size_t more_count, double value, int64_t timestamp_ms) {
  out->append(name);
  char sep = '{';
  auto append = [&](const Label* l, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      out->push_back(sep);
      out->append(l[i].name).append("=\"");
      AppendEscaped(out, l[i].value);
      out->push_back('"');
      sep = ',';
    }
  };
  append(labels, count);
  append(more, more_count);
  if (sep == ',') out->push_back('}');
  out->push_back(' ');
  AppendValue(out, value);
  if (timestamp_ms != 0) out->append(" ").append(std::to_string(timestamp_ms));
  out->push_back('\n');
}

FamilySet::FamilySet(size_t meters, bool text, FamilyLines* lines)
    : text_(text), lines_(lines != nullptr ? *lines : own_lines_) {
  if (text_) {
    for (std::string& l : lines_) l.clear();  // capacity kept
    return;
  }
  // One series per meter is the common case; growing by moves of
  // ClientMetric (~250 bytes each) cost ~10% of a 500-meter scrape.
  for (auto& v : samples_) v.reserve(meters);
}

void FamilySet::Add(Fam f, const Labels& base, std::initializer_list<Label> extra, double value) {
  if (text_) {
    AppendSample(&lines_[static_cast<size_t>(f)], SpecOf(f).name, base.data(), base.size(),
                 extra.begin(), extra.size(), value, 0);
    return;
  }
  prometheus::ClientMetric& m = samples_[static_cast<size_t>(f)].emplace_back();
  m.label.reserve(base.size() + extra.size());
  m.label.insert(m.label.end(), base.begin(), base.end());
  m.label.insert(m.label.end(), extra.begin(), extra.end());
  if (SpecOf(f).type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
}

void FamilySet::TakeText(std::string* out) {
  size_t size = 0;
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (!lines_[i].empty()) size += 96 + std::char_traits<char>::length(kSpecs[i].help) + lines_[i].size();
  }
  out->clear();
  out->reserve(size);
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (lines_[i].empty()) continue;
    AppendFamilyHeader(out, kSpecs[i].name, kSpecs[i].help, kSpecs[i].type);
    out->append(lines_[i]);
    lines_[i].clear();
  }
}

std::vector<prometheus::MetricFamily> FamilySet::Take() {
  std::vector<prometheus::MetricFamily> out;
  for (size_t i = 0; i < samples_.size(); ++i) {
    if (samples_[i].empty()) continue;
    const FamilySpec& spec = kSpecs[i];
    prometheus::MetricFamily& fam = out.emplace_back();
    fam.name = spec.name;
    fam.help = spec.help;
    fam.type = spec.type;
    fam.metric = std::move(samples_[i]);
    samples_[i].clear();
  }
  return out;
}

}  // namespace p1
