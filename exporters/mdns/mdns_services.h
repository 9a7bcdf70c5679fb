// Which DNS-SD services the gateway advertises, as plain data: a pure
// function of the running listeners and ports, so the names, ports and TXT
// records are unit-tested without Avahi. Each meter's raw, telnet and
// rfc2217 listener is an `_iostream._tcp` (ser2net's type, which openHAB
// browses), each HomeWizard port an `_hwenergy._tcp` (Home Assistant's
// homewizard integration, TXT as its zeroconf step requires), and the HTTP
// port an `_http._tcp` (the page) and a `_prometheus-http._tcp` (/metrics).
#ifndef P1GW_EXPORTERS_MDNS_MDNS_SERVICES_H_
#define P1GW_EXPORTERS_MDNS_MDNS_SERVICES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace p1 {

struct MdnsService {
  std::string type;  // "_hwenergy._tcp"
  std::string name;  // instance name, at most 63 bytes of UTF-8
  uint16_t port = 0;
  std::vector<std::string> txt;  // "key=value", in this order
  bool operator==(const MdnsService&) const = default;
  std::string Describe() const;  // "'p1gateway home on pi' (_hwenergy._tcp port 8081)"
};

// What is running, with the ports actually bound.
struct MdnsPlanInput {
  struct Listener {
    ListenerProtocol protocol = ListenerProtocol::kRaw;
    std::string host;  // the listen address: loopback ones are not advertised
    uint16_t port = 0;
  };
  struct Meter {
    std::string name;
    std::vector<Listener> listeners;
    std::string homewizard_host;
    uint16_t homewizard_port = 0;  // 0: no HomeWizard API port
  };
  std::vector<Meter> meters;
  std::string http_host;
  uint16_t http_port = 0;            // 0: no HTTP server
  std::string prefix = "p1gateway";  // [mdns] name
  std::string host;                  // this machine's host name
};

// Every service to publish, in a stable order. A name repeated within a
// type (two raw listeners of one meter) gets the port appended.
std::vector<MdnsService> PlanMdnsServices(const MdnsPlanInput& in);

// "<head> on <host>", cut to the 63 bytes a DNS label holds: without the
// host part when that does not fit, then `head` cut at a UTF-8 boundary.
std::string MdnsServiceName(std::string_view head, std::string_view host);

// `gensiostack=` for a listener protocol, as ser2net's mdns-sysattrs says
// it: "tcp", "telnet,tcp", "telnet(rfc2217),tcp".
std::string_view GensioStack(ListenerProtocol protocol);

// 127.0.0.0/8 and ::1: a listener only this machine can reach.
bool IsLoopbackHost(std::string_view host);

}  // namespace p1

#endif  // P1GW_EXPORTERS_MDNS_MDNS_SERVICES_H_
