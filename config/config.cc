// TOML -> GatewayConfig. toml++ exceptions are caught here and never escape;
// every error is one line "FILE:LINE:COLUMN: message" pointing at the key or
// value at fault (or the enclosing table when something is missing).
#include "config/config.h"

#include <toml++/toml.h>

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <memory>

#include "gateway/base/hex.h"
#include "gateway/base/reserved_labels.h"
#include "config/config_checks.h"
#include "gateway/zone/time_zone.h"
#include "config/parse_util.h"

namespace p1 {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;
constexpr size_t kMaxIncludedFiles = 4096;  // meters_dir files

// Messages echo values from the file; the contract is one printable line.
std::string OneLine(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != 0x7F) {
      out.push_back(ch);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += "\\x";
      AppendHexByte(&out, c);
    }
  }
  return out;
}

// "key" or "aad_key" when line `line` (1-based) of `text` assigns one of
// them, else empty.
std::string_view KeyNameOnLine(std::string_view text, uint32_t line) {
  size_t pos = 0;
  for (uint32_t i = 1; i < line && pos != std::string_view::npos; ++i) {
    pos = text.find('\n', pos);
    if (pos != std::string_view::npos) ++pos;
  }
  if (pos == std::string_view::npos || pos > text.size()) return {};
  std::string_view l = text.substr(pos, text.find('\n', pos) - pos);
  while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
  for (std::string_view name : {"aad_key", "key"}) {
    if (l.substr(0, name.size()) != name) continue;
    std::string_view rest = l.substr(name.size());
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    if (!rest.empty() && rest.front() == '=') return name;
  }
  return {};
}

// Replaces every run of 8 or more hex digits (a key, or most of one) with
// "<redacted>": no error text may carry key material.
std::string RedactHexRuns(std::string_view in) {
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    size_t j = i;
    while (j < in.size() && IsHexDigit(in[j])) ++j;
    if (j - i >= 8) {
      out += "<redacted>";
    } else {
      out.append(in.substr(i, j - i));
    }
    if (j < in.size()) out.push_back(in[j]);
    i = j + 1;
  }
  return out;
}

class ConfigReader {
 public:
  ConfigReader(std::string_view source, std::string* err) : source_(source), err_(err) {}

  bool Read(const toml::table& root, GatewayConfig* out);

 private:
  bool Fail(const toml::source_region& where, const std::string& message) {
    *err_ = Location(where.path ? std::string_view(*where.path) : source_, where.begin.line,
                     where.begin.column) +
            OneLine(message);
    return false;
  }
  // Where a node is, naming its file when that is an included one.
  Position PosOf(const toml::source_region& where) const {
    Position p{where.begin.line, where.begin.column, {}};
    if (where.path && *where.path != source_) p.file = *where.path;
    return p;
  }

  bool CheckKeys(const toml::table& t, std::initializer_list<std::string_view> allowed,
                 std::string_view where);
  bool GetTable(const toml::table& t, std::string_view key, const toml::table** out);
  bool GetString(const toml::table& t, std::string_view key, std::string* out,
                 bool* present = nullptr);
  bool GetBool(const toml::table& t, std::string_view key, bool* out);
  template <typename T>
  bool GetInt(const toml::table& t, std::string_view key, int64_t min, int64_t max, T* out);
  // Reads a string and hands it to parse(text, &why); on failure the error
  // is "'key'" + why at the value.
  template <typename Parse>
  bool GetParsed(const toml::table& t, std::string_view key, Parse parse);
  bool GetDuration(const toml::table& t, std::string_view key, bool allow_zero, Millis* out);
  bool GetAddress(const toml::table& t, std::string_view key, bool numeric, SocketAddress* out);
  bool GetKey(const toml::table& t, std::string_view key, std::optional<AesKey>* out);

  bool ReadMeters(const toml::table& root, GatewayConfig* config);
  bool ReadMeter(const toml::table& t, MeterConfig* m);
  bool ReadMqtt(const toml::table& t, MqttConfig* m);
  bool ReadMdns(const toml::table& t, MdnsConfig* m);
  bool ReadRemoteWrites(const toml::table& root, std::vector<RemoteWriteConfig>* out);
  bool ReadRemoteWrite(const toml::table& t, RemoteWriteConfig* r);
  bool ReadCors(const toml::table& t, std::vector<std::string>* out);
  bool ReadSource(const toml::table& t, MeterConfig* m);
  bool ReadSerialSettings(const toml::table& t, MeterConfig* m);
  bool ReadLabels(const toml::table& t, MeterConfig* m);
  // A table of label = "value" (names valid and not reserved) into *out.
  bool ReadLabelTable(const toml::table& t, std::string_view key,
                      std::map<std::string, std::string>* out);
  bool ReadListener(const toml::table& t, ListenerConfig* l);

  std::string_view source_;
  std::string* err_;
  AddressChecker addresses_;
};

bool ConfigReader::CheckKeys(const toml::table& t, std::initializer_list<std::string_view> allowed,
                             std::string_view where) {
  for (const auto& [key, value] : t) {
    bool known = false;
    for (std::string_view a : allowed) known = known || key.str() == a;
    if (!known) {
      return Fail(key.source(),
                  "unknown key '" + std::string(key.str()) + "' " + std::string(where));
    }
  }
  return true;
}

bool ConfigReader::GetTable(const toml::table& t, std::string_view key, const toml::table** out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return true;
  if (!n->is_table()) return Fail(n->source(), "'" + std::string(key) + "' must be a table");
  *out = n->as_table();
  return true;
}

bool ConfigReader::GetString(const toml::table& t, std::string_view key, std::string* out,
                             bool* present) {
  const toml::node* n = t.get(key);
  if (present != nullptr) *present = n != nullptr;
  if (n == nullptr) return true;
  if (!n->is_string()) return Fail(n->source(), "'" + std::string(key) + "' must be a string");
  *out = n->as_string()->get();
  return true;
}

bool ConfigReader::GetBool(const toml::table& t, std::string_view key, bool* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return true;
  if (!n->is_boolean()) {
    return Fail(n->source(), "'" + std::string(key) + "' must be true or false");
  }
  *out = n->as_boolean()->get();
  return true;
}

template <typename T>
bool ConfigReader::GetInt(const toml::table& t, std::string_view key, int64_t min, int64_t max,
                          T* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return true;
  if (!n->is_integer()) return Fail(n->source(), "'" + std::string(key) + "' must be an integer");
  int64_t v = n->as_integer()->get();
  if (v < min || v > max) {
    return Fail(n->source(), "'" + std::string(key) + "' = " + std::to_string(v) +
                                 " is out of range " + std::to_string(min) + ".." +
                                 std::to_string(max));
  }
  *out = static_cast<T>(v);
  return true;
}

template <typename Parse>
bool ConfigReader::GetParsed(const toml::table& t, std::string_view key, Parse parse) {
  std::string text;
  bool present = false;
  if (!GetString(t, key, &text, &present)) return false;
  std::string why;
  if (present && !parse(text, &why)) {
    return Fail(t.get(key)->source(), "'" + std::string(key) + "'" + why);
  }
  return true;
}

bool ConfigReader::GetDuration(const toml::table& t, std::string_view key, bool allow_zero,
                               Millis* out) {
  return GetParsed(t, key, [&](const std::string& text, std::string* why) {
    if (!ParseDuration(text, out)) {
      *why = ": bad duration '" + text + "' (use e.g. \"250ms\", \"30s\", \"5m\")";
      return false;
    }
    if (!allow_zero && out->count() == 0) {
      *why = " must be greater than zero";
      return false;
    }
    return true;
  });
}

bool ConfigReader::GetAddress(const toml::table& t, std::string_view key, bool numeric,
                              SocketAddress* out) {
  return GetParsed(t, key, [&](const std::string& text, std::string* why) {
    bool ok = ParseSocketAddress(text, numeric, out, why);
    *why = ": " + *why;
    return ok;
  });
}

bool ConfigReader::GetKey(const toml::table& t, std::string_view key, std::optional<AesKey>* out) {
  return GetParsed(t, key, [&](const std::string& text, std::string* why) {
    *out = ParseAesKey(text);
    if (!*out) *why = " must be exactly 32 hex digits";
    return out->has_value();
  });
}

bool ConfigReader::Read(const toml::table& root, GatewayConfig* out) {
  GatewayConfig config;
  if (!CheckKeys(root, {"gateway", "http", "metrics", "mqtt", "mdns", "remote_write", "meters"},
                 "at the top level")) {
    return false;
  }
  const toml::table* gateway = nullptr;
  const toml::table* http = nullptr;
  const toml::table* metrics = nullptr;
  if (!GetTable(root, "gateway", &gateway) || !GetTable(root, "http", &http) ||
      !GetTable(root, "metrics", &metrics)) {
    return false;
  }
  if (gateway != nullptr) {
    std::string io_uring(IoUringModeName(config.io_uring));
    if (!CheckKeys(*gateway, {"log_level", "io_uring"}, "in [gateway]") ||
        !GetString(*gateway, "log_level", &config.log_level) ||
        !GetString(*gateway, "io_uring", &io_uring)) {
      return false;
    }
    if (!ParseIoUringMode(io_uring, &config.io_uring)) {
      return Fail(gateway->get("io_uring")->source(),
                  "unknown io_uring '" + io_uring + "' (auto | on | off)");
    }
    if (!IsLogLevel(config.log_level)) {
      return Fail(
          gateway->get("log_level")->source(),
          "unknown log_level '" + config.log_level + "' (trace | debug | info | warn | error)");
    }
  }
  if (http != nullptr && !CheckKeys(*http, {"listen", "cors"}, "in [http]")) return false;
  if (metrics != nullptr && !CheckKeys(*metrics, {"listen"}, "in [metrics]")) return false;
  // [metrics] listen is the older name of [http] listen: one of them.
  const toml::table* server = metrics;
  const char* what = "[metrics] listen";
  if (http != nullptr && http->get("listen") != nullptr) {
    if (metrics != nullptr && metrics->get("listen") != nullptr) {
      return Fail(metrics->get("listen")->source(),
                  "set the listen address in [http] only ([metrics] listen is its older name)");
    }
    server = http;
    what = "[http] listen";
  }
  if (server != nullptr) {
    std::string listen;
    bool present = false;
    if (!GetString(*server, "listen", &listen, &present)) return false;
    if (present && listen.empty()) {
      config.metrics_enabled = false;
    } else if (!GetAddress(*server, "listen", true, &config.metrics_listen)) {
      return false;
    }
  }
  if (config.metrics_enabled) {
    const toml::node* n = server != nullptr ? server->get("listen") : nullptr;
    Position pos = n != nullptr ? PosOf(n->source()) : Position{};
    addresses_.Add(config.metrics_listen, what, pos);
  }
  if (http != nullptr && !ReadCors(*http, &config.cors)) return false;
  const toml::table* mqtt = nullptr;
  if (!GetTable(root, "mqtt", &mqtt)) return false;
  if (mqtt != nullptr && !ReadMqtt(*mqtt, &config.mqtt)) return false;
  const toml::table* mdns = nullptr;
  if (!GetTable(root, "mdns", &mdns)) return false;
  if (mdns != nullptr && !ReadMdns(*mdns, &config.mdns)) return false;
  if (!ReadRemoteWrites(root, &config.remote_write)) return false;

  if (!ReadMeters(root, &config)) return false;
  if (config.mqtt.dsmr_reader_topics && config.mqtt.dsmr_reader_meter.empty() &&
      !config.meters.empty()) {
    config.mqtt.dsmr_reader_meter = config.meters.front().name;  // DSMR-reader knows one meter
  }
  if (mqtt != nullptr && !config.mqtt.dsmr_reader_meter.empty() &&
      std::none_of(config.meters.begin(), config.meters.end(), [&](const MeterConfig& m) {
        return m.name == config.mqtt.dsmr_reader_meter;
      })) {
    return Fail(mqtt->get("dsmr_reader_meter")->source(),
                "dsmr_reader_meter '" + config.mqtt.dsmr_reader_meter + "' names no meter");
  }
  *out = std::move(config);
  return true;
}

// Origins as a browser sends them: "*", or scheme://host[:port] without a
// path ("http://homeassistant.local:8123").
// Without [[meters]] (the packaged default config) the gateway serves only
// its own health until a meter is added and the service reloaded; that is
// refused only when nothing at all would be served.
bool ConfigReader::ReadMeters(const toml::table& root, GatewayConfig* config) {
  const toml::node* meters = root.get("meters");
  if (meters == nullptr) {
    if (config->metrics_enabled || config->mqtt.enabled || !config->remote_write.empty()) {
      return true;
    }
    return Fail(root.source(), "no [[meters]] defined and HTTP disabled: nothing to serve");
  }
  if (!meters->is_array_of_tables()) {
    return Fail(meters->source(), "'meters' must be an array of tables ([[meters]])");
  }
  std::map<std::string, Position> names;
  for (const toml::node& n : *meters->as_array()) {
    MeterConfig m;
    if (!ReadMeter(*n.as_table(), &m)) return false;
    const toml::source_region& where = n.as_table()->get("name")->source();
    Position pos = PosOf(where);
    auto [it, inserted] = names.emplace(m.name, pos);
    if (!inserted) {
      return Fail(where, "duplicate meter name '" + m.name + "' (first at " +
                             it->second.Describe() + ")");
    }
    config->meters.push_back(std::move(m));
  }
  return true;
}

bool ConfigReader::ReadCors(const toml::table& t, std::vector<std::string>* out) {
  const toml::node* cors = t.get("cors");
  if (cors == nullptr) return true;
  if (!cors->is_array()) return Fail(cors->source(), "'cors' must be an array of origins");
  for (const toml::node& entry : *cors->as_array()) {
    if (!entry.is_string()) return Fail(entry.source(), "'cors' entries must be strings");
    const std::string& origin = entry.as_string()->get();
    const size_t scheme = origin.find("://");
    const bool ok =
        origin == "*" ||
        ((origin.rfind("http://", 0) == 0 || origin.rfind("https://", 0) == 0) &&
         origin.size() > scheme + 3 && origin.find('/', scheme + 3) == std::string::npos &&
         origin.find_first_of(" \t\r\n,") == std::string::npos);
    if (!ok) {
      return Fail(entry.source(),
                  "bad CORS origin '" + origin +
                      "' (\"*\" or scheme://host[:port], e.g. \"http://192.168.1.10:8123\")");
    }
    out->push_back(origin);
  }
  return true;
}

bool ConfigReader::ReadMeter(const toml::table& t, MeterConfig* m) {
  if (!CheckKeys(t,
                 {"name", "labels", "serial", "tcp", "simulate", "rate", "preset", "baud",
                  "data_bits", "parity", "stop_bits", "key", "aad_key", "stale_after",
                  "silence_timeout", "wrapping", "timezone", "max_telegram_bytes", "trace_file", "listeners",
                  "homewizard",
                  "mqtt_min_interval"},
                 "in [[meters]]")) {
    return false;
  }
  bool has_name = false;
  if (!GetString(t, "name", &m->name, &has_name)) return false;
  if (!has_name) return Fail(t.source(), "meter without 'name'");
  if (!IsValidMeterName(m->name)) {
    return Fail(t.get("name")->source(),
                "bad meter name '" + m->name + "': use 1-64 characters [a-z0-9_-]");
  }
  if (!ReadLabels(t, m) || !ReadSource(t, m) || !ReadSerialSettings(t, m) ||
      !GetKey(t, "key", &m->key) || !GetKey(t, "aad_key", &m->aad_key) ||
      !GetDuration(t, "stale_after", false, &m->stale_after) ||
      !GetInt(t, "max_telegram_bytes", 1024, 1 << 20, &m->max_telegram_bytes)) {
    return false;
  }
  m->silence_timeout = 2 * m->stale_after;
  if (const toml::node* n = t.get("silence_timeout")) {
    if (m->source != SourceKind::kTcp) {
      return Fail(n->source(), "'silence_timeout' applies only to tcp meters");
    }
    if (!GetDuration(t, "silence_timeout", true, &m->silence_timeout)) return false;
  }
  // A simulated meter sends as its variant does, whatever preset it reports.
  m->wrapping = DefaultWrapping(m->source == SourceKind::kSimulate ? m->simulate : m->preset);
  if (const toml::node* n = t.get("wrapping")) {
    std::string w;
    if (!GetString(t, "wrapping", &w)) return false;
    if (!ParseWrapping(w, &m->wrapping)) {
      return Fail(n->source(), "unknown wrapping '" + w + "' (none | rfxtrx | mbus)");
    }
    // A simulated meter sends as its variant does: only that value is accepted.
    if (m->source == SourceKind::kSimulate && m->wrapping != DefaultWrapping(m->simulate)) {
      return Fail(n->source(), "'wrapping' applies only to serial and tcp meters");
    }
  }
  if (m->source == SourceKind::kSimulate && m->simulate == "at-mbus" && !m->key) {
    return Fail(t.source(), "meter '" + m->name +
                                "': simulate = \"at-mbus\" needs a key (its M-Bus frames are "
                                "always encrypted)");
  }
  m->timezone = DefaultTimezone(m->preset);
  if (!GetString(t, "timezone", &m->timezone)) return false;
  if (!m->timezone.empty()) {
    TimeZone zone;
    std::string err;
    if (!TimeZone::Find(m->timezone, &zone, &err)) {
      const toml::node* n = t.get("timezone");
      return Fail(n != nullptr ? n->source() : t.get("preset")->source(), err);
    }
  }
  bool has_trace = false;
  if (!GetString(t, "trace_file", &m->trace_file, &has_trace)) return false;
  if (has_trace && m->trace_file.empty()) {
    return Fail(t.get("trace_file")->source(), "'trace_file' must not be empty");
  }
  if (const toml::node* n = t.get("homewizard")) {
    SocketAddress hw;
    if (!GetAddress(t, "homewizard", true, &hw)) return false;
    std::string clash;
    if (!addresses_.Add(hw, "meter '" + m->name + "' homewizard",
                        PosOf(n->source()), &clash)) {
      return Fail(n->source(), clash);
    }
    m->homewizard = hw;
  }
  if (t.get("mqtt_min_interval") != nullptr) {
    Millis interval{0};
    if (!GetDuration(t, "mqtt_min_interval", true, &interval)) return false;
    m->mqtt_min_interval = interval;
  }
  const toml::node* listeners = t.get("listeners");
  if (listeners == nullptr) return true;
  if (!listeners->is_array_of_tables()) {
    return Fail(listeners->source(),
                "'listeners' must be an array of tables ([[meters.listeners]])");
  }
  for (const toml::node& n : *listeners->as_array()) {
    ListenerConfig l;
    if (!ReadListener(*n.as_table(), &l)) return false;
    if (l.queue_bytes < m->max_telegram_bytes) {
      const toml::node* q = n.as_table()->get("queue_bytes");
      return Fail(q != nullptr ? q->source() : n.source(),
                  "queue_bytes " + std::to_string(l.queue_bytes) +
                      " is smaller than the meter's max_telegram_bytes " +
                      std::to_string(m->max_telegram_bytes) +
                      ": a full telegram could never be queued");
    }
    const toml::source_region& where = n.as_table()->get("listen")->source();
    std::string clash;
    if (!addresses_.Add(l.listen, "meter '" + m->name + "'",
                        PosOf(where), &clash)) {
      return Fail(where, clash);
    }
    m->listeners.push_back(std::move(l));
  }
  return true;
}

namespace {

// MQTT topic levels we build on: no wildcards, no empty levels, no NUL.
bool IsTopicPrefix(const std::string& s) {
  if (s.empty() || s.size() > 128 || s.front() == '/' || s.back() == '/') return false;
  if (s.find("//") != std::string::npos) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '+' || c == '#' || u < 0x20 || u == 0x7F) return false;
  }
  return true;
}

}  // namespace

bool ConfigReader::ReadMqtt(const toml::table& t, MqttConfig* m) {
  if (!CheckKeys(t,
                 {"broker", "username", "password_file", "tls_ca", "tls_cert", "tls_key",
                  "client_id", "keepalive", "protocol", "topic_prefix", "discovery",
                  "discovery_prefix", "min_interval", "retain_state", "qos", "dsmr_reader_topics",
                  "dsmr_reader_meter", "raw_telegram"},
                 "in [mqtt]")) {
    return false;
  }
  m->enabled = true;
  const toml::node* broker = t.get("broker");
  if (broker == nullptr) return Fail(t.source(), "[mqtt] needs 'broker' (e.g. \"mqtt://host:1883\")");
  if (!GetParsed(t, "broker", [&](const std::string& text, std::string* why) {
        std::string_view rest = text;
        if (rest.rfind("mqtt://", 0) == 0) {
          rest.remove_prefix(7);
        } else if (rest.rfind("mqtts://", 0) == 0) {
          rest.remove_prefix(8);
          m->tls = true;
          m->port = 8883;
        } else {
          *why = ": use mqtt://host[:port] or mqtts://host[:port]";
          return false;
        }
        if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
        const bool has_port = !rest.empty() && rest.front() == '['
                                  ? rest.find("]:") != std::string_view::npos
                                  : rest.find(':') != std::string_view::npos;
        SocketAddress a;
        std::string inner = std::string(rest) + (has_port ? "" : ":" + std::to_string(m->port));
        if (rest.empty() || rest.front() == ':' || !ParseSocketAddress(inner, false, &a, why)) {
          *why = ": bad broker '" + text + "' (use mqtt://host[:port] or mqtts://host[:port])";
          return false;
        }
        m->host = a.host;
        m->port = a.port;
        return true;
      })) {
    return false;
  }
  if (!GetString(t, "username", &m->username) ||
      !GetString(t, "password_file", &m->password_file) || !GetString(t, "tls_ca", &m->tls_ca) ||
      !GetString(t, "tls_cert", &m->tls_cert) || !GetString(t, "tls_key", &m->tls_key) ||
      !GetString(t, "client_id", &m->client_id) ||
      !GetDuration(t, "keepalive", false, &m->keepalive) ||
      !GetString(t, "topic_prefix", &m->topic_prefix) || !GetBool(t, "discovery", &m->discovery) ||
      !GetString(t, "discovery_prefix", &m->discovery_prefix) ||
      !GetDuration(t, "min_interval", true, &m->min_interval) ||
      !GetBool(t, "retain_state", &m->retain_state) || !GetInt(t, "qos", 0, 1, &m->qos) ||
      !GetBool(t, "dsmr_reader_topics", &m->dsmr_reader_topics) ||
      !GetString(t, "dsmr_reader_meter", &m->dsmr_reader_meter) ||
      !GetBool(t, "raw_telegram", &m->raw_telegram)) {
    return false;
  }
  if (const toml::node* n = t.get("protocol")) {
    std::string p;
    if (!GetString(t, "protocol", &p)) return false;
    if (p == "3.1.1") {
      m->protocol = 4;
    } else if (p == "5") {
      m->protocol = 5;
    } else {
      return Fail(n->source(), "unknown protocol '" + p + "' (\"3.1.1\" | \"5\")");
    }
  }
  if (m->keepalive < Millis(5000) || m->keepalive > Millis(65535000) ||
      m->keepalive.count() % 1000 != 0) {
    return Fail(t.get("keepalive")->source(), "'keepalive' must be whole seconds in 5s..65535s");
  }
  for (const char* key : {"topic_prefix", "discovery_prefix"}) {
    const std::string& v = std::string_view(key) == "topic_prefix" ? m->topic_prefix
                                                                   : m->discovery_prefix;
    if (!IsTopicPrefix(v)) {
      return Fail(t.get(key)->source(), "bad '" + std::string(key) + "' '" + v +
                                            "': topic levels without '+', '#' or empty levels");
    }
  }
  if (m->client_id.size() > 64) {
    return Fail(t.get("client_id")->source(), "'client_id' is longer than 64 characters");
  }
  if (m->tls_cert.empty() != m->tls_key.empty()) {
    const char* given = m->tls_cert.empty() ? "tls_key" : "tls_cert";
    return Fail(t.get(given)->source(), "'tls_cert' and 'tls_key' go together");
  }
  if (!m->tls) {
    for (const char* key : {"tls_ca", "tls_cert", "tls_key"}) {
      if (const toml::node* n = t.get(key)) {
        return Fail(n->source(), "'" + std::string(key) + "' needs an mqtts:// broker");
      }
    }
  }
  if (!m->username.empty() || !m->password_file.empty()) {
    if (m->username.empty()) {
      return Fail(t.get("password_file")->source(), "'password_file' needs 'username'");
    }
  }
  if (const toml::node* n = t.get("dsmr_reader_meter"); n != nullptr && !m->dsmr_reader_topics) {
    return Fail(n->source(), "'dsmr_reader_meter' needs dsmr_reader_topics = true");
  }
  return true;
}

namespace {

// A DNS-SD instance name part: UTF-8 without control characters.
bool IsServiceNameText(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80             ? 1
               : (c & 0xE0) == 0xC0 ? 2
               : (c & 0xF0) == 0xE0 ? 3
               : (c & 0xF8) == 0xF0 ? 4
                                    : 0;
    if (n == 0 || i + n > s.size() || (n == 2 && c < 0xC2)) return false;
    if (n == 1 && (c < 0x20 || c == 0x7F)) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// A Linux network interface name (dev_valid_name): 1-15 bytes, not "." or
// "..", no '/', ':' or white space.
bool IsInterfaceName(std::string_view s) {
  if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
  for (char c : s) {
    if (c == '/' || c == ':' || static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return false;
  }
  return true;
}

}  // namespace

bool ConfigReader::ReadMdns(const toml::table& t, MdnsConfig* m) {
  if (!CheckKeys(t, {"enabled", "name", "interfaces"}, "in [mdns]") ||
      !GetBool(t, "enabled", &m->enabled) || !GetString(t, "name", &m->name)) {
    return false;
  }
  if (const toml::node* n = t.get("name")) {
    // Room is left for " <meter> rfc2217 on <host>"; longer names are cut.
    if (m->name.empty() || m->name.size() > 40 || !IsServiceNameText(m->name)) {
      return Fail(n->source(), "'name' must be 1..40 bytes of UTF-8 without control characters");
    }
  }
  if (const toml::node* n = t.get("interfaces")) {
    if (!n->is_array()) {
      return Fail(n->source(), "'interfaces' must be an array of interface names");
    }
    for (const toml::node& entry : *n->as_array()) {
      if (!entry.is_string()) return Fail(entry.source(), "'interfaces' entries must be strings");
      const std::string& name = entry.as_string()->get();
      if (!IsInterfaceName(name)) {
        return Fail(entry.source(),
                    "bad interface name '" + name + "' (1-15 characters, no '/', ':' or spaces)");
      }
      if (std::find(m->interfaces.begin(), m->interfaces.end(), name) != m->interfaces.end()) {
        return Fail(entry.source(), "interface '" + name + "' is listed twice");
      }
      m->interfaces.push_back(name);
    }
  }
  return true;
}

namespace {

// "http[s]://host[:port][/path][?query]" with a host name, IPv4 or [IPv6];
// no user:password@ (credentials belong in basic_auth_*, not in a URL that
// is logged and becomes a label). `target`: the URL without its query.
bool CheckRemoteWriteUrl(const std::string& url, std::string* target, std::string* why) {
  std::string_view rest = url;
  bool tls = false;
  if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else if (rest.rfind("https://", 0) == 0) {
    rest.remove_prefix(8);
    tls = true;
  } else {
    *why = ": use http://host[:port]/path or https://...";
    return false;
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) {
      *why = ": no spaces or control characters in a URL";
      return false;
    }
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    *why = ": no user:password@ in the URL (use basic_auth_user and basic_auth_password_file)";
    return false;
  }
  if (url.find('#') != std::string::npos) {
    *why = ": no #fragment in a URL";
    return false;
  }
  const bool has_port = !authority.empty() && authority.front() == '['
                            ? authority.find("]:") != std::string_view::npos
                            : authority.find(':') != std::string_view::npos;
  SocketAddress a;
  std::string inner = std::string(authority) + (has_port ? "" : tls ? ":443" : ":80");
  std::string detail;
  if (authority.empty() || authority.front() == ':' ||
      !ParseSocketAddress(inner, false, &a, &detail)) {
    *why = ": bad host in '" + url + "'";
    return false;
  }
  *target = url.substr(0, url.find('?'));
  return true;
}

}  // namespace

bool ConfigReader::ReadRemoteWrites(const toml::table& root,
                                    std::vector<RemoteWriteConfig>* out) {
  const toml::node* n = root.get("remote_write");
  if (n == nullptr) return true;
  if (!n->is_array_of_tables()) {
    return Fail(n->source(), "'remote_write' must be an array of tables ([[remote_write]])");
  }
  std::map<std::string, Position> names;
  for (const toml::node& entry : *n->as_array()) {
    RemoteWriteConfig r;
    if (!ReadRemoteWrite(*entry.as_table(), &r)) return false;
    const toml::node* at = entry.as_table()->get("name");
    if (at == nullptr) at = entry.as_table()->get("url");
    auto [it, inserted] = names.emplace(r.name, PosOf(at->source()));
    if (!inserted) {
      return Fail(at->source(), "two [[remote_write]] targets named '" + r.name + "' (first at " +
                                    it->second.Describe() + "); set 'name' to tell them apart");
    }
    out->push_back(std::move(r));
  }
  return true;
}

bool ConfigReader::ReadRemoteWrite(const toml::table& t, RemoteWriteConfig* r) {
  if (!CheckKeys(t,
                 {"url", "name", "interval", "on_telegram", "external_labels", "basic_auth_user",
                  "basic_auth_password_file", "bearer_token_file", "tls_ca_file",
                  "tls_insecure_skip_verify", "timeout", "queue_samples", "max_samples_per_send"},
                 "in [[remote_write]]")) {
    return false;
  }
  if (t.get("url") == nullptr) {
    return Fail(t.source(), "[[remote_write]] needs 'url' (e.g. \"http://host:8428/api/v1/write\")");
  }
  std::string target;
  if (!GetParsed(t, "url",
                 [&](const std::string& text, std::string* why) {
                   r->url = text;
                   return CheckRemoteWriteUrl(text, &target, why);
                 }) ||
      !GetString(t, "name", &r->name) || !GetDuration(t, "interval", false, &r->interval) ||
      !GetBool(t, "on_telegram", &r->on_telegram) ||
      !GetString(t, "basic_auth_user", &r->basic_auth_user) ||
      !GetString(t, "basic_auth_password_file", &r->basic_auth_password_file) ||
      !GetString(t, "bearer_token_file", &r->bearer_token_file) ||
      !GetString(t, "tls_ca_file", &r->tls_ca_file) ||
      !GetBool(t, "tls_insecure_skip_verify", &r->tls_insecure_skip_verify) ||
      !GetDuration(t, "timeout", false, &r->timeout) ||
      !GetInt(t, "queue_samples", 100, 100'000'000, &r->queue_samples) ||
      !GetInt(t, "max_samples_per_send", 1, 100'000, &r->max_samples_per_send)) {
    return false;
  }
  if (const toml::node* n = t.get("name")) {
    if (r->name.empty() || r->name.size() > 128 || !IsServiceNameText(r->name)) {
      return Fail(n->source(), "'name' must be 1..128 bytes of UTF-8 without control characters");
    }
  } else {
    r->name = target;
  }
  if (r->queue_samples < r->max_samples_per_send) {
    return Fail(t.get("queue_samples")->source(),
                "queue_samples " + std::to_string(r->queue_samples) +
                    " is smaller than max_samples_per_send " +
                    std::to_string(r->max_samples_per_send));
  }
  if (!r->basic_auth_user.empty() != !r->basic_auth_password_file.empty()) {
    const char* given = r->basic_auth_user.empty() ? "basic_auth_password_file" : "basic_auth_user";
    return Fail(t.get(given)->source(),
                "'basic_auth_user' and 'basic_auth_password_file' go together");
  }
  if (!r->bearer_token_file.empty() && !r->basic_auth_user.empty()) {
    return Fail(t.get("bearer_token_file")->source(),
                "use either basic auth or 'bearer_token_file', not both");
  }
  if (r->url.rfind("https://", 0) != 0) {
    for (const char* key : {"tls_ca_file", "tls_insecure_skip_verify"}) {
      if (const toml::node* n = t.get(key)) {
        return Fail(n->source(), "'" + std::string(key) + "' needs an https:// url");
      }
    }
  }
  return ReadLabelTable(t, "external_labels", &r->external_labels);
}

bool ConfigReader::ReadSource(const toml::table& t, MeterConfig* m) {
  const toml::node* first = nullptr;
  std::string_view first_key;
  for (std::string_view key : {"serial", "tcp", "simulate"}) {
    const toml::node* n = t.get(key);
    if (n == nullptr) continue;
    // Report the later of the two in document order.
    if (first != nullptr) {
      const toml::node* later = first->source().begin < n->source().begin ? n : first;
      return Fail(later->source(), "meter '" + m->name + "' has both '" + std::string(first_key) +
                                       "' and '" + std::string(key) +
                                       "': use exactly one of serial, tcp, simulate");
    }
    first = n;
    first_key = key;
  }
  if (first == nullptr) {
    return Fail(t.source(), "meter '" + m->name + "' needs one of serial, tcp, simulate");
  }
  if (first_key == "serial") {
    m->source = SourceKind::kSerial;
    if (!GetString(t, "serial", &m->serial)) return false;
    if (m->serial.empty()) return Fail(first->source(), "'serial' must name a device");
  } else if (first_key == "tcp") {
    m->source = SourceKind::kTcp;
    if (!GetAddress(t, "tcp", false, &m->tcp)) return false;
  } else {
    m->source = SourceKind::kSimulate;
    if (!GetString(t, "simulate", &m->simulate)) return false;
    if (!IsSimulateVariant(m->simulate)) {
      return Fail(first->source(),
                  "unknown simulate variant '" + m->simulate +
                      "' (dsmr2 | dsmr3 | dsmr4 | dsmr5 | be | lu | se | q3d | at | at-mbus | ie)");
    }
  }
  const toml::node* rate = t.get("rate");
  if (rate == nullptr) return true;
  if (m->source != SourceKind::kSimulate) {
    return Fail(rate->source(), "'rate' applies only to simulate meters");
  }
  std::optional<double> hz = rate->value<double>();  // integers convert too
  if (!hz || !(*hz > 0 && *hz <= 1000)) {
    return Fail(rate->source(), "'rate' must be a number of telegrams per second in (0, 1000]");
  }
  m->simulate_rate_hz = *hz;
  return true;
}

bool ConfigReader::ReadSerialSettings(const toml::table& t, MeterConfig* m) {
  // A simulated meter is the variant it simulates: its preset (serial
  // settings reported to RFC 2217 clients, CRC policy) follows the variant.
  if (m->source == SourceKind::kSimulate) m->preset = m->simulate;
  if (!GetString(t, "preset", &m->preset)) return false;
  if (!PresetSerialSettings(m->preset, &m->serial_settings)) {
    return Fail(t.get("preset")->source(),
                "unknown preset '" + m->preset +
                    "' (dsmr2 | dsmr3 | dsmr4 | dsmr5 | be | lu | se | at | at-mbus | q3d | ie | auto)");
  }
  if (m->preset == "auto") {
    for (std::string_view key : {"baud", "data_bits", "parity", "stop_bits"}) {
      if (const toml::node* n = t.get(key)) {
        return Fail(n->source(), "'" + std::string(key) +
                                     "' contradicts preset = \"auto\" (the port is probed)");
      }
    }
  }
  SerialSettings& s = m->serial_settings;
  if (!GetInt(t, "baud", 50, 4'000'000, &s.baud) || !GetInt(t, "data_bits", 5, 8, &s.data_bits) ||
      !GetInt(t, "stop_bits", 1, 2, &s.stop_bits)) {
    return false;
  }
  std::string parity;
  bool has_parity = false;
  if (!GetString(t, "parity", &parity, &has_parity)) return false;
  if (has_parity && !ParseParity(parity, &s.parity)) {
    return Fail(t.get("parity")->source(), "unknown parity '" + parity + "' (none | even | odd)");
  }
  return true;
}

bool ConfigReader::ReadLabels(const toml::table& t, MeterConfig* m) {
  return ReadLabelTable(t, "labels", &m->labels);
}

bool ConfigReader::ReadLabelTable(const toml::table& t, std::string_view key_name,
                                  std::map<std::string, std::string>* out) {
  const toml::table* labels = nullptr;
  if (!GetTable(t, key_name, &labels)) return false;
  if (labels == nullptr) return true;
  for (const auto& [key, value] : *labels) {
    std::string name(key.str());
    if (!IsValidLabelName(name)) {
      return Fail(key.source(),
                  "bad label name '" + name + "' (Prometheus: [a-zA-Z_][a-zA-Z0-9_]*)");
    }
    if (IsReservedLabel(name)) {
      // The exporter would drop it from every series (base/reserved_labels.h).
      return Fail(key.source(), "label '" + name + "' is reserved for the gateway's own labels");
    }
    if (!value.is_string()) return Fail(value.source(), "label '" + name + "' must be a string");
    (*out)[name] = value.as_string()->get();
  }
  return true;
}

bool ConfigReader::ReadListener(const toml::table& t, ListenerConfig* l) {
  if (!CheckKeys(t,
                 {"listen", "protocol", "max_clients", "kick_old", "allow", "payload",
                  "replay_last", "min_interval", "queue_bytes", "stuck_timeout", "port_settings"},
                 "in [[meters.listeners]]")) {
    return false;
  }
  if (t.get("listen") == nullptr) return Fail(t.source(), "listener without 'listen'");
  std::string protocol;
  std::string payload;
  std::string port_settings;
  bool has_protocol = false;
  bool has_payload = false;
  bool has_port_settings = false;
  if (!GetAddress(t, "listen", true, &l->listen) ||
      !GetString(t, "protocol", &protocol, &has_protocol) ||
      !GetString(t, "payload", &payload, &has_payload) ||
      !GetString(t, "port_settings", &port_settings, &has_port_settings) ||
      !GetInt(t, "max_clients", 1, 10'000, &l->max_clients) ||
      !GetBool(t, "kick_old", &l->kick_old) || !GetBool(t, "replay_last", &l->replay_last) ||
      !GetDuration(t, "min_interval", true, &l->min_interval) ||
      !GetInt(t, "queue_bytes", 1024, 64 << 20, &l->queue_bytes) ||
      !GetDuration(t, "stuck_timeout", false, &l->stuck_timeout)) {
    return false;
  }
  if (has_protocol && !ParseProtocol(protocol, &l->protocol)) {
    return Fail(t.get("protocol")->source(),
                "unknown protocol '" + protocol + "' (raw | telnet | rfc2217)");
  }
  if (has_payload && !ParsePayload(payload, &l->payload)) {
    return Fail(t.get("payload")->source(),
                "unknown payload '" + payload + "' (telegrams | bytes)");
  }
  if (has_port_settings) {
    const toml::node* n = t.get("port_settings");
    if (!ParsePortSettings(port_settings, &l->port_settings)) {
      return Fail(n->source(), "unknown port_settings '" + port_settings + "' (virtual | fixed)");
    }
    if (l->protocol != ListenerProtocol::kRfc2217) {
      return Fail(n->source(), "'port_settings' applies only to rfc2217 listeners");
    }
  }
  const toml::node* allow = t.get("allow");
  if (allow == nullptr) return true;
  if (!allow->is_array()) return Fail(allow->source(), "'allow' must be an array of CIDR strings");
  for (const toml::node& entry : *allow->as_array()) {
    Cidr cidr;
    if (!entry.is_string()) return Fail(entry.source(), "'allow' entries must be strings");
    if (!ParseCidr(entry.as_string()->get(), &cidr)) {
      return Fail(entry.source(), "bad CIDR '" + entry.as_string()->get() +
                                      "' (e.g. \"192.168.0.0/16\", \"::1/128\")");
    }
    l->allow.push_back(std::move(cidr));
  }
  return true;
}

}  // namespace

std::string Location(std::string_view source, uint32_t line, uint32_t column) {
  return std::string(source) + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

namespace {

// toml::parse with every failure as one line "FILE:LINE:COLUMN: ..." that
// never carries key material.
bool ParseToml(std::string_view toml_text, std::string_view source_name, toml::table* root,
               std::string* err) {
  try {
    *root = toml::parse(toml_text, source_name);
    return true;
  } catch (const toml::parse_error& e) {
    std::string what(e.description());
    for (char& c : what) c = c == '\n' ? ' ' : c;
    const uint32_t line = e.source().begin.line;
    // toml++ quotes the offending text; on a key line that is key material.
    const std::string_view key = KeyNameOnLine(toml_text, line);
    what = key.empty() ? RedactHexRuns(what)
                       : "bad value for '" + std::string(key) +
                             "' (write it as a quoted string of 32 hex digits)";
    *err = Location(source_name, line, e.source().begin.column) + OneLine(what);
    return false;
  } catch (const std::exception& e) {  // e.g. bad_alloc: still one line, never a crash
    *err = std::string(source_name) + ": " + e.what();
    return false;
  }
}

bool ReadFile(const std::string& path, std::string* text, std::string* err) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    *err = path + ": cannot read: " + std::strerror(errno);
    return false;
  }
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) {
    text->append(buf, n);
    if (text->size() > kMaxConfigBytes) {
      *err = path + ": cannot read: larger than 1 MiB";
      return false;
    }
  }
  if (std::ferror(f.get())) {
    *err = path + ": cannot read: " + std::strerror(errno);
    return false;
  }
  return true;
}

std::string Where(const toml::node& n, std::string_view fallback) {
  const toml::source_region& r = n.source();
  return Location(r.path ? std::string_view(*r.path) : fallback, r.begin.line, r.begin.column);
}

// [gateway] meters_dir: the [[meters]] of every *.toml file in that folder
// (relative to the config's own folder), in name order, appended to the
// main file's; the key itself is removed. Every node keeps its file, so
// errors name the file they are in.
bool IncludeMetersDir(const std::string& path, toml::table* root, std::string* err) {
  toml::table* gateway = root->get_as<toml::table>("gateway");
  if (gateway == nullptr || gateway->get("meters_dir") == nullptr) return true;
  const toml::node& key = *gateway->get("meters_dir");
  const std::optional<std::string> value = key.value<std::string>();
  if (!value || value->empty()) {
    *err = Where(key, path) + "'meters_dir' must be a folder name";
    return false;
  }
  std::string dir = *value;
  if (dir[0] != '/') {
    const size_t slash = path.rfind('/');
    dir = (slash == std::string::npos ? std::string(".") : path.substr(0, slash)) + "/" + dir;
  }
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    *err = Where(key, path) + "meters_dir '" + dir + "': cannot open: " + std::strerror(errno);
    return false;
  }
  std::vector<std::string> files;
  while (const struct dirent* e = readdir(d)) {
    const std::string_view name(e->d_name);
    if (name.size() > 5 && name[0] != '.' && name.substr(name.size() - 5) == ".toml") {
      files.emplace_back(name);
    }
  }
  closedir(d);
  std::sort(files.begin(), files.end());
  if (files.size() > kMaxIncludedFiles) {
    *err = Where(key, path) + "meters_dir '" + dir + "': more than " +
           std::to_string(kMaxIncludedFiles) + " files";
    return false;
  }
  gateway->erase("meters_dir");
  if (root->get("meters") == nullptr) root->insert("meters", toml::array{});
  toml::array* all = root->get_as<toml::array>("meters");
  if (all == nullptr) return true;  // 'meters' not an array: the reader says so
  for (const std::string& name : files) {
    const std::string file = dir + "/" + name;
    std::string text;
    toml::table t;
    if (!ReadFile(file, &text, err) || !ParseToml(text, file, &t, err)) return false;
    for (const auto& [k, v] : t) {
      if (k.str() != "meters" || !v.is_array_of_tables()) {
        *err = Location(file, k.source().begin.line, k.source().begin.column) +
               "only [[meters]] tables belong in a meters_dir file";
        return false;
      }
    }
    // Moved, not copied: a copied node loses its source position.
    if (toml::array* meters = t.get_as<toml::array>("meters")) {
      for (toml::node& m : *meters) all->push_back(std::move(*m.as_table()));
    }
  }
  return true;
}

}  // namespace

bool ParseConfig(std::string_view toml_text, std::string_view source_name, GatewayConfig* out,
                 std::string* err) {
  toml::table root;
  if (!ParseToml(toml_text, source_name, &root, err)) return false;
  return ConfigReader(source_name, err).Read(root, out);
}

bool LoadConfigFile(const std::string& path, GatewayConfig* out, std::string* err) {
  std::string text;
  toml::table root;
  if (!ReadFile(path, &text, err) || !ParseToml(text, path, &root, err) ||
      !IncludeMetersDir(path, &root, err)) {
    return false;
  }
  return ConfigReader(path, err).Read(root, out);
}

}  // namespace p1
