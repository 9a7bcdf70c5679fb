// What `probe` prints and detects, and who holds a port (`list-ports`).
#include <fcntl.h>
#include <pty.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "config/config.h"
#include "gateway/cli/probe.h"
#include "gateway/core/parser.h"
#include "tests/support/corpus_files.h"

namespace p1 {
namespace {

TEST_CASE("probe snippet: the preset, settings that differ from it, and a key for encrypted meters",
          "[probe]") {
  const std::string dev = "/dev/serial/by-id/usb-FTDI-if00";
  CHECK(ProbeSnippet(dev, kSerialDsmr4, "dsmr5") ==
        "[[meters]]\nname = \"home\"\nserial = \"" + dev + "\"\npreset = \"dsmr5\"\n");
  // A DSMR 4 meter left at 7E1: preset dsmr4 plus the two lines that differ.
  CHECK(ProbeSnippet(dev, kProbeSettings[2], "dsmr4") ==
        "[[meters]]\nname = \"home\"\nserial = \"" + dev +
            "\"\npreset = \"dsmr4\"\ndata_bits = 7\nparity = \"even\"\n");
  CHECK(ProbeSnippet(dev, kProbeSettings[3], "dsmr2") ==
        "[[meters]]\nname = \"home\"\nserial = \"" + dev +
            "\"\npreset = \"dsmr2\"\ndata_bits = 8\nparity = \"none\"\n");
  const std::string lu = ProbeSnippet(dev, kSerialDsmr4, "lu");
  CHECK(lu.find("preset = \"lu\"\nkey = \"<32 hex digits") != std::string::npos);
  // Every snippet is a config the gateway accepts once the key is filled in.
  GatewayConfig c;
  std::string err;
  std::string filled = ProbeSnippet(dev, kProbeSettings[2], "dsmr4");
  CHECK(ParseConfig(filled, "probe.toml", &c, &err));
  CHECK(c.meters.at(0).serial_settings == kProbeSettings[2]);
  // An Austrian M-Bus interface found at its 2400 8E1: the preset alone, and the key.
  const std::string at = ProbeSnippet(dev, SerialSettings{2400, 8, Parity::kEven, 1}, "at-mbus");
  CHECK(at.find("preset = \"at-mbus\"\nkey = \"<32 hex digits") != std::string::npos);
  CHECK(at.find("baud") == std::string::npos);
}

TEST_CASE("probe tries the standards first, then the mixes found in the wild", "[probe]") {
  REQUIRE(std::size(kProbeSettings) == 4);
  CHECK(SerialSettingsString(kProbeSettings[0]) == "115200 8N1");
  CHECK(SerialSettingsString(kProbeSettings[1]) == "9600 7E1");
  CHECK(SerialSettingsString(kProbeSettings[2]) == "115200 7E1");
  CHECK(SerialSettingsString(kProbeSettings[3]) == "9600 8N1");
}

TEST_CASE("DetectPreset names the Irish and DSMR 5 corpus meters", "[probe]") {
  struct Case {
    const char* file;
    const char* preset;
  };
  for (const Case& c : {Case{"dsmr_parser__ie-iskra__iskra-ie5t.txt", "ie"},
                        Case{"dsmr_parser__dsmr50__iskra-am550-two-mbus.txt", "dsmr5"}}) {
    const std::string text = testing::ReadCorpusFile(c.file);
    Reading r;
    ParseTelegram(text, &r);
    CHECK(DetectPreset(r, false) == c.preset);
  }
}

TEST_CASE("PortUsers finds this process holding a pty, through a symlink, and no one after close",
          "[probe]") {
  int master = -1, slave = -1;
  char name[128];
  REQUIRE(openpty(&master, &slave, name, nullptr, nullptr) == 0);
  const std::string link = "/tmp/p1gw-probe-test-" + std::to_string(getpid());
  REQUIRE(symlink(name, link.c_str()) == 0);
  const std::vector<std::string> users = PortUsers(link);
  const std::string me = "(pid " + std::to_string(getpid()) + ")";
  bool found = false;
  for (const std::string& u : users) found = found || u.find(me) != std::string::npos;
  CHECK(found);
  close(slave);
  close(master);
  for (const std::string& u : PortUsers(link)) CHECK(u.find(me) == std::string::npos);
  unlink(link.c_str());
  CHECK(PortUsers("/nonexistent/tty").empty());
}

}  // namespace
}  // namespace p1
