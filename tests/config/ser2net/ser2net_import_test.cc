// import-ser2net: samples modelled on the ser2net configs P1 users run
// (tests/config/ser2net/data), the converted TOML must pass ParseConfig, and every
// unsupported construct is refused with its line number.
#include "config/ser2net/ser2net_import.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "config/config.h"
#include "tests/config/config_test_util.h"

namespace p1 {
namespace {

std::string ReadData(const std::string& name) {
  std::ifstream f(P1GW_SOURCE_DIR "/tests/config/ser2net/data/" + name);
  REQUIRE(f);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

GatewayConfig Import(const std::string& text, std::string* toml = nullptr) {
  std::string out, err;
  bool ok = ImportSer2net(text, "ser2net.yaml", &out, &err);
  INFO(err);
  REQUIRE(ok);
  if (toml != nullptr) *toml = out;
  return Parse(out);
}

std::string ImportError(const std::string& text, const char* name = "s.yaml") {
  std::string out, err;
  CHECK_FALSE(ImportSer2net(text, name, &out, &err));
  CHECK(err.find('\n') == std::string::npos);
  return err;
}

TEST_CASE("ser2net.yaml with raw and telnet ports on one device becomes one meter") {
  std::string toml;
  GatewayConfig c = Import(ReadData("ser2net-p1.yaml"), &toml);
  REQUIRE(c.meters.size() == 1);
  const MeterConfig& m = c.meters[0];
  CHECK(m.name == "p1raw");
  CHECK(m.source == SourceKind::kSerial);
  CHECK(m.serial == "/dev/ttyUSB0");
  CHECK(m.serial_settings == SerialSettings{115200, 8, Parity::kNone, 1});
  REQUIRE(m.listeners.size() == 2);
  CHECK(m.listeners[0].listen.ToString() == "127.0.0.1:2001");
  CHECK(m.listeners[0].protocol == ListenerProtocol::kRaw);
  CHECK(m.listeners[0].max_clients == 128);
  CHECK_FALSE(m.listeners[0].kick_old);
  CHECK(m.listeners[0].payload == Payload::kTelegrams);
  CHECK(m.listeners[1].listen.ToString() == "127.0.0.1:2002");
  CHECK(m.listeners[1].protocol == ListenerProtocol::kTelnet);
  // The payload decision is explained in the output, ignored options noted once.
  CHECK(toml.find("set payload = \"bytes\"") != std::string::npos);
  size_t first = toml.find("option 'chardelay: true'");
  CHECK(first != std::string::npos);
  CHECK(toml.find("option 'chardelay: true'", first + 1) == std::string::npos);
}

TEST_CASE("ser2net.yaml with several meters, block options, rfc2217, disabled and tcp connector") {
  std::string toml;
  GatewayConfig c = Import(ReadData("ser2net-multi.yaml"), &toml);
  REQUIRE(c.meters.size() == 3);
  const MeterConfig& old = c.meters[0];
  CHECK(old.name == "dsmr3");
  CHECK(old.serial == "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10KZP5Q-if00-port0");
  CHECK(old.serial_settings == SerialSettings{9600, 7, Parity::kEven, 1});
  REQUIRE(old.listeners.size() == 1);
  CHECK(old.listeners[0].listen.ToString() == "0.0.0.0:2001");
  CHECK(old.listeners[0].max_clients == 3);
  CHECK(old.listeners[0].kick_old);
  CHECK(toml.find("timeout 600 s") != std::string::npos);
  CHECK(toml.find("trace-read: /var/log/ser2net/p1.trace") != std::string::npos);

  const MeterConfig& main = c.meters[1];
  CHECK(main.name == "main-meter");
  CHECK(main.serial == "/dev/ttyAMA0");
  REQUIRE(main.listeners.size() == 1);
  CHECK(main.listeners[0].protocol == ListenerProtocol::kRfc2217);
  CHECK(main.listeners[0].max_clients == 2);

  const MeterConfig& remote = c.meters[2];
  CHECK(remote.source == SourceKind::kTcp);
  CHECK(remote.tcp.ToString() == "p1-dongle.lan:23");
  REQUIRE(remote.listeners.size() == 1);
  CHECK(remote.listeners[0].listen.ToString() == "[::1]:2004");
  CHECK(remote.listeners[0].max_clients == 16);  // ser2net's default of 1 is not carried over

  // The disabled connection (port 2003, /dev/ttyUSB9) is left out.
  CHECK(toml.find("ttyUSB9") == std::string::npos);
  CHECK(toml.find("2003") == std::string::npos);
}

TEST_CASE("ser2net.conf v3 port lines convert, definitions and off ports are skipped") {
  std::string out, err;
  REQUIRE(ImportSer2net(ReadData("ser2net.conf"), "ser2net.conf", &out, &err));
  GatewayConfig c = Parse(out);
  REQUIRE(c.meters.size() == 2);
  const MeterConfig& usb = c.meters[0];
  CHECK(usb.name == "ttyusb0");
  CHECK(usb.serial == "/dev/ttyUSB0");
  CHECK(usb.serial_settings == SerialSettings{115200, 8, Parity::kNone, 1});
  REQUIRE(usb.listeners.size() == 2);
  CHECK(usb.listeners[0].listen.ToString() == "0.0.0.0:2001");
  CHECK(usb.listeners[0].protocol == ListenerProtocol::kRaw);
  CHECK(usb.listeners[0].max_clients == 3);
  CHECK(usb.listeners[1].listen.ToString() == "0.0.0.0:2002");
  CHECK(usb.listeners[1].protocol == ListenerProtocol::kRfc2217);  // telnet + remctl
  CHECK(usb.listeners[1].kick_old);
  const MeterConfig& s1 = c.meters[1];
  CHECK(s1.name == "ttys1");
  CHECK(s1.serial_settings == SerialSettings{9600, 7, Parity::kEven, 1});
  REQUIRE(s1.listeners.size() == 1);
  CHECK(s1.listeners[0].listen.ToString() == "127.0.0.1:3001");
  CHECK(out.find("ttyS2") == std::string::npos);
}

TEST_CASE("speeds other than the presets become explicit overrides") {
  GatewayConfig c = Import(
      "connection: &a\n  accepter: tcp,2001\n  connector: serialdev,/dev/ttyUSB0,38400o72\n"
      "connection: &b\n  accepter: tcp,2002\n  connector: serialdev,/dev/ttyUSB1\n");
  CHECK(c.meters[0].serial_settings == SerialSettings{38400, 7, Parity::kOdd, 2});
  CHECK(c.meters[1].serial_settings ==
        SerialSettings{9600, 8, Parity::kNone, 1});  // ser2net default
}

TEST_CASE("meter names are derived, sanitised and made unique") {
  GatewayConfig c = Import(
      "connection: &P1.Meter\n  accepter: tcp,2001\n  connector: serialdev,/dev/a,115200n81\n"
      "connection: &p1-meter\n  accepter: tcp,2002\n  connector: serialdev,/dev/b,115200n81\n");
  CHECK(c.meters[0].name == "p1-meter");
  CHECK(c.meters[1].name == "p1-meter-2");
}

TEST_CASE("unsupported ser2net constructs are refused with their line") {
  const std::string conn = "connection: &p1\n  accepter: tcp,2001\n";         // lines 1-2
  const std::string dev = "  connector: serialdev,/dev/ttyUSB0,115200n81\n";  // line 3
  struct Case {
    std::string text;
    std::string expected;
  };
  std::vector<Case> cases = {
      {"%YAML 1.1\n---\nadmin:\n  accepter: tcp,3000\n",
       "s.yaml:3: 'admin' is not supported by import-ser2net (only connection: blocks); convert "
       "it by hand"},
      {conn + dev + "  speed: 9600\n", "s.yaml:4: unknown connection key 'speed'"},
      {conn + dev + "  options:\n    frobnicate: 1\n",
       "s.yaml:5: unknown ser2net option 'frobnicate'"},
      {conn + dev + "  options: {remaddr: 192.168.1.0/24}\n",
       "s.yaml:4: option 'remaddr' restricts clients and cannot be converted: remove it and set "
       "allow = [...] by hand"},
      {conn + "  connector: *dev\n",
       "s.yaml:3: alias and file substitutions (*dev) are not supported"},
      {"connection: &p1\n  accepter: telnet,ssl,tcp,2001\n" + dev,
       "s.yaml:2: accepter 'telnet,ssl,tcp,2001': only tcp and telnet,tcp accepters can be "
       "converted"},
      {"connection: &p1\n  accepter: tcp,myhost,2001\n" + dev,
       "s.yaml:2: accepter 'tcp,myhost,2001': 'myhost' is not a numeric IPv4 address"},
      {"connection: &p1\n  accepter: tcp,1,2,2001\n" + dev,
       "s.yaml:2: accepter 'tcp,1,2,2001': expected [host,]port after tcp"},
      {conn + "  connector: serialdev,/dev/ttyUSB0,115200x81\n",
       "s.yaml:3: connector 'serialdev,/dev/ttyUSB0,115200x81': bad speed '115200x81'"},
      {conn + "  connector: ipmisol,lan\n",
       "s.yaml:3: connector 'ipmisol,lan': only serialdev and tcp connectors can be converted"},
      {conn + "  connector: tcp,host\n", "s.yaml:3: connector 'tcp,host': expected tcp,host,port"},
      {conn + "connection: &b\n", "s.yaml:1: connection without a connector"},
      {"connection: &p1\n" + dev, "s.yaml:1: connection without an accepter"},
      {conn + dev + "  options:\n    - max-connections\n",
       "s.yaml:5: expected 'option: value', got '- max-connections'"},
      {"---\n- connection\n", "s.yaml:2: YAML lists are not supported by import-ser2net"},
      {conn + "\tconnector: x\n", "s.yaml:3: tabs are not allowed for YAML indentation"},
      {conn + dev + "  options: {max-connections: 0}\n",
       "s.yaml:4: max-connections must be 1..10000, not '0'"},
      {conn + dev + "  enable: maybe\n", "s.yaml:4: enable must be on or off, not 'maybe'"},
      {conn + dev + "  timeout: soon\n",
       "s.yaml:4: timeout must be a number of seconds, not 'soon'"},
      {"connection: p1\n", "s.yaml:1: expected 'connection: &name', got 'connection: p1'"},
      {"%YAML 1.1\n---\n", "s.yaml:3: no 'connection:' blocks found"},
      {conn + dev +
           "connection: &b\n  accepter: tcp,2002\n"
           "  connector: serialdev,/dev/ttyUSB0,9600e71\n",
       "s.yaml:4: device /dev/ttyUSB0 is used at line 1 with other serial settings"},
      {conn + dev + "connection: &b\n  accepter: tcp,2001\n  connector: serialdev,/dev/ttyS0\n",
       "s.yaml: the converted configuration is invalid: converted s.yaml:"},
      {conn + dev + "  enable: off\n", "s.yaml: no enabled connections to convert"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    CHECK_THAT(ImportError(c.text), Catch::Matchers::StartsWith(c.expected));
  }
}

TEST_CASE("unsupported ser2net.conf lines are refused with their line") {
  struct Case {
    std::string text;
    std::string expected;
  };
  std::vector<Case> cases = {
      {"# c\n2001:rawlp:0:/dev/lp0:\n",
       "s.conf:2: state 'rawlp' cannot be converted (raw | telnet | off)"},
      {"2001:raw:x:/dev/ttyUSB0:115200\n",
       "s.conf:1: timeout must be a number of seconds, not 'x'"},
      {"2001:raw:0\n", "s.conf:1: expected port:state:timeout:device[:options]"},
      {"2001:raw:0:\n", "s.conf:1: missing device"},
      {"ROTATOR:rot1:2001 2002\n", "s.conf:1: cannot convert 'ROTATOR:rot1:2001 2002'"},
      {"2001:raw:0:/dev/ttyUSB0:9600 MARK\n", "s.conf:1: parity MARK is not supported"},
      {"2001:raw:0:/dev/ttyUSB0:9600 max-connections=many\n",
       "s.conf:1: max-connections must be 1..10000, not 'many'"},
      {"70000:raw:0:/dev/ttyUSB0:9600\n",
       "s.conf:1: accepter 'tcp,70000': bad port in '0.0.0.0:70000': expected 1-65535"},
      {"# nothing\n\n", "s.conf:3: no port lines found"},
      {"2001:off:0:/dev/ttyUSB0\n", "s.conf: no enabled connections to convert"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    CHECK_THAT(ImportError(c.text, "s.conf"), Catch::Matchers::StartsWith(c.expected));
  }
}

TEST_CASE("import never crashes on arbitrary bytes") {
  std::string out, err;
  std::string junk;
  uint32_t x = 12345;
  for (int round = 0; round < 200; ++round) {
    junk.clear();
    for (int i = 0; i < 300; ++i) {
      x = x * 1103515245 + 12345;
      static const char kAlphabet[] =
          "connection:&accepter tcp,2001\n  {}*|>#\"'-:,/0189\t\x01\xff";
      junk += kAlphabet[(x >> 16) % (sizeof kAlphabet - 1)];
    }
    if (ImportSer2net(junk, "junk", &out, &err)) {
      Parse(out);
    } else {
      CHECK(err.rfind("junk:", 0) == 0);
    }
  }
  // Mutations of real samples reach the deeper paths; whatever is accepted
  // must still be a valid config.
  for (const char* name : {"ser2net-multi.yaml", "ser2net.conf"}) {
    const std::string sample = ReadData(name);
    for (int round = 0; round < 300; ++round) {
      std::string mutated = sample;
      for (int k = 0; k < 3; ++k) {
        x = x * 1103515245 + 12345;
        size_t at = (x >> 8) % mutated.size();
        mutated[at] = static_cast<char>(" :,\n{}*&#-0"[(x >> 4) % 12]);
      }
      if (ImportSer2net(mutated, "m", &out, &err)) {
        Parse(out);
      } else {
        CHECK(err.rfind("m:", 0) == 0);
        CHECK(err.find('\n') == std::string::npos);
      }
    }
  }
}

}  // namespace
}  // namespace p1
