#include "proxy/recent_peers.h"

#include <netinet/in.h>

#include <cstring>

namespace p1 {

PeerAddress PeerAddress::From(const sockaddr_storage& peer) {
  PeerAddress a;
  if (peer.ss_family == AF_INET6) {
    std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_addr, 16);
  } else if (peer.ss_family == AF_INET) {
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    std::memcpy(a.bytes.data() + 12, &reinterpret_cast<const sockaddr_in*>(&peer)->sin_addr, 4);
  }
  return a;
}

size_t RecentPeers::Hash::operator()(const PeerAddress& a) const {
  uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (uint8_t b : a.bytes) h = (h ^ b) * 1099511628211ull;
  return static_cast<size_t>(h);
}

RecentPeers::RecentPeers(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {
  // Sized once: updates of known peers and evict-then-insert never rehash.
  seq_.reserve(capacity_);
  order_.reserve(capacity_);
}

void RecentPeers::Record(const PeerAddress& peer, uint64_t seq) {
  auto it = seq_.find(peer);
  if (it != seq_.end()) {
    if (seq > it->second) it->second = seq;
    return;
  }
  if (order_.size() < capacity_) {
    order_.push_back(peer);
  } else {
    seq_.erase(order_[oldest_]);
    order_[oldest_] = peer;
    oldest_ = (oldest_ + 1) % capacity_;
  }
  seq_.emplace(peer, seq);
}

uint64_t RecentPeers::LastSeq(const PeerAddress& peer) const {
  auto it = seq_.find(peer);
  return it == seq_.end() ? 0 : it->second;
}

}  // namespace p1
