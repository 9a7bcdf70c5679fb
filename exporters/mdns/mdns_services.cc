#include "exporters/mdns/mdns_services.h"

#include <map>
#include <utility>

#include "config/parse_util.h"
#include "exporters/json/homewizard.h"

namespace p1 {
namespace {

constexpr size_t kMaxLabel = 63;  // bytes of one DNS label (RFC 6763 §4.1.1)

// The longest prefix of `s` of at most `n` bytes that ends on a UTF-8
// character boundary.
std::string_view CutUtf8(std::string_view s, size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

std::string MdnsService::Describe() const {
  return "'" + name + "' (" + type + " port " + std::to_string(port) + ")";
}

std::string MdnsServiceName(std::string_view head, std::string_view host) {
  std::string full = std::string(head) + " on " + std::string(host);
  if (!host.empty() && full.size() <= kMaxLabel) return full;
  return std::string(CutUtf8(head, kMaxLabel));
}

std::string_view GensioStack(ListenerProtocol protocol) {
  switch (protocol) {
    case ListenerProtocol::kRaw:
      return "tcp";
    case ListenerProtocol::kTelnet:
      return "telnet,tcp";
    case ListenerProtocol::kRfc2217:
      return "telnet(rfc2217),tcp";
  }
  return "tcp";
}

bool IsLoopbackHost(std::string_view host) {
  return host == "::1" || host.rfind("127.", 0) == 0 || host == "localhost";
}

std::vector<MdnsService> PlanMdnsServices(const MdnsPlanInput& in) {
  std::vector<MdnsService> out;
  const std::string& p = in.prefix;
  for (const MdnsPlanInput::Meter& m : in.meters) {
    if (m.homewizard_port != 0 && !IsLoopbackHost(m.homewizard_host)) {
      // All five keys, or Home Assistant aborts the discovery
      // (config_flow.py: invalid_discovery_parameters); path must be /api/v1.
      out.push_back({"_hwenergy._tcp",
                     MdnsServiceName(p + " " + m.name, in.host),
                     m.homewizard_port,
                     {"api_enabled=1", "path=/api/v1", "serial=" + HomeWizardSerial(m.name),
                      "product_name=P1 meter", "product_type=HWE-P1"}});
    }
  }
  // Proxy listeners: a name that repeats within the meter and protocol
  // (two raw ports) names its port.
  for (const MdnsPlanInput::Meter& m : in.meters) {
    std::map<ListenerProtocol, int> per_protocol;
    for (const auto& l : m.listeners) {
      if (!IsLoopbackHost(l.host)) ++per_protocol[l.protocol];
    }
    for (const auto& l : m.listeners) {
      if (IsLoopbackHost(l.host) || l.port == 0) continue;
      std::string head = p + " " + m.name + " " + std::string(ProtocolName(l.protocol));
      if (per_protocol[l.protocol] > 1) head += " " + std::to_string(l.port);
      out.push_back({"_iostream._tcp",
                     MdnsServiceName(head, in.host),
                     l.port,
                     {"provider=p1gateway", "meter=" + m.name,
                      "gensiostack=" + std::string(GensioStack(l.protocol))}});
    }
  }
  if (in.http_port != 0 && !IsLoopbackHost(in.http_host)) {
    out.push_back({"_http._tcp", MdnsServiceName(p, in.host), in.http_port, {"path=/"}});
    out.push_back(
        {"_prometheus-http._tcp", MdnsServiceName(p, in.host), in.http_port, {"path=/metrics"}});
  }
  return out;
}

}  // namespace p1
