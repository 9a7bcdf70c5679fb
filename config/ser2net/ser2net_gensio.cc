// gensio accepter/connector strings as ser2net writes them.
#include <charconv>

#include "config/ser2net/ser2net_model.h"

namespace p1 {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Brackets an IPv6 literal so ParseSocketAddress sees "host:port".
std::string JoinHostPort(std::string_view host, std::string_view port) {
  if (host.find(':') != std::string_view::npos) {
    return "[" + std::string(host) + "]:" + std::string(port);
  }
  return std::string(host) + ":" + std::string(port);
}

// Serial line flags that change nothing for a read-only meter port.
constexpr std::string_view kHarmlessSerialFlags[] = {
    "local",   "-local",   "nobreak",          "-nobreak",          "rtscts", "-rtscts",
    "xonxoff", "-xonxoff", "hangup-when-done", "-hangup-when-done", "clocal", "-clocal"};

}  // namespace

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.push_back(Trim(s.substr(start, at - start)));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

bool ParseSer2netBool(std::string_view text, bool* out) {
  for (std::string_view t : {"true", "on", "yes", "1"}) {
    if (text == t) return *out = true;
  }
  for (std::string_view f : {"false", "off", "no", "0"}) {
    if (text == f) {
      *out = false;
      return true;
    }
  }
  return false;
}

bool ParseSpeed(std::string_view spec, SerialSettings* out) {
  size_t i = 0;
  while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') ++i;
  int baud = 0;
  auto [ptr, ec] = std::from_chars(spec.data(), spec.data() + i, baud);
  if (i == 0 || ec != std::errc() || baud < 50 || baud > 4'000'000) return false;
  SerialSettings s = *out;
  s.baud = baud;
  if (i < spec.size()) {
    switch (spec[i] | 0x20) {  // either case
      case 'n':
        s.parity = Parity::kNone;
        break;
      case 'e':
        s.parity = Parity::kEven;
        break;
      case 'o':
        s.parity = Parity::kOdd;
        break;
      default:
        return false;
    }
    ++i;
  }
  if (i < spec.size()) {
    if (spec[i] < '5' || spec[i] > '8') return false;
    s.data_bits = spec[i++] - '0';
  }
  if (i < spec.size()) {
    if (spec[i] != '1' && spec[i] != '2') return false;
    s.stop_bits = spec[i++] - '0';
  }
  if (i != spec.size()) return false;
  *out = s;
  return true;
}

bool ParseAccepter(std::string_view spec, Ser2netPort* port, std::string* why) {
  std::vector<std::string_view> t = Split(spec, ',');
  size_t i = 0;
  port->protocol = ListenerProtocol::kRaw;
  if (t[i] == "telnet" || StartsWith(t[i], "telnet(")) {
    bool rfc2217 = t[i].find("rfc2217") != std::string_view::npos &&
                   t[i].find("rfc2217=false") == std::string_view::npos;
    port->protocol = rfc2217 ? ListenerProtocol::kRfc2217 : ListenerProtocol::kTelnet;
    ++i;
  }
  if (i >= t.size() || (t[i] != "tcp" && !StartsWith(t[i], "tcp("))) {
    *why =
        "accepter '" + std::string(spec) + "': only tcp and telnet,tcp accepters can be converted";
    return false;
  }
  ++i;
  bool v6 = false;
  if (i < t.size() && (t[i] == "ipv4" || t[i] == "ipv6")) v6 = t[i++] == "ipv6";
  std::string_view host;
  std::string_view port_text;
  if (t.size() - i == 1) {
    port_text = t[i];
  } else if (t.size() - i == 2) {
    host = t[i];
    port_text = t[i + 1];
  } else {
    *why = "accepter '" + std::string(spec) + "': expected [host,]port after tcp";
    return false;
  }
  // ser2net binds every address when none is given; so do we (IPv4 unless ipv6).
  if (host.empty() || host == "0.0.0.0") host = v6 ? "::" : "0.0.0.0";
  if (host == "localhost") host = v6 ? "::1" : "127.0.0.1";
  std::string err;
  if (!ParseSocketAddress(JoinHostPort(host, port_text), true, &port->listen, &err)) {
    *why = "accepter '" + std::string(spec) + "': " + err;
    return false;
  }
  return true;
}

bool ParseConnector(std::string_view spec, Ser2netPort* port, std::string* why) {
  std::vector<std::string_view> t = Split(spec, ',');
  if (t[0] == "tcp" || StartsWith(t[0], "tcp(")) {
    std::string err;
    if (t.size() != 3 ||
        !ParseSocketAddress(JoinHostPort(t[1], t[2]), false, &port->remote, &err)) {
      *why = "connector '" + std::string(spec) + "': expected tcp,host,port" +
             (err.empty() ? "" : " (" + err + ")");
      return false;
    }
    port->serial = false;
    return true;
  }
  if (t[0] != "serialdev" && !StartsWith(t[0], "serialdev(") && t[0] != "sdev") {
    *why =
        "connector '" + std::string(spec) + "': only serialdev and tcp connectors can be converted";
    return false;
  }
  if (t.size() < 2 || t[1].empty()) {
    *why = "connector '" + std::string(spec) + "': missing device";
    return false;
  }
  port->serial = true;
  port->device = std::string(t[1]);
  for (size_t i = 2; i < t.size(); ++i) {
    if (!t[i].empty() && t[i][0] >= '0' && t[i][0] <= '9') {
      if (!ParseSpeed(t[i], &port->settings)) {
        *why = "connector '" + std::string(spec) + "': bad speed '" + std::string(t[i]) +
               "' (e.g. 115200n81, 9600e71)";
        return false;
      }
      continue;
    }
    bool harmless = false;
    for (std::string_view f : kHarmlessSerialFlags) harmless = harmless || t[i] == f;
    if (!harmless) port->notes.push_back("serial option '" + std::string(t[i]) + "' ignored");
  }
  return true;
}

}  // namespace p1

namespace p1 {
namespace {

// Options that only shape ser2net's byte stream or its extras; p1gateway
// writes whole telegrams and has its own equivalents where it matters.
constexpr std::string_view kIgnoredOptionPrefixes[] = {"chardelay",
                                                       "dev-to-net-bufsize",
                                                       "net-to-dev-bufsize",
                                                       "mdns",
                                                       "telnet-brk-on-sync",
                                                       "telnet_brk_on_sync",
                                                       "sendon",
                                                       "no-con-to-acc",
                                                       "no-acc-to-con",
                                                       "led-",
                                                       "signature",
                                                       "openstr",
                                                       "closestr",
                                                       "closeon",
                                                       "accepter-retry-time",
                                                       "connector-retry-time",
                                                       "deassert",
                                                       "nodeassert"};
// Options that restrict who may connect: dropping them silently would open
// the port to more clients than the user intended.
constexpr std::string_view kAccessOptions[] = {"remaddr", "allowed-users", "authdir",
                                               "authdir-admin", "pamauth"};

}  // namespace

bool ApplySer2netOption(std::string_view name, std::string_view value, Ser2netPort* port,
                        std::string* why) {
  if (name == "max-connections") {
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), port->max_clients);
    if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() ||
        port->max_clients < 1 || port->max_clients > 10000) {
      *why = "max-connections must be 1..10000, not '" + std::string(value) + "'";
      return false;
    }
    return true;
  }
  if (name == "kickolduser") {
    if (value.empty()) return port->kick_old = true;
    if (!ParseSer2netBool(value, &port->kick_old)) {
      *why = "kickolduser must be true or false, not '" + std::string(value) + "'";
      return false;
    }
    return true;
  }
  for (std::string_view a : kAccessOptions) {
    if (name == a) {
      *why = "option '" + std::string(name) +
             "' restricts clients and cannot be converted: remove it and set allow = [...] by hand";
      return false;
    }
  }
  std::string shown = std::string(name) + (value.empty() ? "" : ": " + std::string(value));
  if (name == "banner") {
    port->notes.push_back(
        "option '" + shown +
        "' dropped: p1gateway sends no banner (it would precede the first telegram)");
    return true;
  }
  if (name.substr(0, 6) == "trace-" || name == "tr" || name == "tw" || name == "tb") {
    port->notes.push_back("option '" + shown + "' dropped: use trace_file on the meter");
    return true;
  }
  for (std::string_view p : kIgnoredOptionPrefixes) {
    if (name.substr(0, p.size()) == p) {
      port->notes.push_back("option '" + shown + "' has no p1gateway equivalent (ignored)");
      return true;
    }
  }
  *why = "unknown ser2net option '" + std::string(name) + "'";
  return false;
}

}  // namespace p1
