// Gateway configuration: TOML (keys in config/example.toml) into plain
// structs, validated. Depends only on base/ (hex digits).
#ifndef P1GW_CONFIG_CONFIG_H_
#define P1GW_CONFIG_CONFIG_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/aes_key.h"
#include "gateway/base/wrapping.h"

namespace p1 {

using Millis = std::chrono::milliseconds;

// "host:port", "[v6]:port" or ":port"/"port" (all addresses).
struct SocketAddress {
  std::string host;  // numeric IPv4/IPv6 for listeners; a name allowed for tcp sources
  uint16_t port = 0;
  std::string ToString() const;  // "127.0.0.1:2001", "[::1]:2001"
  bool IsWildcard() const;       // "0.0.0.0" or "::"
  bool operator==(const SocketAddress&) const = default;
};

// One CIDR entry of an allow list.
struct Cidr {
  bool v6 = false;
  std::array<uint8_t, 16> addr{};  // network byte order; v4 uses the first 4 bytes
  uint8_t prefix = 0;
  std::string text;                    // as written
  std::string ToString() const;        // canonical "192.168.0.0/16", host bits cleared
  bool operator==(const Cidr&) const;  // compares the network, not `text`
};

enum class ListenerProtocol { kRaw, kTelnet, kRfc2217 };
enum class Payload { kTelegrams, kBytes };
// What an rfc2217 listener does with a client's port settings: kVirtual
// accepts and echoes them per client (the meter port never changes), kFixed
// refuses them by answering with the meter port's real settings.
enum class PortSettings { kVirtual, kFixed };

struct ListenerConfig {
  SocketAddress listen;
  ListenerProtocol protocol = ListenerProtocol::kRaw;
  int max_clients = 16;
  bool kick_old = false;
  std::vector<Cidr> allow;  // empty: everyone
  Payload payload = Payload::kTelegrams;
  bool replay_last = true;
  Millis min_interval{0};
  size_t queue_bytes = 65536;
  Millis stuck_timeout{60000};  // a client that cannot take a byte this long is dropped
  PortSettings port_settings = PortSettings::kVirtual;  // rfc2217 listeners only

  bool operator==(const ListenerConfig&) const;
};

enum class SourceKind { kSerial, kTcp, kSimulate };
enum class Parity { kNone, kEven, kOdd };

struct SerialSettings {
  int baud = 115200;
  int data_bits = 8;
  Parity parity = Parity::kNone;
  int stop_bits = 1;
  bool operator==(const SerialSettings&) const = default;
};

// The two line settings of P1 ports: DSMR 4 and later (and the variants
// derived from it) send at 115200 8N1, DSMR 2.2/3 at 9600 7E1.
inline constexpr SerialSettings kSerialDsmr4{115200, 8, Parity::kNone, 1};
inline constexpr SerialSettings kSerialDsmr2{9600, 7, Parity::kEven, 1};
// What preset = "auto" and `probe` try, in this order: the DSMR 4/5 and
// DSMR 2.2/3 standards, then the two mixes found in the wild (DSMR 4 meters
// left at 7E1, old meters or converters at 9600 8N1).
inline constexpr SerialSettings kProbeSettings[] = {
    kSerialDsmr4, kSerialDsmr2, {115200, 7, Parity::kEven, 1}, {9600, 8, Parity::kNone, 1}};

// One row per `preset` name: its serial settings, and whether the variant's
// spec lets a telegram end without a CRC ("auto" learns it from the meter).
// For given settings, the first row that has them is the one to suggest.
struct SerialPreset {
  std::string_view name;
  SerialSettings settings;
  bool crc_optional;
};
inline constexpr SerialPreset kSerialPresets[] = {
    {"dsmr5", kSerialDsmr4, false}, {"dsmr4", kSerialDsmr4, false}, {"be", kSerialDsmr4, false},
    {"lu", kSerialDsmr4, false},    {"se", kSerialDsmr4, false},    {"at", kSerialDsmr4, false},
    {"q3d", kSerialDsmr4, true},    {"auto", kSerialDsmr4, true},   {"dsmr3", kSerialDsmr2, true},
    {"dsmr2", kSerialDsmr2, true},  {"ie", kSerialDsmr4, false},
    // Austrian meters' M-Bus customer interface (Kaifa MA309M and others).
    {"at-mbus", {2400, 8, Parity::kEven, 1}, false},
};

// The wrapping a preset's meters send in: M-Bus long frames for "at-mbus".
inline Wrapping DefaultWrapping(std::string_view preset) {
  return preset == "at-mbus" ? Wrapping::kMbus : Wrapping::kNone;
}

// The zone a preset's meters keep their clocks in: "" (CET/CEST, the EU
// rule) except Europe/Dublin for "ie".
inline std::string_view DefaultTimezone(std::string_view preset) {
  return preset == "ie" ? "Europe/Dublin" : "";
}

// "115200 8N1": baud, data bits, parity (N/E/O), stop bits.
std::string SerialSettingsString(const SerialSettings& s);

// The row named `preset`, or null for unknown names.
const SerialPreset* FindSerialPreset(std::string_view preset);
// The first row with exactly these settings, or null.
const SerialPreset* SuggestSerialPreset(const SerialSettings& settings);

struct MeterConfig {
  std::string name;
  std::map<std::string, std::string> labels;
  SourceKind source = SourceKind::kSimulate;
  std::string serial;              // device path
  SocketAddress tcp;               // remote host:port
  std::string simulate;            // dsmr2 | dsmr3 | dsmr4 | dsmr5 | be | lu | se | q3d | at | at-mbus | ie
  double simulate_rate_hz = 0;     // 0: the variant's real interval
  std::string preset = "dsmr5";    // dsmr2 | ... | at | at-mbus | q3d | ie | auto
  SerialSettings serial_settings;  // preset, then overrides
  std::optional<AesKey> key;
  std::optional<AesKey> aad_key;
  Millis stale_after{30000};
  // tcp sources: reconnect after this long without a byte; 0 = never.
  // Default: 2 * stale_after.
  Millis silence_timeout{60000};
  Wrapping wrapping = Wrapping::kNone;  // serial and tcp sources
  // IANA zone of the meter's clock; "" is CET/CEST (the EU rule, no tz
  // database). Default: "" except Europe/Dublin for preset "ie".
  std::string timezone;
  size_t max_telegram_bytes = 16384;
  std::string trace_file;  // optional raw byte trace
  std::vector<ListenerConfig> listeners;
  // A HomeWizard P1 API v1 port for this meter (Home Assistant, evcc, ...).
  std::optional<SocketAddress> homewizard;
  // Overrides [mqtt] min_interval for this meter.
  std::optional<Millis> mqtt_min_interval;

  bool operator==(const MeterConfig&) const;
};

// [mqtt]: publish every meter to an MQTT broker, with Home Assistant
// discovery. Disabled when the section is absent.
struct MqttConfig {
  bool enabled = false;
  bool tls = false;  // mqtts://
  std::string host;
  uint16_t port = 1883;  // 8883 for mqtts://
  std::string username;
  std::string password_file;  // read at start and reload; first line, no newline
  std::string tls_ca;         // CA file (mqtts:// without it: the system store)
  std::string tls_cert, tls_key;
  std::string client_id;  // empty: "p1gateway-<hostname>"
  Millis keepalive{60000};
  int protocol = 4;  // MQTT 3.1.1 (4) or 5
  std::string topic_prefix = "p1gateway";
  bool discovery = true;
  std::string discovery_prefix = "homeassistant";
  Millis min_interval{10000};
  bool retain_state = false;
  int qos = 0;
  bool dsmr_reader_topics = false;
  std::string dsmr_reader_meter;  // empty: the first meter
  bool raw_telegram = false;
  bool operator==(const MqttConfig&) const = default;
};

// [mdns]: advertise the listeners, HomeWizard ports and the HTTP port over
// DNS-SD through avahi-daemon. Off unless enabled = true.
struct MdnsConfig {
  bool enabled = false;
  std::string name;                     // service name prefix; empty: "p1gateway"
  std::vector<std::string> interfaces;  // network interface names; empty: all
  bool operator==(const MdnsConfig&) const = default;
};

// [[remote_write]]: one Prometheus remote-write 1.0 target. The gateway
// pushes the series /metrics shows, every `interval` and, with on_telegram,
// a meter's series at each of its telegrams.
struct RemoteWriteConfig {
  std::string url;   // http:// or https://, no user:password@ (use basic_auth_*)
  std::string name;  // the `target` label of the p1gateway_remote_write_* series; default: url without query
  Millis interval{15000};
  bool on_telegram = false;
  std::map<std::string, std::string> external_labels;  // added to every series that lacks the label
  std::string basic_auth_user;
  std::string basic_auth_password_file;  // first line; read at start and reload
  std::string bearer_token_file;         // first line; read at start and reload
  std::string tls_ca_file;               // https: CA file (default: the system store)
  bool tls_insecure_skip_verify = false;
  Millis timeout{30000};               // one request, connect included
  size_t queue_samples = 100000;       // pending samples kept; beyond, the oldest are dropped
  size_t max_samples_per_send = 2000;  // samples per request
  bool operator==(const RemoteWriteConfig&) const = default;
};

// [gateway] io_uring: how one telegram goes to many proxy clients. kAuto
// batches the sends into one io_uring submission when the kernel allows it
// and writes them one by one otherwise; kOn makes a missing io_uring a
// startup error; kOff always writes one by one.
enum class IoUringMode { kAuto, kOn, kOff };

struct GatewayConfig {
  std::string log_level = "info";
  IoUringMode io_uring = IoUringMode::kAuto;
  // [http] listen (older name: [metrics] listen): /metrics, /api, the page.
  SocketAddress metrics_listen{"0.0.0.0", 9464};
  bool metrics_enabled = true;
  // [http] cors: origins allowed to read /api from a browser ("*": any).
  std::vector<std::string> cors;
  MqttConfig mqtt;
  MdnsConfig mdns;
  std::vector<RemoteWriteConfig> remote_write;
  std::vector<MeterConfig> meters;
  bool operator==(const GatewayConfig&) const = default;
};

// Parses and validates. On error returns false and sets *err to one line
// "FILE:LINE:COLUMN: message". `source_name` is used as FILE in messages.
bool ParseConfig(std::string_view toml_text, std::string_view source_name, GatewayConfig* out,
                 std::string* err);
bool LoadConfigFile(const std::string& path, GatewayConfig* out, std::string* err);

// The effective config as TOML, keys redacted ("<redacted>").
std::string DumpConfig(const GatewayConfig& config);

// Preset name -> serial settings (kSerialPresets); false for unknown names.
bool PresetSerialSettings(std::string_view preset, SerialSettings* out);

// Parses "250ms", "30s", "5m", "1h" and decimals that are whole milliseconds
// ("1.5s"). False on anything else (no sign, no bare numbers).
bool ParseDuration(std::string_view text, Millis* out);
// numeric_host: listeners (IPv4 or [IPv6]; ":port"/"port" mean 0.0.0.0);
// otherwise a host name is allowed too. Numeric hosts are stored canonically.
bool ParseSocketAddress(std::string_view text, bool numeric_host, SocketAddress* out,
                        std::string* err);
// "a.b.c.d[/n]" or "v6[/n]" (no prefix: a single host). Host bits are cleared.
bool ParseCidr(std::string_view text, Cidr* out);
// Whether a binary address (4 or 16 bytes) falls within the CIDR. v4-mapped
// v6 addresses match v4 entries.
bool CidrContains(const Cidr& cidr, const uint8_t* addr, size_t len);

}  // namespace p1

#endif  // P1GW_CONFIG_CONFIG_H_
