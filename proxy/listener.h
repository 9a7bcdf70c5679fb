// Listener: one listening socket of a Hub with its client sessions. It
// accepts connections through an Acceptor (running out of file descriptors
// is counted and logged), admits clients (allow list, max_clients / kick_old), delivers each
// telegram or byte chunk to every session and drops stuck clients. *loop outlives it; destroying it
// closes the socket, its timers and every session (the handles free themselves once the loop runs
// their closes).
#ifndef P1GW_PROXY_LISTENER_H_
#define P1GW_PROXY_LISTENER_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/core/listener_stats.h"
#include "gateway/loop/acceptor.h"
#include "gateway/loop/out_chunk.h"
#include "gateway/loop/uv_handle.h"
#include "proxy/recent_peers.h"
#include "proxy/send_batch.h"
#include "proxy/session.h"

namespace p1 {

class Listener {
 public:
  // Client input is discarded (raw) or is telnet negotiation (a few bytes);
  // libuv loops reads, so 2 KiB is plenty (16 KiB per listener was RSS for nothing).
  static constexpr size_t kReadBufferSize = 2 * 1024;

  // `batch` (may be null: plain writes) must outlive the Listener; its
  // sessions join the batch the Hub opens around each delivery.
  Listener(uv_loop_t* loop, ListenerConfig config, SerialSettings serial,
           SendBatch* batch = nullptr);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds and listens. err: "listen 0.0.0.0:2001: address already in use".
  bool Start(std::string* err);
  // Closes the listening socket and every session.
  void Stop();

  // Sends a whole telegram (already escaped for this listener's protocol) to
  // every session and keeps it for replay_last.
  void DeliverTelegram(const OutChunk& chunk);
  // Sends a transparent byte chunk to every session.
  void DeliverBytes(const OutChunk& chunk);

  const ListenerConfig& config() const { return config_; }
  const SerialSettings& serial() const { return serial_; }
  ListenerStats Stats() const;
  uint16_t BoundPort() const;

  // For sessions: schedules removal of closed sessions on the next loop turn.
  void RequestSweep();
  // For sessions: scratch space for reads (input is discarded after parsing).
  std::string& read_buffer() { return read_buffer_; }
  SendBatch* send_batch() const { return batch_; }

 private:
  static void OnSweep(uv_timer_t* timer);
  static void OnStuckCheck(uv_timer_t* timer);

  void Admit(int fd, const sockaddr_storage& peer);
  void NoteOutOfFds();
  bool Allowed(const sockaddr_storage& peer) const;
  size_t ActiveSessions() const;
  void Sweep();
  void CheckStuck();

  uv_loop_t* loop_;
  ListenerConfig config_;
  SerialSettings serial_;
  SendBatch* batch_;
  ListenerStats stats_;
  Acceptor acceptor_;
  UvHandle<uv_timer_t> sweep_timer_;
  UvHandle<uv_timer_t> stuck_timer_;
  bool sweep_pending_ = false;
  bool out_of_fds_ = false;                         // logged once, until a client is accepted again
  std::vector<std::unique_ptr<Session>> sessions_;  // in accept order: front is the oldest
  OutChunk latest_;                                 // for replay_last
  uint64_t latest_seq_ = 0;                         // telegrams delivered; latest_ is this one
  RecentPeers peers_;  // what closed sessions were sent, by client address (replay_last)
  std::string read_buffer_;
};

}  // namespace p1

#endif  // P1GW_PROXY_LISTENER_H_
