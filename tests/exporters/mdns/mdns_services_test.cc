// What is advertised: names within 63 bytes, the TXT records Home
// Assistant's homewizard zeroconf step and openHAB's ser2net discovery
// read, and nothing for loopback-only listeners.
#include "exporters/mdns/mdns_services.h"

#include <catch2/catch.hpp>
#include <string>

#include "exporters/json/homewizard.h"

namespace p1 {
namespace {

const MdnsService* Find(const std::vector<MdnsService>& v, const std::string& type, uint16_t port) {
  for (const MdnsService& s : v) {
    if (s.type == type && s.port == port) return &s;
  }
  return nullptr;
}

MdnsPlanInput OneMeter() {
  MdnsPlanInput in;
  in.host = "pi";
  MdnsPlanInput::Meter m;
  m.name = "home";
  m.listeners = {{ListenerProtocol::kRaw, "0.0.0.0", 2001},
                 {ListenerProtocol::kTelnet, "::", 2002},
                 {ListenerProtocol::kRfc2217, "0.0.0.0", 2003}};
  m.homewizard_host = "0.0.0.0";
  m.homewizard_port = 8081;
  in.meters.push_back(m);
  in.http_host = "0.0.0.0";
  in.http_port = 9464;
  return in;
}

TEST_CASE("a meter's HomeWizard port has all five TXT keys Home Assistant requires", "[mdns]") {
  auto v = PlanMdnsServices(OneMeter());
  const MdnsService* hw = Find(v, "_hwenergy._tcp", 8081);
  REQUIRE(hw != nullptr);
  CHECK(hw->name == "p1gateway home on pi");
  CHECK(hw->txt == std::vector<std::string>{"api_enabled=1", "path=/api/v1",
                                            "serial=" + HomeWizardSerial("home"),
                                            "product_name=P1 meter", "product_type=HWE-P1"});
  CHECK(HomeWizardSerial("home").size() == 12);  // the same serial GET /api answers
}

TEST_CASE("each proxy listener is an _iostream._tcp with provider, meter and gensio stack",
          "[mdns]") {
  auto v = PlanMdnsServices(OneMeter());
  const MdnsService* raw = Find(v, "_iostream._tcp", 2001);
  const MdnsService* telnet = Find(v, "_iostream._tcp", 2002);
  const MdnsService* rfc = Find(v, "_iostream._tcp", 2003);
  REQUIRE(raw != nullptr);
  REQUIRE(telnet != nullptr);
  REQUIRE(rfc != nullptr);
  CHECK(raw->name == "p1gateway home raw on pi");
  CHECK(raw->txt ==
        std::vector<std::string>{"provider=p1gateway", "meter=home", "gensiostack=tcp"});
  CHECK(telnet->txt.back() == "gensiostack=telnet,tcp");
  // openHAB's Ser2NetUsbSerialDiscovery accepts only this stack.
  CHECK(rfc->txt.back() == "gensiostack=telnet(rfc2217),tcp");
  CHECK(rfc->name == "p1gateway home rfc2217 on pi");
}

TEST_CASE("the HTTP port is _http._tcp at / and _prometheus-http._tcp at /metrics", "[mdns]") {
  auto v = PlanMdnsServices(OneMeter());
  REQUIRE(v.size() == 6);
  const MdnsService* page = Find(v, "_http._tcp", 9464);
  const MdnsService* prom = Find(v, "_prometheus-http._tcp", 9464);
  REQUIRE(page != nullptr);
  REQUIRE(prom != nullptr);
  CHECK(page->name == "p1gateway on pi");
  CHECK(page->txt == std::vector<std::string>{"path=/"});
  CHECK(prom->txt == std::vector<std::string>{"path=/metrics"});
}

TEST_CASE("loopback-only ports are not advertised; a repeated protocol names its port", "[mdns]") {
  MdnsPlanInput in = OneMeter();
  in.meters[0].listeners = {{ListenerProtocol::kRaw, "0.0.0.0", 2001},
                            {ListenerProtocol::kRaw, "0.0.0.0", 2011},
                            {ListenerProtocol::kRaw, "127.0.0.1", 2021},
                            {ListenerProtocol::kTelnet, "::1", 2022}};
  in.meters[0].homewizard_host = "127.0.0.1";
  in.http_host = "127.0.0.1";
  auto v = PlanMdnsServices(in);
  REQUIRE(v.size() == 2);
  CHECK(v[0].name == "p1gateway home raw 2001 on pi");
  CHECK(v[1].name == "p1gateway home raw 2011 on pi");
}

TEST_CASE("names fit a 63-byte DNS label and a custom prefix replaces p1gateway", "[mdns]") {
  CHECK(MdnsServiceName("p1gateway home", "pi") == "p1gateway home on pi");
  const std::string host(50, 'h');
  CHECK(MdnsServiceName("p1gateway home", host) == "p1gateway home");  // host part dropped
  const std::string meter = std::string(64, 'm');
  CHECK(MdnsServiceName("p1gateway " + meter, "pi").size() == 63);
  // Cut at a character boundary: "é" is two bytes and never split.
  std::string e;
  for (int i = 0; i < 40; ++i) e += "\xC3\xA9";
  const std::string cut = MdnsServiceName(e, "");
  CHECK(cut.size() == 62);
  MdnsPlanInput in = OneMeter();
  in.prefix = "Zählerschrank";
  auto v = PlanMdnsServices(in);
  CHECK(Find(v, "_hwenergy._tcp", 8081)->name == "Zählerschrank home on pi");
  for (const MdnsService& s : PlanMdnsServices(in)) CHECK(s.name.size() <= 63);
}

}  // namespace
}  // namespace p1
