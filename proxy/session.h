// Session: one accepted client connection of a Listener. It writes whole
// telegrams (or byte chunks) within a byte bound, reads and discards client
// input (answering telnet negotiation) and reports progress for the stuck
// check. Owned by its Listener; *listener outlives it. Close() closes the
// socket at once; the Listener destroys the object later, never inside a
// broadcast. While the listener's SendBatch is open, a send to a client
// with nothing queued joins the batch; what follows it waits for its result.
#ifndef P1GW_PROXY_SESSION_H_
#define P1GW_PROXY_SESSION_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "config/config.h"
#include "gateway/core/listener_stats.h"
#include "gateway/loop/uv_handle.h"
#include "gateway/loop/out_chunk.h"
#include "proxy/recent_peers.h"
#include "proxy/send_batch.h"
#include "proxy/telnet/telnet_codec.h"

namespace p1 {

class Listener;

class Session : public SendBatch::Client {
 public:
  enum class SendResult { kSent, kDropped, kThrottled, kClosed };

  // `tcp` is an accepted connection from `peer`. *config and *stats belong
  // to the listener and outlive the session.
  Session(Listener* listener, const ListenerConfig* config, const SerialSettings& serial,
          ListenerStats* stats, UvHandle<uv_tcp_t> tcp, PeerAddress peer);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts reading and sends the telnet greeting. False: the session closed.
  bool Start();
  // One whole telegram (the listener's sequence number `seq`): throttled by
  // min_interval unless `replay`, dropped whole when the queue bound would be
  // exceeded. Counts in stats.
  SendResult SendTelegram(const OutChunk& chunk, uint64_t seq, bool replay);
  // A transparent byte chunk: dropped when over the queue bound.
  SendResult SendBytes(const OutChunk& chunk);
  void Close();

  bool closing() const { return closing_; }
  const PeerAddress& peer() const { return peer_; }
  // Sequence number of the last telegram sent to this client, 0 if none.
  uint64_t last_seq() const { return last_seq_; }
  // Bytes accepted for this client and not yet written to the socket.
  size_t Queued() const;

  // SendBatch::Client
  void OnBatchSent(const OutChunk& chunk, int result) override;
  // True when output is pending and none was written for stuck_timeout.
  bool Stuck(uint64_t now_ms) const;

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);

  bool Fits(size_t size) const;
  bool Write(const OutChunk& chunk);
  // Tries a write() and queues what the kernel did not take.
  bool WriteNow(const OutChunk& chunk);
  void FlushTelnetOutput();
  // The connection ended under the client (EOF when `orderly`, else a socket
  // error such as ECONNRESET or EPIPE): closes this session only and counts.
  void Disconnected(bool orderly, const char* why);

  Listener* listener_;             // owns this session
  const ListenerConfig* config_;   // the listener's
  ListenerStats* stats_;           // the listener's
  UvHandle<uv_tcp_t> tcp_;
  std::unique_ptr<TelnetCodec> telnet_;  // telnet and rfc2217 only
  PeerAddress peer_;
  SendBatch* batch_;          // the listener's; null: every write is WriteNow
  OutChunk batched_;          // a batch send on the way (empty: none)
  std::vector<OutChunk> held_;  // written after it, in order
  size_t held_bytes_ = 0;
  uint64_t last_seq_ = 0;
  uint64_t port_requests_ = 0;  // telnet_->port_requests() already counted in stats
  bool closing_ = false;
  bool sent_any_ = false;
  uint64_t last_sent_ms_ = 0;      // loop time of the last telegram sent
  uint64_t last_progress_ms_ = 0;  // loop time of the last completed write / first pending one
};

}  // namespace p1

#endif  // P1GW_PROXY_SESSION_H_
