// DumpConfig and the equality operators used by SIGHUP reload.
// The dump is TOML that ParseConfig reads back to an equal config, except that
// decryption keys are printed as "<redacted>" (the dump is for humans and
// logs; a redacted key does not parse, deliberately).
#include <charconv>

#include "config/config.h"
#include "config/parse_util.h"

namespace p1 {
namespace {

std::string FormatRate(double hz) {
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, hz);
  std::string s(buf, ec == std::errc() ? ptr : buf);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";  // stay a TOML float
  return s;
}

// key = { a = "1", b = "2" }, nothing when empty.
void DumpLabels(const char* key, const std::map<std::string, std::string>& labels,
                std::string* out) {
  if (labels.empty()) return;
  std::string& o = *out;
  o += std::string(key) + " = {";
  bool first = true;
  for (const auto& [k, v] : labels) {
    o += (first ? " " : ", ") + k + " = " + TomlQuote(v);
    first = false;
  }
  o += " }\n";
}

void DumpListener(const ListenerConfig& l, std::string* out) {
  std::string& o = *out;
  o += "\n  [[meters.listeners]]\n";
  o += "  listen = " + TomlQuote(l.listen.ToString()) + "\n";
  o += "  protocol = " + TomlQuote(ProtocolName(l.protocol)) + "\n";
  o += "  max_clients = " + std::to_string(l.max_clients) + "\n";
  o += std::string("  kick_old = ") + (l.kick_old ? "true" : "false") + "\n";
  if (l.allow.empty()) {
    o += "  # allow: everyone\n";
  } else {
    o += "  allow = [";
    for (size_t i = 0; i < l.allow.size(); ++i) {
      o += (i ? ", " : "") + TomlQuote(l.allow[i].ToString());
    }
    o += "]\n";
  }
  o += "  payload = " + TomlQuote(PayloadName(l.payload)) + "\n";
  o += std::string("  replay_last = ") + (l.replay_last ? "true" : "false") + "\n";
  o += "  min_interval = " + TomlQuote(FormatDuration(l.min_interval)) + "\n";
  o += "  queue_bytes = " + std::to_string(l.queue_bytes) + "\n";
  o += "  stuck_timeout = " + TomlQuote(FormatDuration(l.stuck_timeout)) + "\n";
  if (l.protocol == ListenerProtocol::kRfc2217) {
    o += "  port_settings = " + TomlQuote(PortSettingsName(l.port_settings)) + "\n";
  }
}

void DumpMeter(const MeterConfig& m, std::string* out) {
  std::string& o = *out;
  o += "\n[[meters]]\n";
  o += "name = " + TomlQuote(m.name) + "\n";
  DumpLabels("labels", m.labels, out);
  switch (m.source) {
    case SourceKind::kSerial:
      o += "serial = " + TomlQuote(m.serial) + "\n";
      break;
    case SourceKind::kTcp:
      o += "tcp = " + TomlQuote(m.tcp.ToString()) + "\n";
      break;
    case SourceKind::kSimulate:
      o += "simulate = " + TomlQuote(m.simulate) + "\n";
      if (m.simulate_rate_hz > 0) o += "rate = " + FormatRate(m.simulate_rate_hz) + "\n";
      break;
  }
  o += "preset = " + TomlQuote(m.preset) + "\n";
  // Only what differs from the preset is written as an override, so the dump
  // stays valid for preset = "auto" (which refuses overrides).
  SerialSettings preset;
  PresetSerialSettings(m.preset, &preset);
  const SerialSettings& s = m.serial_settings;
  o += "# serial settings: " + SerialSettingsString(s) + (s == preset ? " (preset)" : "") + "\n";
  if (s.baud != preset.baud) o += "baud = " + std::to_string(s.baud) + "\n";
  if (s.data_bits != preset.data_bits) o += "data_bits = " + std::to_string(s.data_bits) + "\n";
  if (s.parity != preset.parity) o += "parity = " + TomlQuote(ParityName(s.parity)) + "\n";
  if (s.stop_bits != preset.stop_bits) o += "stop_bits = " + std::to_string(s.stop_bits) + "\n";
  if (m.key) o += "key = \"<redacted>\"\n";
  if (m.aad_key) o += "aad_key = \"<redacted>\"\n";
  o += "stale_after = " + TomlQuote(FormatDuration(m.stale_after)) + "\n";
  if (m.source == SourceKind::kTcp) {
    o += "silence_timeout = " + TomlQuote(FormatDuration(m.silence_timeout)) + "\n";
  }
  if (m.source != SourceKind::kSimulate && m.wrapping != DefaultWrapping(m.preset)) {
    o += "wrapping = " + TomlQuote(WrappingName(m.wrapping)) + "\n";
  }
  // Shown when it is not what the preset implies ("" after preset = "ie" too).
  if (m.timezone != DefaultTimezone(m.preset)) {
    o += "timezone = " + TomlQuote(m.timezone) + "\n";
  }
  o += "max_telegram_bytes = " + std::to_string(m.max_telegram_bytes) + "\n";
  if (!m.trace_file.empty()) o += "trace_file = " + TomlQuote(m.trace_file) + "\n";
  if (m.homewizard) o += "homewizard = " + TomlQuote(m.homewizard->ToString()) + "\n";
  if (m.mqtt_min_interval) {
    o += "mqtt_min_interval = " + TomlQuote(FormatDuration(*m.mqtt_min_interval)) + "\n";
  }
  for (const ListenerConfig& l : m.listeners) DumpListener(l, out);
}

std::string_view Bool(bool b) { return b ? "true" : "false"; }

void DumpMqtt(const MqttConfig& m, std::string* out) {
  std::string& o = *out;
  const bool v6 = m.host.find(':') != std::string::npos;
  o += "\n[mqtt]\n";
  o += "broker = " +
       TomlQuote(std::string(m.tls ? "mqtts://" : "mqtt://") + (v6 ? "[" : "") + m.host +
                 (v6 ? "]" : "") + ":" + std::to_string(m.port)) +
       "\n";
  auto text = [&](const char* key, const std::string& v) {
    if (!v.empty()) o += std::string(key) + " = " + TomlQuote(v) + "\n";
  };
  text("username", m.username);
  text("password_file", m.password_file);  // a path: the password stays in its file
  text("tls_ca", m.tls_ca);
  text("tls_cert", m.tls_cert);
  text("tls_key", m.tls_key);
  text("client_id", m.client_id);
  o += "keepalive = " + TomlQuote(FormatDuration(m.keepalive)) + "\n";
  o += std::string("protocol = ") + (m.protocol == 5 ? "\"5\"" : "\"3.1.1\"") + "\n";
  o += "topic_prefix = " + TomlQuote(m.topic_prefix) + "\n";
  o += "discovery = " + std::string(Bool(m.discovery)) + "\n";
  o += "discovery_prefix = " + TomlQuote(m.discovery_prefix) + "\n";
  o += "min_interval = " + TomlQuote(FormatDuration(m.min_interval)) + "\n";
  o += "retain_state = " + std::string(Bool(m.retain_state)) + "\n";
  o += "qos = " + std::to_string(m.qos) + "\n";
  o += "dsmr_reader_topics = " + std::string(Bool(m.dsmr_reader_topics)) + "\n";
  text("dsmr_reader_meter", m.dsmr_reader_meter);
  o += "raw_telegram = " + std::string(Bool(m.raw_telegram)) + "\n";
}

void DumpRemoteWrite(const RemoteWriteConfig& r, std::string* out) {
  std::string& o = *out;
  o += "\n[[remote_write]]\n";
  o += "url = " + TomlQuote(r.url) + "\n";
  o += "name = " + TomlQuote(r.name) + "\n";
  o += "interval = " + TomlQuote(FormatDuration(r.interval)) + "\n";
  o += "on_telegram = " + std::string(Bool(r.on_telegram)) + "\n";
  DumpLabels("external_labels", r.external_labels, out);
  // Paths only: the secrets stay in their files.
  if (!r.basic_auth_user.empty()) {
    o += "basic_auth_user = " + TomlQuote(r.basic_auth_user) + "\n";
    o += "basic_auth_password_file = " + TomlQuote(r.basic_auth_password_file) + "\n";
  }
  if (!r.bearer_token_file.empty()) {
    o += "bearer_token_file = " + TomlQuote(r.bearer_token_file) + "\n";
  }
  if (!r.tls_ca_file.empty()) o += "tls_ca_file = " + TomlQuote(r.tls_ca_file) + "\n";
  if (r.tls_insecure_skip_verify) o += "tls_insecure_skip_verify = true\n";
  o += "timeout = " + TomlQuote(FormatDuration(r.timeout)) + "\n";
  o += "queue_samples = " + std::to_string(r.queue_samples) + "\n";
  o += "max_samples_per_send = " + std::to_string(r.max_samples_per_send) + "\n";
}

}  // namespace

bool ListenerConfig::operator==(const ListenerConfig&) const = default;
bool MeterConfig::operator==(const MeterConfig&) const = default;

std::string DumpConfig(const GatewayConfig& config) {
  std::string o = "# effective p1gateway configuration\n\n[gateway]\n";
  o += "log_level = " + TomlQuote(config.log_level) + "\n";
  o += "io_uring = " + TomlQuote(std::string(IoUringModeName(config.io_uring))) + "\n\n[http]\n";
  o += "listen = " +
       TomlQuote(config.metrics_enabled ? config.metrics_listen.ToString() : std::string()) +
       (config.metrics_enabled ? "\n" : "  # disabled\n");
  if (!config.cors.empty()) {
    o += "cors = [";
    for (size_t i = 0; i < config.cors.size(); ++i)
      o += (i ? ", " : "") + TomlQuote(config.cors[i]);
    o += "]\n";
  }
  if (config.mqtt.enabled) DumpMqtt(config.mqtt, &o);
  if (!(config.mdns == MdnsConfig{})) {
    o += "\n[mdns]\nenabled = " + std::string(config.mdns.enabled ? "true" : "false") + "\n";
    if (!config.mdns.name.empty()) o += "name = " + TomlQuote(config.mdns.name) + "\n";
    if (!config.mdns.interfaces.empty()) {
      o += "interfaces = [";
      for (size_t i = 0; i < config.mdns.interfaces.size(); ++i)
        o += (i ? ", " : "") + TomlQuote(config.mdns.interfaces[i]);
      o += "]\n";
    }
  }
  for (const RemoteWriteConfig& r : config.remote_write) DumpRemoteWrite(r, &o);
  for (const MeterConfig& m : config.meters) DumpMeter(m, &o);
  return o;
}

}  // namespace p1
