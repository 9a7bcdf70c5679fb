// Scalar parsers (durations, addresses, CIDR), DumpConfig round trip and
// redaction, equality used by reload, and the shipped example files.
#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "config/config.h"
#include "tests/config/config_test_util.h"

namespace p1 {
namespace {

bool Contains(const char* cidr_text, const char* addr_text) {
  Cidr cidr;
  REQUIRE(ParseCidr(cidr_text, &cidr));
  uint8_t buf[16];
  if (inet_pton(AF_INET, addr_text, buf) == 1) return CidrContains(cidr, buf, 4);
  REQUIRE(inet_pton(AF_INET6, addr_text, buf) == 1);
  return CidrContains(cidr, buf, 16);
}

TEST_CASE("durations take ms, s, m, h and exact decimals") {
  Millis d;
  CHECK((ParseDuration("250ms", &d) && d == Millis(250)));
  CHECK((ParseDuration("30s", &d) && d == Millis(30000)));
  CHECK((ParseDuration("5m", &d) && d == Millis(300000)));
  CHECK((ParseDuration("1h", &d) && d == Millis(3600000)));
  CHECK((ParseDuration("0s", &d) && d == Millis(0)));
  CHECK((ParseDuration("1.5s", &d) && d == Millis(1500)));
  CHECK((ParseDuration("0.25m", &d) && d == Millis(15000)));
  CHECK((ParseDuration("0.001s", &d) && d == Millis(1)));
  for (const char* bad : {"", "30", "s", "-1s", "+1s", "1.s", ".5s", "1..5s", "1.5.0s", "0.0005s",
                          "1.5ms", "30 s", "30S", "1d", "5sec", "9999999999999h", "1e3ms"}) {
    INFO(bad);
    CHECK_FALSE(ParseDuration(bad, &d));
  }
}

TEST_CASE("socket addresses: numeric for listeners, names for tcp sources") {
  SocketAddress a;
  std::string err;
  CHECK(ParseSocketAddress("127.0.0.1:2001", true, &a, &err));
  CHECK(a.host == "127.0.0.1");
  CHECK(a.port == 2001);
  CHECK(ParseSocketAddress("[::]:1", true, &a, &err));
  CHECK(a.host == "::");
  CHECK(a.IsWildcard());
  CHECK(a.ToString() == "[::]:1");
  CHECK(ParseSocketAddress("[2001:DB8:0:0::1]:65535", true, &a, &err));
  CHECK(a.ToString() == "[2001:db8::1]:65535");
  CHECK(ParseSocketAddress("2001", true, &a, &err));
  CHECK(a.ToString() == "0.0.0.0:2001");
  CHECK(ParseSocketAddress("meter.example.org:23", false, &a, &err));
  CHECK(a.host == "meter.example.org");
  CHECK(ParseSocketAddress("192.0.2.10:23", false, &a, &err));
  CHECK_FALSE(ParseSocketAddress("meter.example.org:23", true, &a, &err));
  CHECK_FALSE(ParseSocketAddress("2001", false, &a, &err));
  CHECK(err == "address '2001' needs a host");
  CHECK_FALSE(ParseSocketAddress("[::1]", true, &a, &err));
  CHECK(err == "bad address '[::1]': expected [IPv6]:port");
  CHECK_FALSE(ParseSocketAddress("[127.0.0.1]:1", true, &a, &err));
  CHECK_FALSE(ParseSocketAddress("1.2.3.4:-1", true, &a, &err));
  CHECK_FALSE(ParseSocketAddress("1.2.3.4:1x", true, &a, &err));
  CHECK_FALSE(ParseSocketAddress("256.1.1.1:1", true, &a, &err));
  CHECK_FALSE(ParseSocketAddress("-host-:1", false, &a, &err));
  CHECK_FALSE(ParseSocketAddress("a..b:1", false, &a, &err));
}

TEST_CASE("CIDR entries match v4, v6 and v4-mapped v6 peers") {
  CHECK(Contains("192.168.0.0/16", "192.168.44.3"));
  CHECK_FALSE(Contains("192.168.0.0/16", "192.169.0.1"));
  CHECK(Contains("127.0.0.1/32", "127.0.0.1"));
  CHECK_FALSE(Contains("127.0.0.1/32", "127.0.0.2"));
  CHECK(Contains("127.0.0.1", "127.0.0.1"));  // no prefix: one host
  CHECK(Contains("0.0.0.0/0", "8.8.8.8"));
  CHECK(Contains("10.0.0.0/9", "10.127.255.255"));
  CHECK_FALSE(Contains("10.0.0.0/9", "10.128.0.0"));
  // A v4 peer accepted on a dual-stack socket arrives as ::ffff:a.b.c.d.
  CHECK(Contains("192.168.0.0/16", "::ffff:192.168.1.5"));
  CHECK_FALSE(Contains("192.168.0.0/16", "::ffff:10.0.0.1"));
  CHECK_FALSE(Contains("192.168.0.0/16", "::c0a8:105"));  // not v4-mapped
  CHECK(Contains("::1/128", "::1"));
  CHECK_FALSE(Contains("::1/128", "::2"));
  CHECK(Contains("fd00::/8", "fd12:3456::1"));
  CHECK_FALSE(Contains("fd00::/8", "fe80::1"));
  CHECK_FALSE(Contains("::1/128", "127.0.0.1"));
  CHECK(Contains("::ffff:0:0/96", "10.1.2.3"));  // v6 entry covering all v4
  CHECK(Contains("::/0", "1.2.3.4"));
  Cidr c;
  REQUIRE(ParseCidr("10.0.0.0/8", &c));
  const uint8_t three[3] = {10, 0, 0};
  CHECK_FALSE(CidrContains(c, three, 3));
}

TEST_CASE("CIDR host bits are cleared, the written text is kept") {
  Cidr a, b;
  REQUIRE(ParseCidr("192.168.1.77/24", &a));
  REQUIRE(ParseCidr("192.168.1.0/24", &b));
  CHECK(a == b);
  CHECK(a.text == "192.168.1.77/24");
  CHECK(a.ToString() == "192.168.1.0/24");
  REQUIRE(ParseCidr("2001:db8::ff/120", &a));
  CHECK(a.ToString() == "2001:db8::/120");
  for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/8x", "10.0.0/8",
                          "host/8", "10.0.0.0/-1"}) {
    INFO(bad);
    CHECK_FALSE(ParseCidr(bad, &a));
  }
}

TEST_CASE("PresetSerialSettings knows every documented preset") {
  SerialSettings s;
  CHECK((PresetSerialSettings("dsmr2", &s) && s == SerialSettings{9600, 7, Parity::kEven, 1}));
  CHECK((PresetSerialSettings("q3d", &s) && s == SerialSettings{115200, 8, Parity::kNone, 1}));
  CHECK((PresetSerialSettings("auto", &s) && s == SerialSettings{115200, 8, Parity::kNone, 1}));
  CHECK_FALSE(PresetSerialSettings("DSMR5", &s));
  CHECK_FALSE(PresetSerialSettings("", &s));
}

const char kFullConfig[] = R"([gateway]
log_level = "warn"
[metrics]
listen = "[::1]:9100"
[[meters]]
name = "a"
labels = { b_label = "x \"quoted\" \\ \u0001", a_label = "y" }
serial = "/dev/ttyUSB0"
preset = "dsmr3"
baud = 19200
parity = "odd"
stale_after = "1.5s"
max_telegram_bytes = 4096
trace_file = "/tmp/a.trace"
  [[meters.listeners]]
  listen = "127.0.0.1:2001"
  protocol = "rfc2217"
  max_clients = 3
  kick_old = true
  allow = ["192.168.1.77/24", "::1"]
  payload = "bytes"
  replay_last = false
  min_interval = "250ms"
  queue_bytes = 4096
  stuck_timeout = "90s"
  port_settings = "fixed"
[[meters]]
name = "b"
tcp = "dongle.lan:23"
preset = "auto"
[[meters]]
name = "c"
simulate = "se"
rate = 0.1
stop_bits = 2
  [[meters.listeners]]
  listen = "[::]:2002"
)";

TEST_CASE("DumpConfig output parses back to an equal config") {
  GatewayConfig original = Parse(kFullConfig);
  std::string dump = DumpConfig(original);
  INFO(dump);
  GatewayConfig again = Parse(dump);
  CHECK(again == original);
  CHECK(DumpConfig(again) == dump);

  GatewayConfig disabled =
      Parse("[metrics]\nlisten = \"\"\n[[meters]]\nname = \"x\"\nsimulate = \"be\"\n");
  GatewayConfig disabled_again = Parse(DumpConfig(disabled));
  CHECK_FALSE(disabled_again.metrics_enabled);
  CHECK(disabled_again == disabled);
}

TEST_CASE("DumpConfig redacts keys") {
  GatewayConfig c = Parse(R"([[meters]]
name = "lu"
simulate = "lu"
key = "D491470F47126332B07D1923B3504188"
aad_key = "00112233445566778899AABBCCDDEEFF"
)");
  std::string dump = DumpConfig(c);
  CHECK(dump.find("key = \"<redacted>\"") != std::string::npos);
  CHECK(dump.find("aad_key = \"<redacted>\"") != std::string::npos);
  CHECK(dump.find("D491470F") == std::string::npos);
  CHECK(dump.find("d491470f") == std::string::npos);
  CHECK(dump.find("00112233") == std::string::npos);
}

TEST_CASE("meter and listener equality sees every field, so reload can keep unchanged meters") {
  GatewayConfig base = Parse(kFullConfig);
  const std::string text = kFullConfig;
  auto variant = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    size_t at = t.find(from);
    REQUIRE(at != std::string::npos);
    t.replace(at, from.size(), to);
    return Parse(t);
  };
  CHECK(Parse(text).meters == base.meters);
  struct Change {
    const char* from;
    const char* to;
    size_t meter;
  };
  for (const Change& c : std::initializer_list<Change>{
           {"baud = 19200", "baud = 38400", 0},
           {"a_label = \"y\"", "a_label = \"z\"", 0},
           {"/dev/ttyUSB0", "/dev/ttyUSB1", 0},
           {"stale_after = \"1.5s\"", "stale_after = \"2s\"", 0},
           {"trace_file = \"/tmp/a.trace\"", "", 0},
           {"max_clients = 3", "max_clients = 4", 0},
           {"\"::1\"]", "\"::2\"]", 0},
           {"kick_old = true", "kick_old = false", 0},
           {"min_interval = \"250ms\"", "min_interval = \"251ms\"", 0},
           {"stuck_timeout = \"90s\"", "stuck_timeout = \"91s\"", 0},
           {"port_settings = \"fixed\"", "port_settings = \"virtual\"", 0},
           {"dongle.lan:23", "dongle.lan:24", 1},
           {"rate = 0.1", "rate = 0.2", 2},
           {"[::]:2002", "[::]:2003", 2},
       }) {
    INFO(c.from);
    GatewayConfig changed = variant(c.from, c.to);
    CHECK_FALSE(changed.meters[c.meter] == base.meters[c.meter]);
    for (size_t i = 0; i < base.meters.size(); ++i) {
      if (i != c.meter) CHECK(changed.meters[i] == base.meters[i]);
    }
  }
  // The same network written differently is the same allow entry.
  CHECK(variant("192.168.1.77/24", "192.168.1.0/24").meters == base.meters);
}

TEST_CASE("the shipped demo and example configs are valid") {
  GatewayConfig demo;
  std::string err;
  REQUIRE(LoadConfigFile(P1GW_SOURCE_DIR "/config/demo.toml", &demo, &err));
  REQUIRE(demo.meters.size() == 4);
  CHECK(demo.meters[0].name == "home");
  CHECK(demo.meters[0].simulate == "dsmr5");
  CHECK(demo.meters[0].listeners.size() == 2);
  CHECK(demo.meters[0].listeners[0].listen.ToString() == "127.0.0.1:2001");
  CHECK(demo.meters[0].listeners[1].listen.ToString() == "127.0.0.1:2101");
  CHECK(demo.meters[0].listeners[1].protocol == ListenerProtocol::kTelnet);
  CHECK(demo.meters[1].simulate == "be");
  CHECK(demo.meters[1].listeners[0].listen.port == 2002);
  CHECK(demo.meters[2].simulate == "lu");
  CHECK(demo.meters[2].key.has_value());
  CHECK(demo.meters[2].aad_key.has_value());
  CHECK(demo.meters[2].listeners[0].listen.port == 2003);
  CHECK(demo.meters[3].simulate == "at-mbus");
  CHECK(demo.meters[3].wrapping == Wrapping::kMbus);
  CHECK(demo.meters[3].listeners[0].listen.port == 2004);
  CHECK(demo.metrics_listen.ToString() == "127.0.0.1:9464");

  GatewayConfig example;
  INFO(err);
  REQUIRE(LoadConfigFile(P1GW_SOURCE_DIR "/config/example.toml", &example, &err));
  REQUIRE(example.meters.size() == 2);
  CHECK(example.meters[0].source == SourceKind::kSerial);
  CHECK(example.meters[0].listeners.size() == 3);
  CHECK(example.meters[1].source == SourceKind::kTcp);
  // Round trip of a real-world file (no keys in it).
  CHECK(Parse(DumpConfig(example)) == example);
}

// example.toml with the commented block that starts at the line `header`
// (up to the first line not starting with "# ") and every line starting
// with `also` (if not empty) uncommented; *count: the lines uncommented.
std::string UncommentedExample(const std::string& header, const std::string& also, int* count) {
  std::ifstream in(P1GW_SOURCE_DIR "/config/example.toml");
  REQUIRE(in);
  std::string text, line;
  bool in_block = false;
  while (std::getline(in, line)) {
    if (line == header) in_block = true;
    if (in_block && line.rfind("# ", 0) != 0) in_block = false;
    if (in_block || (!also.empty() && line.rfind(also, 0) == 0)) {
      line.erase(0, 2);
      ++*count;
    }
    text += line + "\n";
  }
  return text;
}

// The commented [mqtt] block of example.toml (and its per-meter
// mqtt_min_interval), uncommented, sets every MQTT key it documents.
TEST_CASE("the example's commented [mqtt] block is valid when uncommented") {
  int uncommented = 0;
  std::string text = UncommentedExample("# [mqtt]", "# mqtt_min_interval", &uncommented);
  const std::string broker = "\nbroker = \"mqtt://";
  REQUIRE(text.find(broker) != std::string::npos);
  text.replace(text.find(broker) + 11, 7, "mqtts://");  // for tls_*
  CHECK(uncommented == 19);
  GatewayConfig c = Parse(text);
  const MqttConfig& m = c.mqtt;
  CHECK(m.enabled);
  CHECK(m.tls);
  CHECK(m.host == "homeassistant.local");
  CHECK(m.port == 1883);
  CHECK(m.username == "p1gateway");
  CHECK(m.password_file == "/etc/p1gateway/mqtt.password");
  CHECK(m.tls_ca == "/etc/p1gateway/mqtt-ca.crt");
  CHECK(m.tls_cert == "/etc/p1gateway/mqtt-client.crt");
  CHECK(m.tls_key == "/etc/p1gateway/mqtt-client.key");
  CHECK(m.client_id == "p1gateway-cupboard");
  CHECK(m.keepalive == Millis(60000));
  CHECK(m.protocol == 4);
  CHECK(m.topic_prefix == "p1gateway");
  CHECK(m.discovery);
  CHECK(m.discovery_prefix == "homeassistant");
  CHECK(m.min_interval == Millis(10000));
  CHECK_FALSE(m.retain_state);
  CHECK(m.qos == 0);
  CHECK_FALSE(m.raw_telegram);
  CHECK_FALSE(m.dsmr_reader_topics);
  REQUIRE(c.meters.size() == 2);
  CHECK(c.meters[0].mqtt_min_interval == Millis(1000));
  CHECK(Parse(DumpConfig(c)) == c);
}

// The commented [mdns] block of example.toml, uncommented, turns mDNS on
// with every key it documents.
TEST_CASE("the example's commented [mdns] block is valid when uncommented") {
  int uncommented = 0;
  const std::string text = UncommentedExample("# [mdns]", "", &uncommented);
  CHECK(uncommented == 4);
  const MdnsConfig m = Parse(text).mdns;
  CHECK(m.enabled);
  CHECK(m.name == "p1gateway");
  CHECK(m.interfaces == std::vector<std::string>{"eth0"});
}

// The commented [[remote_write]] block of example.toml, uncommented, sets
// every key it documents.
TEST_CASE("the example's commented [[remote_write]] block is valid when uncommented") {
  int uncommented = 0;
  const std::string text = UncommentedExample("# [[remote_write]]", "", &uncommented);
  CHECK(uncommented == 13);
  const GatewayConfig c = Parse(text);
  REQUIRE(c.remote_write.size() == 1);
  const RemoteWriteConfig& r = c.remote_write[0];
  CHECK(r.url == "https://metrics.example.org/api/v1/write");
  CHECK(r.name == "central");
  CHECK(r.interval == Millis(15000));
  CHECK_FALSE(r.on_telegram);
  CHECK(r.external_labels == std::map<std::string, std::string>{{"household", "12b"}});
  CHECK(r.basic_auth_user == "household-12b");
  CHECK(r.basic_auth_password_file == "/etc/p1gateway/rw.password");
  CHECK(r.tls_ca_file == "/etc/p1gateway/rw-ca.crt");
  CHECK_FALSE(r.tls_insecure_skip_verify);
  CHECK(r.timeout == Millis(30000));
  CHECK(r.queue_samples == 100000);
  CHECK(r.max_samples_per_send == 2000);
  CHECK(Parse(DumpConfig(c)) == c);
}

}  // namespace
}  // namespace p1
