// RecentPeers: a bounded memory of the last telegram (by the listener's
// sequence number) each recent client address was sent, so replay_last does
// not send a client that reconnects for every reading the telegram it already
// has. Holds at most `capacity` addresses; the oldest-added is forgotten
// first (it then merely gets a replay again). Pure: no sockets, no clock.
#ifndef P1GW_PROXY_RECENT_PEERS_H_
#define P1GW_PROXY_RECENT_PEERS_H_

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace p1 {

// A client's IP address without the port; IPv4 is kept v4-mapped, so the
// same client is one key on an IPv4 and on a dual-stack listener.
struct PeerAddress {
  std::array<uint8_t, 16> bytes{};
  static PeerAddress From(const sockaddr_storage& peer);
  bool operator==(const PeerAddress&) const = default;
};

class RecentPeers {
 public:
  static constexpr size_t kDefaultCapacity = 256;

  explicit RecentPeers(size_t capacity = kDefaultCapacity);

  // `peer` was sent telegram `seq`; a lower seq than already known is ignored.
  void Record(const PeerAddress& peer, uint64_t seq);
  // The highest seq recorded for `peer`, 0 if none (or forgotten).
  uint64_t LastSeq(const PeerAddress& peer) const;
  size_t size() const { return seq_.size(); }

 private:
  struct Hash {
    size_t operator()(const PeerAddress& a) const;
  };

  size_t capacity_;
  std::unordered_map<PeerAddress, uint64_t, Hash> seq_;
  std::vector<PeerAddress> order_;  // ring in insertion order once full
  size_t oldest_ = 0;               // index of the oldest entry in order_ when full
};

}  // namespace p1

#endif  // P1GW_PROXY_RECENT_PEERS_H_
