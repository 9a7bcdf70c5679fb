// SocketAddress and CIDR parsing/matching. Numeric addresses go through
// inet_pton/inet_ntop so the stored text is canonical ("::1", not "0:0::1"),
// which is what duplicate-listener detection compares.
#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "config/config.h"
#include "config/parse_util.h"

namespace p1 {
namespace {

bool ParsePort(std::string_view text, uint16_t* out) {
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < 1 ||
      value > 65535) {
    return false;
  }
  *out = static_cast<uint16_t>(value);
  return true;
}

// Canonical text of a numeric address of family `af`; false if not numeric.
bool CanonicalNumeric(int af, std::string_view text, std::string* out) {
  std::string s(text);
  unsigned char buf[16];
  if (inet_pton(af, s.c_str(), buf) != 1) return false;
  char txt[INET6_ADDRSTRLEN];
  if (inet_ntop(af, buf, txt, sizeof txt) == nullptr) return false;
  *out = txt;
  return true;
}

bool PrefixMatches(const uint8_t* a, const uint8_t* b, unsigned prefix) {
  unsigned full = prefix / 8;
  if (std::memcmp(a, b, full) != 0) return false;
  unsigned rest = prefix % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

}  // namespace

std::string SocketAddress::ToString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

bool SocketAddress::IsWildcard() const { return host == "0.0.0.0" || host == "::"; }

bool ParseSocketAddress(std::string_view text, bool numeric_host, SocketAddress* out,
                        std::string* err) {
  std::string_view host;
  std::string_view port;
  bool bracketed = false;
  if (text.empty()) {
    *err = "empty address";
    return false;
  }
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      *err = "bad address '" + std::string(text) + "': expected [IPv6]:port";
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    bracketed = true;
  } else if (text.find(':') == std::string_view::npos) {
    bool all_digits = text.find_first_not_of("0123456789") == std::string_view::npos;
    if (!all_digits) {
      *err = "bad address '" + std::string(text) + "': missing ':port'";
      return false;
    }
    port = text;
  } else if (text.find(':') != text.rfind(':')) {
    *err = "bad address '" + std::string(text) + "': write IPv6 addresses as [addr]:port";
    return false;
  } else {
    size_t colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  SocketAddress result;
  if (!ParsePort(port, &result.port)) {
    *err = "bad port in '" + std::string(text) + "': expected 1-65535";
    return false;
  }
  if (host.empty()) {
    if (bracketed || !numeric_host) {
      *err = "address '" + std::string(text) + "' needs a host";
      return false;
    }
    result.host = "0.0.0.0";  // ":2001" / "2001": every IPv4 address
  } else if (bracketed) {
    if (!CanonicalNumeric(AF_INET6, host, &result.host)) {
      *err = "bad IPv6 address '" + std::string(host) + "'";
      return false;
    }
  } else if (!CanonicalNumeric(AF_INET, host, &result.host)) {
    if (numeric_host) {
      *err = "'" + std::string(host) +
             "' is not a numeric IPv4 address (listen addresses are numeric; IPv6 as [::1]:port)";
      return false;
    }
    if (!IsValidHostName(host)) {
      *err = "bad host name '" + std::string(host) + "'";
      return false;
    }
    result.host = std::string(host);
  }
  *out = std::move(result);
  return true;
}

bool ParseCidr(std::string_view text, Cidr* out) {
  Cidr result;
  result.text = std::string(text);
  size_t slash = text.find('/');
  std::string addr(text.substr(0, slash));
  if (addr.find(':') != std::string::npos) {
    result.v6 = true;
    if (inet_pton(AF_INET6, addr.c_str(), result.addr.data()) != 1) return false;
  } else if (inet_pton(AF_INET, addr.c_str(), result.addr.data()) != 1) {
    return false;
  }
  unsigned max_prefix = result.v6 ? 128 : 32;
  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || prefix > max_prefix) {
      return false;
    }
  }
  result.prefix = static_cast<uint8_t>(prefix);
  // Host bits are cleared ("192.168.1.7/24" means 192.168.1.0/24), as nginx
  // and iptables do; the text keeps what the user wrote.
  for (unsigned bit = prefix; bit < max_prefix; ++bit) {
    result.addr[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  *out = std::move(result);
  return true;
}

std::string Cidr::ToString() const {
  char txt[INET6_ADDRSTRLEN];
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, addr.data(), txt, sizeof txt) == nullptr) return text;
  return std::string(txt) + "/" + std::to_string(prefix);
}

bool Cidr::operator==(const Cidr& o) const {
  return v6 == o.v6 && addr == o.addr && prefix == o.prefix;
}

bool CidrContains(const Cidr& cidr, const uint8_t* addr, size_t len) {
  if (len == 4) {
    if (!cidr.v6) return PrefixMatches(cidr.addr.data(), addr, cidr.prefix);
    uint8_t mapped[16];
    std::memcpy(mapped, kV4MappedPrefix, 12);
    std::memcpy(mapped + 12, addr, 4);
    return PrefixMatches(cidr.addr.data(), mapped, cidr.prefix);
  }
  if (len == 16) {
    if (cidr.v6) return PrefixMatches(cidr.addr.data(), addr, cidr.prefix);
    if (std::memcmp(addr, kV4MappedPrefix, 12) != 0) return false;
    return PrefixMatches(cidr.addr.data(), addr + 12, cidr.prefix);
  }
  return false;
}

}  // namespace p1
