// ParseConfig: every key of the documented example, presets and overrides,
// and every error path with its FILE:LINE:COLUMN.
#include "config/config.h"

#include <catch2/catch.hpp>
#include <string>

#include "gateway/base/reserved_labels.h"
#include "tests/config/config_test_util.h"

namespace p1 {
namespace {

std::string ErrorOf(const std::string& text) {
  GatewayConfig config;
  std::string err;
  bool ok = ParseConfig(text, "t.toml", &config, &err);
  CHECK_FALSE(ok);
  return err;
}

const std::string kSim = "[[meters]]\nname = \"home\"\nsimulate = \"dsmr5\"\n";

struct ErrorCase {
  const char* what;
  std::string text;
  std::string expected;
};

// Each case fails with a one-line error that starts with `expected`.
void CheckErrorCases(const std::vector<ErrorCase>& cases) {
  for (const ErrorCase& c : cases) {
    INFO(c.what);
    std::string err = ErrorOf(c.text);
    CHECK_THAT(err, Catch::Matchers::StartsWith(c.expected));
    CHECK(err.find('\n') == std::string::npos);
  }
}

TEST_CASE("the documented example config parses into every field") {
  GatewayConfig c = Parse(R"([gateway]
log_level = "debug"

[metrics]
listen = "127.0.0.1:9100"

[[meters]]
name = "home"
labels = { household = "12b", city = "Utrecht" }
serial = "/dev/serial/by-id/usb-FTDI-if00-port0"
preset = "dsmr5"
key = "D491470F47126332B07D1923B3504188"
aad_key = "00112233445566778899aabbccddeeff"
stale_after = "45s"
max_telegram_bytes = 8192
trace_file = "/var/log/p1/home.trace"

  [[meters.listeners]]
  listen = "0.0.0.0:2001"
  protocol = "telnet"
  max_clients = 4
  kick_old = true
  allow = ["192.168.0.0/16", "127.0.0.1/32", "::1"]
  payload = "bytes"
  replay_last = false
  min_interval = "10s"
  queue_bytes = 32768
  stuck_timeout = "2m"

  [[meters.listeners]]
  listen = "[::1]:2002"
)");
  CHECK(c.log_level == "debug");
  CHECK(c.metrics_enabled);
  CHECK(c.metrics_listen.ToString() == "127.0.0.1:9100");
  REQUIRE(c.meters.size() == 1);
  const MeterConfig& m = c.meters[0];
  CHECK(m.name == "home");
  CHECK(m.labels == std::map<std::string, std::string>{{"household", "12b"}, {"city", "Utrecht"}});
  CHECK(m.source == SourceKind::kSerial);
  CHECK(m.serial == "/dev/serial/by-id/usb-FTDI-if00-port0");
  CHECK(m.preset == "dsmr5");
  CHECK(m.serial_settings == SerialSettings{115200, 8, Parity::kNone, 1});
  REQUIRE(m.key.has_value());
  CHECK((*m.key)[0] == 0xD4);
  CHECK((*m.key)[15] == 0x88);
  REQUIRE(m.aad_key.has_value());
  CHECK((*m.aad_key)[1] == 0x11);
  CHECK((*m.aad_key)[15] == 0xFF);
  CHECK(m.stale_after == Millis(45000));
  CHECK(m.max_telegram_bytes == 8192);
  CHECK(m.trace_file == "/var/log/p1/home.trace");
  REQUIRE(m.listeners.size() == 2);
  const ListenerConfig& l = m.listeners[0];
  CHECK(l.listen.host == "0.0.0.0");
  CHECK(l.listen.port == 2001);
  CHECK(l.protocol == ListenerProtocol::kTelnet);
  CHECK(l.max_clients == 4);
  CHECK(l.kick_old);
  REQUIRE(l.allow.size() == 3);
  CHECK(l.allow[0].prefix == 16);
  CHECK(l.allow[2].v6);
  CHECK(l.allow[2].prefix == 128);
  CHECK(l.payload == Payload::kBytes);
  CHECK_FALSE(l.replay_last);
  CHECK(l.min_interval == Millis(10000));
  CHECK(l.queue_bytes == 32768);
  CHECK(l.stuck_timeout == Millis(120000));
  const ListenerConfig& d = m.listeners[1];
  CHECK(d.listen.host == "::1");
  CHECK(d.listen.ToString() == "[::1]:2002");
  CHECK(d.protocol == ListenerProtocol::kRaw);
  CHECK(d.max_clients == 16);
  CHECK_FALSE(d.kick_old);
  CHECK(d.allow.empty());
  CHECK(d.payload == Payload::kTelegrams);
  CHECK(d.replay_last);
  CHECK(d.min_interval == Millis(0));
  CHECK(d.queue_bytes == 65536);
  CHECK(d.stuck_timeout == Millis(60000));
}

TEST_CASE("rfc2217 listeners give clients a virtual port unless port_settings = \"fixed\"") {
  GatewayConfig c = Parse(kSim + R"([[meters.listeners]]
listen = "127.0.0.1:2001"
protocol = "rfc2217"
[[meters.listeners]]
listen = "127.0.0.1:2002"
protocol = "rfc2217"
port_settings = "fixed"
)");
  REQUIRE(c.meters[0].listeners.size() == 2);
  CHECK(c.meters[0].listeners[0].port_settings == PortSettings::kVirtual);
  CHECK(c.meters[0].listeners[1].port_settings == PortSettings::kFixed);
}

TEST_CASE("defaults apply when sections are absent") {
  GatewayConfig c = Parse(kSim);
  CHECK(c.log_level == "info");
  CHECK(c.io_uring == IoUringMode::kAuto);
  CHECK(c.metrics_enabled);
  CHECK(c.metrics_listen.ToString() == "0.0.0.0:9464");
  REQUIRE(c.meters.size() == 1);
  CHECK(c.meters[0].source == SourceKind::kSimulate);
  CHECK(c.meters[0].simulate == "dsmr5");
  CHECK(c.meters[0].simulate_rate_hz == 0);
  CHECK(c.meters[0].stale_after == Millis(30000));
  CHECK(c.meters[0].listeners.empty());
}

TEST_CASE("[gateway] io_uring chooses the proxy's send path") {
  GatewayConfig on = Parse("[gateway]\nio_uring = \"on\"\n" + kSim);
  CHECK(on.io_uring == IoUringMode::kOn);
  CHECK(Parse(DumpConfig(on)).io_uring == IoUringMode::kOn);
  CHECK(Parse("[gateway]\nio_uring = \"off\"\n" + kSim).io_uring == IoUringMode::kOff);
  CHECK(Parse("[gateway]\nio_uring = \"auto\"\n" + kSim).io_uring == IoUringMode::kAuto);
}

TEST_CASE("a config without meters serves HTTP only (the packaged default)") {
  GatewayConfig c = Parse("[http]\nlisten = \"127.0.0.1:9464\"\n");
  CHECK(c.meters.empty());
  CHECK(c.metrics_enabled);
  CHECK(c.metrics_listen.ToString() == "127.0.0.1:9464");
}

TEST_CASE("metrics listen = \"\" disables metrics") {
  GatewayConfig c = Parse("[metrics]\nlisten = \"\"\n" + kSim);
  CHECK_FALSE(c.metrics_enabled);
}

TEST_CASE("[http] listen and cors; [metrics] listen is its older name; a meter's homewizard port") {
  GatewayConfig c =
      Parse("[http]\nlisten = \"[::]:8080\"\ncors = [\"*\", \"http://ha.local:8123\"]\n" + kSim +
            "homewizard = \"0.0.0.0:8081\"\n");
  CHECK(c.metrics_enabled);
  CHECK(c.metrics_listen.ToString() == "[::]:8080");
  CHECK(c.cors == std::vector<std::string>{"*", "http://ha.local:8123"});
  REQUIRE(c.meters[0].homewizard);
  CHECK(c.meters[0].homewizard->ToString() == "0.0.0.0:8081");
  CHECK_FALSE(Parse("[http]\nlisten = \"\"\n" + kSim).metrics_enabled);
  CHECK(Parse("[metrics]\nlisten = \"127.0.0.1:1\"\n" + kSim).metrics_listen.ToString() ==
        "127.0.0.1:1");
  // The dump writes [http] and reads back equal.
  GatewayConfig again = Parse(DumpConfig(c));
  CHECK(again == c);
}

TEST_CASE("[mqtt]: defaults, every key, a per-meter interval, and a dump that reads back") {
  CHECK_FALSE(Parse(kSim).mqtt.enabled);
  GatewayConfig d = Parse("[mqtt]\nbroker = \"mqtt://broker.lan\"\n" + kSim);
  CHECK(d.mqtt.enabled);
  CHECK(d.mqtt.host == "broker.lan");
  CHECK(d.mqtt.port == 1883);
  CHECK_FALSE(d.mqtt.tls);
  CHECK(d.mqtt.topic_prefix == "p1gateway");
  CHECK(d.mqtt.discovery);
  CHECK(d.mqtt.discovery_prefix == "homeassistant");
  CHECK(d.mqtt.min_interval == Millis(10000));
  CHECK(d.mqtt.keepalive == Millis(60000));
  CHECK(d.mqtt.protocol == 4);
  CHECK(d.mqtt.qos == 0);
  CHECK_FALSE(d.mqtt.retain_state);
  CHECK_FALSE(d.mqtt.dsmr_reader_topics);
  CHECK(Parse("[mqtt]\nbroker = \"mqtts://[::1]\"\n" + kSim).mqtt.port == 8883);

  GatewayConfig c = Parse(
      "[mqtt]\nbroker = \"mqtts://10.0.0.2:8884\"\nusername = \"p1\"\n"
      "password_file = \"/etc/p1gateway/mqtt.pw\"\ntls_ca = \"ca.pem\"\n"
      "tls_cert = \"c.pem\"\ntls_key = \"k.pem\"\nclient_id = \"cupboard\"\n"
      "keepalive = \"30s\"\nprotocol = \"5\"\ntopic_prefix = \"house/p1\"\n"
      "discovery = false\ndiscovery_prefix = \"ha\"\nmin_interval = \"1s\"\n"
      "retain_state = true\nqos = 1\ndsmr_reader_topics = true\nraw_telegram = true\n" +
      kSim + "mqtt_min_interval = \"0s\"\n[[meters]]\nname = \"b\"\nsimulate = \"be\"\n");
  const MqttConfig& m = c.mqtt;
  CHECK(m.tls);
  CHECK(m.host == "10.0.0.2");
  CHECK(m.port == 8884);
  CHECK(m.username == "p1");
  CHECK(m.password_file == "/etc/p1gateway/mqtt.pw");
  CHECK(m.tls_ca == "ca.pem");
  CHECK(m.tls_cert == "c.pem");
  CHECK(m.tls_key == "k.pem");
  CHECK(m.client_id == "cupboard");
  CHECK(m.keepalive == Millis(30000));
  CHECK(m.protocol == 5);
  CHECK(m.topic_prefix == "house/p1");
  CHECK_FALSE(m.discovery);
  CHECK(m.discovery_prefix == "ha");
  CHECK(m.min_interval == Millis(1000));
  CHECK(m.retain_state);
  CHECK(m.qos == 1);
  CHECK(m.dsmr_reader_topics);
  CHECK(m.dsmr_reader_meter == "home");  // the first meter unless named
  CHECK(m.raw_telegram);
  REQUIRE(c.meters[0].mqtt_min_interval);
  CHECK(*c.meters[0].mqtt_min_interval == Millis(0));
  CHECK_FALSE(c.meters[1].mqtt_min_interval);
  const std::string dump = DumpConfig(c);
  CHECK(dump.find("mqtt.pw") != std::string::npos);  // the file's name, never its content
  CHECK(Parse(dump) == c);
  CHECK(Parse(DumpConfig(d)) == d);
}

TEST_CASE("[mdns]: off without the table or enabled, every key, and a dump that reads back") {
  const GatewayConfig none = Parse(kSim);
  CHECK(none.mdns == MdnsConfig{});
  CHECK_FALSE(none.mdns.enabled);
  CHECK(DumpConfig(none).find("[mdns]") == std::string::npos);  // as before [mdns] existed
  CHECK_FALSE(Parse("[mdns]\n" + kSim).mdns.enabled);
  GatewayConfig c =
      Parse("[mdns]\nenabled = true\nname = \"Z\u00e4hler\"\ninterfaces = [\"eth0\", \"wlan0\"]\n" +
            kSim);
  CHECK(c.mdns.enabled);
  CHECK(c.mdns.name == "Z\xC3\xA4hler");
  CHECK(c.mdns.interfaces == std::vector<std::string>{"eth0", "wlan0"});
  CHECK(Parse(DumpConfig(c)) == c);
  GatewayConfig off = Parse("[mdns]\nenabled = false\nname = \"x\"\n" + kSim);
  CHECK(Parse(DumpConfig(off)) == off);
}

TEST_CASE("[mdns] errors name the key and what is wrong") {
  const std::string m = "[mdns]\nenabled = true\n";  // lines 1-2
  std::vector<ErrorCase> cases = {
      {"unknown key", m + "type = \"_http._tcp\"\n" + kSim,
       "t.toml:3:1: unknown key 'type' in [mdns]"},
      {"enabled not a bool", "[mdns]\nenabled = \"yes\"\n" + kSim,
       "t.toml:2:11: 'enabled' must be true or false"},
      {"empty name", m + "name = \"\"\n" + kSim,
       "t.toml:3:8: 'name' must be 1..40 bytes of UTF-8 without control characters"},
      {"long name", m + "name = \"" + std::string(41, 'n') + "\"\n" + kSim,
       "t.toml:3:8: 'name' must be 1..40 bytes"},
      {"control character", m + "name = \"a\\tb\"\n" + kSim, "t.toml:3:8: 'name' must be"},
      {"interfaces not an array", m + "interfaces = \"eth0\"\n" + kSim,
       "t.toml:3:14: 'interfaces' must be an array of interface names"},
      {"interface not a string", m + "interfaces = [1]\n" + kSim,
       "t.toml:3:15: 'interfaces' entries must be strings"},
      {"bad interface", m + "interfaces = [\"eth0\", \"eth/1\"]\n" + kSim,
       "t.toml:3:23: bad interface name 'eth/1' (1-15 characters, no '/', ':' or spaces)"},
      {"long interface", m + "interfaces = [\"" + std::string(16, 'i') + "\"]\n" + kSim,
       "t.toml:3:15: bad interface name"},
      {"twice", m + "interfaces = [\"eth0\", \"eth0\"]\n" + kSim,
       "t.toml:3:23: interface 'eth0' is listed twice"},
      {"mdns not a table", "mdns = true\n" + kSim, "t.toml:1:8: 'mdns' must be a table"},
  };
  CheckErrorCases(cases);
}

TEST_CASE("[mqtt] errors name the key and what is wrong") {
  const std::string b = "[mqtt]\nbroker = \"mqtt://h\"\n";  // lines 1-2
  std::vector<ErrorCase> cases = {
      {"no broker", "[mqtt]\nqos = 1\n" + kSim,
       "t.toml:1:1: [mqtt] needs 'broker' (e.g. \"mqtt://host:1883\")"},
      {"bad scheme", "[mqtt]\nbroker = \"tcp://h:1883\"\n" + kSim,
       "t.toml:2:10: 'broker'"},
      {"bad port", "[mqtt]\nbroker = \"mqtt://h:99999\"\n" + kSim, "t.toml:2:10: 'broker'"},
      {"no host", "[mqtt]\nbroker = \"mqtt://:1883\"\n" + kSim, "t.toml:2:10: 'broker'"},
      {"unknown key", b + "password = \"x\"\n" + kSim,
       "t.toml:3:1: unknown key 'password' in [mqtt]"},
      {"qos 2", b + "qos = 2\n" + kSim, "t.toml:3:7: 'qos'"},
      {"protocol", b + "protocol = \"3.1\"\n" + kSim,
       "t.toml:3:12: unknown protocol '3.1' (\"3.1.1\" | \"5\")"},
      {"keepalive", b + "keepalive = \"1500ms\"\n" + kSim,
       "t.toml:3:13: 'keepalive' must be whole seconds in 5s..65535s"},
      {"wildcard prefix", b + "topic_prefix = \"p1/#\"\n" + kSim,
       "t.toml:3:16: bad 'topic_prefix' 'p1/#'"},
      {"empty level", b + "discovery_prefix = \"a//b\"\n" + kSim,
       "t.toml:3:20: bad 'discovery_prefix' 'a//b'"},
      {"cert without key", "[mqtt]\nbroker = \"mqtts://h\"\ntls_cert = \"c.pem\"\n" + kSim,
       "t.toml:3:12: 'tls_cert' and 'tls_key' go together"},
      {"tls file without mqtts", b + "tls_ca = \"ca.pem\"\n" + kSim,
       "t.toml:3:10: 'tls_ca' needs an mqtts:// broker"},
      {"password without user", b + "password_file = \"pw\"\n" + kSim,
       "t.toml:3:17: 'password_file' needs 'username'"},
      {"reader meter without topics", b + "dsmr_reader_meter = \"home\"\n" + kSim,
       "t.toml:3:21: 'dsmr_reader_meter' needs dsmr_reader_topics = true"},
      {"reader meter unknown", b + "dsmr_reader_topics = true\ndsmr_reader_meter = \"x\"\n" + kSim,
       "t.toml:4:21: dsmr_reader_meter 'x' names no meter"},
      {"meter interval", kSim + "mqtt_min_interval = \"soon\"\n",
       "t.toml:4:21: 'mqtt_min_interval': bad duration 'soon'"},
      {"mqtt not a table", "mqtt = \"mqtt://h\"\n" + kSim, "t.toml:1:8: 'mqtt' must be a table"},
  };
  CheckErrorCases(cases);
}

TEST_CASE("presets choose serial settings and explicit keys override them") {
  auto settings = [](const std::string& extra) {
    return Parse("[[meters]]\nname = \"m\"\nserial = \"/dev/ttyUSB0\"\n" + extra)
        .meters[0]
        .serial_settings;
  };
  CHECK(settings("") == SerialSettings{115200, 8, Parity::kNone, 1});  // default dsmr5
  CHECK(settings("preset = \"dsmr2\"") == SerialSettings{9600, 7, Parity::kEven, 1});
  CHECK(settings("preset = \"dsmr3\"") == SerialSettings{9600, 7, Parity::kEven, 1});
  for (const char* p : {"dsmr4", "dsmr5", "be", "lu", "se", "at", "q3d", "auto"}) {
    CHECK(settings(std::string("preset = \"") + p + "\"") ==
          SerialSettings{115200, 8, Parity::kNone, 1});
  }
  CHECK(settings("preset = \"dsmr3\"\nbaud = 115200") ==
        SerialSettings{115200, 7, Parity::kEven, 1});
  CHECK(
      settings("preset = \"dsmr5\"\nbaud = 9600\ndata_bits = 7\nparity = \"odd\"\nstop_bits = 2") ==
      SerialSettings{9600, 7, Parity::kOdd, 2});
}

TEST_CASE("tcp sources accept host names, simulate accepts a rate") {
  GatewayConfig c = Parse(R"([[meters]]
name = "remote"
tcp = "p1-dongle.local:23"

[[meters]]
name = "sim"
simulate = "lu"
rate = 2

[[meters]]
name = "sim2"
simulate = "be"
rate = 0.5
)");
  CHECK(c.meters[0].source == SourceKind::kTcp);
  CHECK(c.meters[0].tcp.host == "p1-dongle.local");
  CHECK(c.meters[0].tcp.port == 23);
  CHECK(c.meters[1].simulate_rate_hz == 2.0);
  CHECK(c.meters[2].simulate_rate_hz == 0.5);
}

TEST_CASE("every config error names file, line, column and the problem") {
  const std::string m = "[[meters]]\nname = \"home\"\n";   // lines 1-2
  const std::string sim = m + "simulate = \"dsmr5\"\n";    // lines 1-3
  const std::string lst = sim + "[[meters.listeners]]\n";  // line 4
  std::vector<ErrorCase> cases = {
      {"toml syntax", "[gateway\n", "t.toml:1:9: "},
      {"duplicate key (toml++)", "[gateway]\nlog_level = \"info\"\nlog_level = \"warn\"\n",
       "t.toml:3:13: Error while parsing key-value pair: cannot redefine existing string "
       "'log_level'"},
      {"unknown top-level key", "verbose = true\n" + sim,
       "t.toml:1:1: unknown key 'verbose' at the top level"},
      {"unknown gateway key", "[gateway]\n  loglevel = \"info\"\n" + sim,
       "t.toml:2:3: unknown key 'loglevel' in [gateway]"},
      {"unknown metrics key", "[metrics]\nport = 9464\n" + sim,
       "t.toml:2:1: unknown key 'port' in [metrics]"},
      {"unknown http key", "[http]\nport = 9464\n" + sim,
       "t.toml:2:1: unknown key 'port' in [http]"},
      {"both listen keys", "[http]\nlisten = \":1\"\n[metrics]\nlisten = \":2\"\n" + sim,
       "t.toml:4:10: set the listen address in [http] only ([metrics] listen is its older name)"},
      {"cors not an array", "[http]\ncors = \"*\"\n" + sim,
       "t.toml:2:8: 'cors' must be an array of origins"},
      {"cors with a path", "[http]\ncors = [\"http://x/y\"]\n" + sim,
       "t.toml:2:9: bad CORS origin 'http://x/y' (\"*\" or scheme://host[:port], e.g. "
       "\"http://192.168.1.10:8123\")"},
      {"homewizard clashes with a listener",
       sim + "homewizard = \"127.0.0.1:2001\"\n[[meters.listeners]]\nlisten = \"127.0.0.1:2001\"\n",
       "t.toml:6:10: listen address 127.0.0.1:2001 is already used by meter 'home' homewizard "
       "(line 4)"},
      {"unknown meter key", sim + "baudrate = 9600\n",
       "t.toml:4:1: unknown key 'baudrate' in [[meters]]"},
      {"unknown listener key", lst + "listen = \"127.0.0.1:1\"\nmaxclients = 3\n",
       "t.toml:6:1: unknown key 'maxclients' in [[meters.listeners]]"},
      {"bad log level", "[gateway]\nlog_level = \"verbose\"\n" + sim,
       "t.toml:2:13: unknown log_level 'verbose' (trace | debug | info | warn | error)"},
      {"bad io_uring", "[gateway]\nio_uring = \"yes\"\n" + sim,
       "t.toml:2:12: unknown io_uring 'yes' (auto | on | off)"},
      {"io_uring not a string", "[gateway]\nio_uring = true\n" + sim, "t.toml:2:12: "},
      {"gateway not a table", "gateway = 1\n" + sim, "t.toml:1:11: 'gateway' must be a table"},
      {"no meters and no HTTP", "[http]\nlisten = \"\"\n",
       "t.toml:1:1: no [[meters]] defined and HTTP disabled: nothing to serve"},
      {"meters not array of tables", "meters = 3\n",
       "t.toml:1:10: 'meters' must be an array of tables ([[meters]])"},
      {"meter without name", "[[meters]]\nsimulate = \"dsmr5\"\n",
       "t.toml:1:1: meter without 'name'"},
      {"name not a string", "[[meters]]\nname = 5\n", "t.toml:2:8: 'name' must be a string"},
      {"bad meter name", "[[meters]]\nname = \"Home\"\n",
       "t.toml:2:8: bad meter name 'Home': use 1-64 characters [a-z0-9_-]"},
      {"duplicate meter name", sim + sim,
       "t.toml:5:8: duplicate meter name 'home' (first at line 2)"},
      {"no source", m, "t.toml:1:1: meter 'home' needs one of serial, tcp, simulate"},
      {"two sources", m + "serial = \"/dev/ttyUSB0\"\ntcp = \"host:23\"\n",
       "t.toml:4:7: meter 'home' has both 'serial' and 'tcp': use exactly one of serial, tcp, "
       "simulate"},
      {"two sources, reverse order", m + "simulate = \"be\"\nserial = \"/dev/ttyUSB0\"\n",
       "t.toml:4:10: meter 'home' has both 'serial' and 'simulate'"},
      {"empty serial", m + "serial = \"\"\n", "t.toml:3:10: 'serial' must name a device"},
      {"unknown simulate variant", m + "simulate = \"dsmr9\"\n",
       "t.toml:3:12: unknown simulate variant 'dsmr9' (dsmr2 | dsmr3 | dsmr4 | dsmr5 | be | lu | "
       "se | q3d | at | at-mbus | ie)"},
      {"tcp source without host", m + "tcp = \":23\"\n",
       "t.toml:3:7: 'tcp': address ':23' needs a host"},
      {"tcp source bad host", m + "tcp = \"my_host:23\"\n",
       "t.toml:3:7: 'tcp': bad host name 'my_host'"},
      {"tcp source bad port", m + "tcp = \"host:0\"\n",
       "t.toml:3:7: 'tcp': bad port in 'host:0': expected 1-65535"},
      {"rate on serial meter", m + "serial = \"/dev/ttyUSB0\"\nrate = 1\n",
       "t.toml:4:8: 'rate' applies only to simulate meters"},
      {"rate zero", sim + "rate = 0\n",
       "t.toml:4:8: 'rate' must be a number of telegrams per second in (0, 1000]"},
      {"rate string", sim + "rate = \"1\"\n", "t.toml:4:8: 'rate' must be a number"},
      {"unknown preset", sim + "preset = \"dsmr6\"\n", "t.toml:4:10: unknown preset 'dsmr6'"},
      {"override with auto", sim + "preset = \"auto\"\nbaud = 9600\n",
       "t.toml:5:8: 'baud' contradicts preset = \"auto\" (the port is probed)"},
      {"baud negative", sim + "baud = -9600\n",
       "t.toml:4:8: 'baud' = -9600 is out of range 50..4000000"},
      {"data bits", sim + "data_bits = 9\n", "t.toml:4:13: 'data_bits' = 9 is out of range 5..8"},
      {"stop bits", sim + "stop_bits = 0\n", "t.toml:4:13: 'stop_bits' = 0 is out of range 1..2"},
      {"parity", sim + "parity = \"mark\"\n",
       "t.toml:4:10: unknown parity 'mark' (none | even | odd)"},
      {"parity type", sim + "parity = 1\n", "t.toml:4:10: 'parity' must be a string"},
      {"short key", sim + "key = \"D491470F47126332B07D1923B350418\"\n",
       "t.toml:4:7: 'key' must be exactly 32 hex digits"},
      {"non-hex aad key", sim + "aad_key = \"00112233445566778899AABBCCDDEEFG\"\n",
       "t.toml:4:11: 'aad_key' must be exactly 32 hex digits"},
      {"bad duration", sim + "stale_after = \"30\"\n",
       "t.toml:4:15: 'stale_after': bad duration '30' (use e.g. \"250ms\", \"30s\", \"5m\")"},
      {"zero stale_after", sim + "stale_after = \"0s\"\n",
       "t.toml:4:15: 'stale_after' must be greater than zero"},
      {"duration not a string", sim + "stale_after = 30\n",
       "t.toml:4:15: 'stale_after' must be a string"},
      {"max telegram bytes", sim + "max_telegram_bytes = 100\n",
       "t.toml:4:22: 'max_telegram_bytes' = 100 is out of range 1024..1048576"},
      {"empty trace file", sim + "trace_file = \"\"\n",
       "t.toml:4:14: 'trace_file' must not be empty"},
      {"labels not a table", sim + "labels = \"x\"\n", "t.toml:4:10: 'labels' must be a table"},
      {"bad label name", sim + "labels = { \"2nd\" = \"x\" }\n",
       "t.toml:4:12: bad label name '2nd' (Prometheus: [a-zA-Z_][a-zA-Z0-9_]*)"},
      {"label with dunder", sim + "labels = { __name__ = \"x\" }\n",
       "t.toml:4:12: bad label name '__name__'"},
      {"reserved label", sim + "labels = { household = \"1\", phase = \"l1\" }\n",
       "t.toml:4:29: label 'phase' is reserved for the gateway's own labels"},
      {"reserved label meter", sim + "labels = { meter = \"x\" }\n",
       "t.toml:4:12: label 'meter' is reserved"},
      {"label value not a string", sim + "labels = { floor = 2 }\n",
       "t.toml:4:20: label 'floor' must be a string"},
      {"listeners not tables", sim + "listeners = 1\n",
       "t.toml:4:13: 'listeners' must be an array of tables ([[meters.listeners]])"},
      {"listener without listen", lst + "protocol = \"raw\"\n",
       "t.toml:4:1: listener without 'listen'"},
      {"listen host name", lst + "listen = \"localhost:2001\"\n",
       "t.toml:5:10: 'listen': 'localhost' is not a numeric IPv4 address (listen addresses are "
       "numeric; IPv6 as [::1]:port)"},
      {"listen v6 without brackets", lst + "listen = \"::1:2001\"\n",
       "t.toml:5:10: 'listen': bad address '::1:2001': write IPv6 addresses as [addr]:port"},
      {"listen bad v6", lst + "listen = \"[::g]:2001\"\n",
       "t.toml:5:10: 'listen': bad IPv6 address '::g'"},
      {"listen port too big", lst + "listen = \"127.0.0.1:65536\"\n",
       "t.toml:5:10: 'listen': bad port in '127.0.0.1:65536': expected 1-65535"},
      {"listen without port", lst + "listen = \"127.0.0.1\"\n",
       "t.toml:5:10: 'listen': bad address '127.0.0.1': missing ':port'"},
      {"listen empty", lst + "listen = \"\"\n", "t.toml:5:10: 'listen': empty address"},
      {"protocol", lst + "listen = \"127.0.0.1:1\"\nprotocol = \"ssh\"\n",
       "t.toml:6:12: unknown protocol 'ssh' (raw | telnet | rfc2217)"},
      {"payload", lst + "listen = \"127.0.0.1:1\"\npayload = \"lines\"\n",
       "t.toml:6:11: unknown payload 'lines' (telegrams | bytes)"},
      {"port_settings",
       lst + "listen = \"127.0.0.1:1\"\nprotocol = \"rfc2217\"\n"
             "port_settings = \"readonly\"\n",
       "t.toml:7:17: unknown port_settings 'readonly' (virtual | fixed)"},
      {"port_settings on raw", lst + "listen = \"127.0.0.1:1\"\nport_settings = \"fixed\"\n",
       "t.toml:6:17: 'port_settings' applies only to rfc2217 listeners"},
      {"max_clients zero", lst + "listen = \"127.0.0.1:1\"\nmax_clients = 0\n",
       "t.toml:6:15: 'max_clients' = 0 is out of range 1..10000"},
      {"max_clients float", lst + "listen = \"127.0.0.1:1\"\nmax_clients = 1.5\n",
       "t.toml:6:15: 'max_clients' must be an integer"},
      {"kick_old string", lst + "listen = \"127.0.0.1:1\"\nkick_old = \"yes\"\n",
       "t.toml:6:12: 'kick_old' must be true or false"},
      {"queue_bytes small", lst + "listen = \"127.0.0.1:1\"\nqueue_bytes = 1000\n",
       "t.toml:6:15: 'queue_bytes' = 1000 is out of range 1024..67108864"},
      {"queue below telegram cap", lst + "listen = \"127.0.0.1:1\"\nqueue_bytes = 4096\n",
       "t.toml:6:15: queue_bytes 4096 is smaller than the meter's max_telegram_bytes 16384"},
      {"stuck_timeout zero", lst + "listen = \"127.0.0.1:1\"\nstuck_timeout = \"0ms\"\n",
       "t.toml:6:17: 'stuck_timeout' must be greater than zero"},
      {"min_interval bad", lst + "listen = \"127.0.0.1:1\"\nmin_interval = \"-1s\"\n",
       "t.toml:6:16: 'min_interval': bad duration '-1s'"},
      {"allow not array", lst + "listen = \"127.0.0.1:1\"\nallow = \"10.0.0.0/8\"\n",
       "t.toml:6:9: 'allow' must be an array of CIDR strings"},
      {"allow entry type", lst + "listen = \"127.0.0.1:1\"\nallow = [\"10.0.0.0/8\", 5]\n",
       "t.toml:6:24: 'allow' entries must be strings"},
      {"allow bad cidr", lst + "listen = \"127.0.0.1:1\"\nallow = [\"10.0.0.0/33\"]\n",
       "t.toml:6:10: bad CIDR '10.0.0.0/33' (e.g. \"192.168.0.0/16\", \"::1/128\")"},
      {"duplicate listener across meters",
       lst + "listen = \"127.0.0.1:2001\"\n[[meters]]\nname = \"b\"\nsimulate = \"be\"\n"
             "[[meters.listeners]]\nlisten = \"127.0.0.1:2001\"\n",
       "t.toml:10:10: listen address 127.0.0.1:2001 is already used by meter 'home' (line 5)"},
      {"wildcard overlaps",
       lst + "listen = \"0.0.0.0:2001\"\n[[meters.listeners]]\n"
             "listen = \"127.0.0.1:2001\"\n",
       "t.toml:7:10: listen address 127.0.0.1:2001 overlaps 0.0.0.0:2001 of meter 'home' "
       "(line 5)"},
      {"listener clashes with metrics",
       "[metrics]\nlisten = \"127.0.0.1:9464\"\n" + lst + "listen = \"127.0.0.1:9464\"\n",
       "t.toml:7:10: listen address 127.0.0.1:9464 is already used by [metrics] listen (line 2)"},
      {"v6 spelled differently",
       lst + "listen = \"[::1]:2001\"\n[[meters.listeners]]\n"
             "listen = \"[0:0::1]:2001\"\n",
       "t.toml:7:10: listen address [::1]:2001 is already used by meter 'home' (line 5)"},
      {"metrics bad address", "[metrics]\nlisten = \"9464x\"\n" + sim,
       "t.toml:2:10: 'listen': bad address '9464x': missing ':port'"},
  };
  CheckErrorCases(cases);
}

TEST_CASE("every label the exporter reserves is a one-line config error, others pass") {
  const std::string sim = "[[meters]]\nname = \"home\"\nsimulate = \"dsmr5\"\n";
  for (std::string_view name : kReservedLabels) {
    INFO(name);
    const std::string err = ErrorOf(sim + "labels = { " + std::string(name) + " = \"x\" }\n");
    CHECK(err == "t.toml:4:12: label '" + std::string(name) +
                     "' is reserved for the gateway's own labels");
  }
  // Names close to reserved ones are ordinary static labels.
  GatewayConfig c =
      Parse(sim + "labels = { meter_site = \"a\", Phase = \"b\", tariffs = \"c\" }\n");
  CHECK(c.meters[0].labels.size() == 3);
}

TEST_CASE("listeners on different addresses or families do not clash") {
  GatewayConfig c = Parse(kSim + R"([[meters.listeners]]
listen = "127.0.0.1:2001"
[[meters.listeners]]
listen = "127.0.0.2:2001"
[[meters.listeners]]
listen = "[::1]:2001"
[[meters.listeners]]
listen = "0.0.0.0:2002"
[[meters.listeners]]
listen = "[::1]:2002"
)");
  CHECK(c.meters[0].listeners.size() == 5);
}

TEST_CASE("port-only listen addresses mean every IPv4 address") {
  GatewayConfig c = Parse(kSim +
                          "[[meters.listeners]]\nlisten = \":2001\"\n"
                          "[[meters.listeners]]\nlisten = \"2002\"\n");
  CHECK(c.meters[0].listeners[0].listen.ToString() == "0.0.0.0:2001");
  CHECK(c.meters[0].listeners[1].listen.ToString() == "0.0.0.0:2002");
}

TEST_CASE("LoadConfigFile reports unreadable files as FILE: cannot read") {
  GatewayConfig c;
  std::string err;
  CHECK_FALSE(LoadConfigFile("/nonexistent/p1gateway.toml", &c, &err));
  CHECK(err == "/nonexistent/p1gateway.toml: cannot read: No such file or directory");
  CHECK_FALSE(LoadConfigFile(P1GW_SOURCE_DIR "/config", &c, &err));
  CHECK(err == P1GW_SOURCE_DIR "/config: cannot read: Is a directory");
}

TEST_CASE("binary garbage and deep nesting give one error line, no crash") {
  std::string garbage("\x00\xff\xfe[[meters]]\x01", 15);
  std::string err = ErrorOf(garbage);
  CHECK(err.rfind("t.toml:", 0) == 0);
  std::string deep = "x = " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  err = ErrorOf(deep);
  CHECK(err.rfind("t.toml:1:", 0) == 0);
}

}  // namespace
}  // namespace p1

namespace p1 {
namespace {

TEST_CASE("no config error ever repeats key material", "[config][keys]") {
  // Issue 8, defect 8: toml++ echoed an unquoted key in full.
  const std::string key = "D491470F47126332B07D1923B3504188";
  const std::string head = "[[meters]]\nname = \"lu\"\nsimulate = \"lu\"\n";
  for (const std::string& line :
       {"key = 0x" + key, "key = " + key, "aad_key = 0x" + key, "  key =   " + key + "FF",
        "key = \"" + key.substr(0, 30) + "\"", "key = \"" + key + "0\"", "key = '" + key + "Z'",
        "key = [\"" + key + "\"]", "key = \"" + key + "\" junk"}) {
    const std::string err = ErrorOf(head + line + "\n");
    INFO(line << " -> " << err);
    CHECK(err.rfind("t.toml:4:", 0) == 0);
    CHECK(err.find("D491470F4712") == std::string::npos);
    CHECK(err.find("47126332B07D19") == std::string::npos);
  }
  // Inline tables put keys on other lines' text too.
  const std::string err =
      ErrorOf("meters = [{ name = \"x\", simulate = \"lu\", key = 0x" + key + " }]\n");
  CHECK(err.find("D491470F4712") == std::string::npos);
}

TEST_CASE("every simulated variant is accepted and sets its own preset", "[config]") {
  for (const char* v :
       {"dsmr2", "dsmr3", "dsmr4", "dsmr5", "be", "lu", "se", "q3d", "at", "at-mbus", "ie"}) {
    INFO(v);
    const std::string key = std::string(v) == "lu" || std::string(v).substr(0, 2) == "at"
                                ? "key = \"D491470F47126332B07D1923B3504188\"\n"
                                : "";
    const GatewayConfig c =
        Parse("[[meters]]\nname = \"m\"\nsimulate = \"" + std::string(v) + "\"\n" + key);
    REQUIRE(c.meters.size() == 1);
    CHECK(c.meters[0].preset == v);
  }
  // Issue 8, defect 9: a simulated DSMR 2.2 meter reported 115200 8N1.
  const GatewayConfig old = Parse("[[meters]]\nname = \"m\"\nsimulate = \"dsmr2\"\n");
  CHECK(old.meters[0].serial_settings == SerialSettings{9600, 7, Parity::kEven, 1});
  // An explicit preset still wins.
  const GatewayConfig explicit_preset =
      Parse("[[meters]]\nname = \"m\"\nsimulate = \"dsmr2\"\npreset = \"dsmr5\"\n");
  CHECK(explicit_preset.meters[0].serial_settings.baud == 115200);
}

}  // namespace
}  // namespace p1

namespace p1 {
namespace {

TEST_CASE("silence_timeout defaults to twice stale_after and applies to tcp meters only",
          "[config]") {
  const GatewayConfig c = Parse(
      "[[meters]]\nname = \"a\"\ntcp = \"192.0.2.1:23\"\nstale_after = \"20s\"\n"
      "[[meters]]\nname = \"b\"\ntcp = \"192.0.2.1:24\"\nsilence_timeout = \"0s\"\n"
      "[[meters]]\nname = \"c\"\ntcp = \"192.0.2.1:25\"\nsilence_timeout = \"90s\"\n");
  CHECK(c.meters[0].silence_timeout == Millis(40000));
  CHECK(c.meters[1].silence_timeout == Millis(0));
  CHECK(c.meters[2].silence_timeout == Millis(90000));
  CHECK(ErrorOf("[[meters]]\nname = \"s\"\nsimulate = \"dsmr5\"\nsilence_timeout = \"1m\"\n") ==
        "t.toml:4:19: 'silence_timeout' applies only to tcp meters");
}

}  // namespace
}  // namespace p1

namespace p1 {
namespace {

TEST_CASE("an error that echoes a value stays one printable line", "[config]") {
  // Found by config_fuzz: a "\n" inside a string value broke the contract.
  for (const std::string& text :
       {std::string("[[meters]]\nname = \"a\"\ntcp = \"x\\n:23\"\n"),
        std::string("[[meters]]\nname = \"a\"\nsimulate = \"dsmr\\u0001\\r\"\n"),
        std::string("[[meters]]\nname = \"a\"\nserial = \"/dev/x\"\n  [[meters.listeners]]\n"
                    "  listen = \"1.2.3.4\\n:1\"\n")}) {
    const std::string err = ErrorOf(text);
    INFO(err);
    CHECK(err.rfind("t.toml:", 0) == 0);
    for (char c : err) CHECK(static_cast<unsigned char>(c) >= 0x20);
  }
  CHECK(ErrorOf("[[meters]]\nname = \"a\"\ntcp = \"x\\n:23\"\n").find("x\\n") != std::string::npos);
}

}  // namespace
}  // namespace p1

namespace p1 {
namespace {

TEST_CASE("wrapping = \"rfxtrx\" for serial and tcp meters; none by default; shown by check-config",
          "[config]") {
  const GatewayConfig c = Parse(
      "[[meters]]\nname = \"a\"\ntcp = \"192.0.2.1:23\"\nwrapping = \"rfxtrx\"\n"
      "[[meters]]\nname = \"b\"\nserial = \"/dev/ttyUSB0\"\nwrapping = \"rfxtrx\"\n"
      "[[meters]]\nname = \"c\"\nserial = \"/dev/ttyUSB1\"\nwrapping = \"none\"\n" + kSim);
  CHECK(c.meters[0].wrapping == Wrapping::kRfxtrx);
  CHECK(c.meters[1].wrapping == Wrapping::kRfxtrx);
  CHECK(c.meters[2].wrapping == Wrapping::kNone);
  CHECK(c.meters[3].wrapping == Wrapping::kNone);
  const std::string dump = DumpConfig(c);
  size_t first = dump.find("wrapping = \"rfxtrx\"");
  REQUIRE(first != std::string::npos);
  CHECK(dump.find("wrapping = \"rfxtrx\"", first + 1) != std::string::npos);
  CHECK(Parse(dump) == c);  // the dump reads back as the same config
  CHECK(ErrorOf("[[meters]]\nname = \"s\"\ntcp = \"192.0.2.1:23\"\nwrapping = \"rfx\"\n") ==
        "t.toml:4:12: unknown wrapping 'rfx' (none | rfxtrx | mbus)");
  CHECK(ErrorOf("[[meters]]\nname = \"s\"\nsimulate = \"dsmr5\"\nwrapping = \"rfxtrx\"\n") ==
        "t.toml:4:12: 'wrapping' applies only to serial and tcp meters");
  // The variant's own wrapping, written out, is accepted (configs that said so still load).
  const GatewayConfig same = Parse(
      "[[meters]]\nname = \"p\"\nsimulate = \"dsmr5\"\nwrapping = \"none\"\n"
      "[[meters]]\nname = \"q\"\nsimulate = \"at-mbus\"\nwrapping = \"mbus\"\n"
      "key = \"D491470F47126332B07D1923B3504188\"\n");
  CHECK(same.meters[0].wrapping == Wrapping::kNone);
  CHECK(same.meters[1].wrapping == Wrapping::kMbus);
}

}  // namespace
}  // namespace p1

namespace p1 {
namespace {

TEST_CASE("preset \"at-mbus\": 2400 8E1 and M-Bus wrapping; wrapping = \"mbus\" on any preset",
          "[config]") {
  const std::string key = "key = \"D491470F47126332B07D1923B3504188\"\n";
  const GatewayConfig c = Parse(
      "[[meters]]\nname = \"a\"\nserial = \"/dev/ttyUSB0\"\npreset = \"at-mbus\"\n"
      "[[meters]]\nname = \"b\"\ntcp = \"192.0.2.1:23\"\nwrapping = \"mbus\"\n"
      "[[meters]]\nname = \"c\"\nserial = \"/dev/ttyUSB1\"\npreset = \"at-mbus\"\n"
      "wrapping = \"none\"\n"
      "[[meters]]\nname = \"d\"\nsimulate = \"at-mbus\"\npreset = \"dsmr5\"\n" + key);
  CHECK(c.meters[0].serial_settings == SerialSettings{2400, 8, Parity::kEven, 1});
  CHECK(c.meters[0].wrapping == Wrapping::kMbus);
  CHECK(c.meters[1].wrapping == Wrapping::kMbus);
  CHECK(c.meters[1].serial_settings == kSerialDsmr4);
  CHECK(c.meters[2].wrapping == Wrapping::kNone);
  CHECK(c.meters[3].wrapping == Wrapping::kMbus);  // the variant's framing, whatever the preset
  // Without d (a dump redacts its key): what is shown reads back the same.
  GatewayConfig serial = c;
  serial.meters.pop_back();
  const std::string dump = DumpConfig(serial);
  CHECK(dump.find("wrapping = \"none\"") != std::string::npos);
  const size_t mbus = dump.find("wrapping = \"mbus\"");  // b only: a's is its preset's
  REQUIRE(mbus != std::string::npos);
  CHECK(dump.find("wrapping = \"mbus\"", mbus + 1) == std::string::npos);
  CHECK(Parse(dump) == serial);
  CHECK(ErrorOf("[[meters]]\nname = \"s\"\nsimulate = \"at-mbus\"\n") ==
        "t.toml:1:1: meter 's': simulate = \"at-mbus\" needs a key (its M-Bus frames are always "
        "encrypted)");
}

TEST_CASE("timezone: an IANA zone per meter; preset \"ie\" defaults to Europe/Dublin", "[config]") {
  const GatewayConfig c = Parse(
      "[[meters]]\nname = \"a\"\nserial = \"/dev/ttyUSB0\"\npreset = \"ie\"\n"
      "[[meters]]\nname = \"b\"\ntcp = \"192.0.2.1:23\"\ntimezone = \"Europe/Lisbon\"\n"
      "[[meters]]\nname = \"c\"\nserial = \"/dev/ttyUSB1\"\npreset = \"ie\"\ntimezone = \"\"\n" +
      kSim);
  CHECK(c.meters[0].timezone == "Europe/Dublin");
  CHECK(c.meters[0].serial_settings == kSerialDsmr4);
  CHECK(c.meters[1].timezone == "Europe/Lisbon");
  CHECK(c.meters[2].timezone.empty());  // "" chooses the built-in CET/CEST rule
  CHECK(c.meters[3].timezone.empty());
  CHECK(Parse(DumpConfig(c)) == c);
  CHECK(ErrorOf("[[meters]]\nname = \"s\"\ntcp = \"192.0.2.1:23\"\ntimezone = \"Mars/Olympus\"\n") ==
        "t.toml:4:12: unknown timezone 'Mars/Olympus' (an IANA name such as Europe/Dublin)");
}

}  // namespace
}  // namespace p1
