#include "config/config_checks.h"

namespace p1 {
namespace {

bool IsV6(const SocketAddress& a) { return a.host.find(':') != std::string::npos; }

bool Overlaps(const SocketAddress& a, const SocketAddress& b) {
  if (a.port != b.port) return false;
  if (a.host == b.host) return true;
  if (a.host == "::" || b.host == "::") return true;
  if (a.host == "0.0.0.0") return !IsV6(b);
  if (b.host == "0.0.0.0") return !IsV6(a);
  return false;
}

}  // namespace

bool AddressChecker::Add(const SocketAddress& address, std::string owner, Position pos,
                         std::string* clash) {
  for (const Entry& e : entries_) {
    if (!Overlaps(e.address, address)) continue;
    if (clash != nullptr) {
      *clash = "listen address " + address.ToString() +
               (e.address == address ? " is already used by "
                                     : " overlaps " + e.address.ToString() + " of ") +
               e.owner + " (" + e.pos.Describe() + ")";
    }
    return false;
  }
  entries_.push_back(Entry{address, std::move(owner), pos});
  return true;
}

}  // namespace p1
