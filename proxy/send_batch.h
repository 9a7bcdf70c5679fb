// SendBatch: hands one telegram's sends to all its clients to the kernel in
// one io_uring_enter instead of one write() per client. Between Begin() and
// End() a client Add()s its send; End() submits them all and reports each
// result to its client (a socket send with MSG_DONTWAIT completes during
// the submit, so the reports come before End() returns; any that the kernel
// finishes later arrive through the ring's eventfd, watched by the loop).
// A client that goes away calls Forget(); the chunk stays held until the
// kernel is done with it. *loop must outlive this object, and this object
// every client that uses it.
#ifndef P1GW_PROXY_SEND_BATCH_H_
#define P1GW_PROXY_SEND_BATCH_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/loop/out_chunk.h"
#include "gateway/loop/uv_handle.h"

struct io_uring;

namespace p1 {

class SendBatch {
 public:
  class Client {
   public:
    virtual ~Client() = default;
    // The send of `chunk` ended: `result` bytes were taken (possibly fewer
    // than its size), or -errno (-EAGAIN: the socket buffer was full).
    virtual void OnBatchSent(const OutChunk& chunk, int result) = 0;
  };

  struct Options {
    unsigned entries = 256;  // sends per submission; more are submitted in parts
    // Tests: every send goes through the kernel's workers and is reported
    // through the eventfd and the loop, never by End(), as a send the kernel
    // could not finish at once would be.
    bool late = false;
  };
  // The ring, or nullptr with *why when the kernel (or a seccomp filter)
  // refuses io_uring or its send operation.
  static std::unique_ptr<SendBatch> Create(uv_loop_t* loop, std::string* why, Options options);
  static std::unique_ptr<SendBatch> Create(uv_loop_t* loop, std::string* why) {
    return Create(loop, why, Options{});
  }
  ~SendBatch();
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;

  // Batches nest; the outermost End() submits.
  void Begin() { ++depth_; }
  void End();
  bool open() const { return depth_ > 0; }
  // Queues a send of all of `chunk` on socket `fd`. Only while open().
  void Add(Client* client, int fd, const OutChunk& chunk);
  // `client` is gone: its sends complete unreported.
  void Forget(Client* client);

  // For tests and benchmarks.
  uint64_t submits() const { return submits_; }
  uint64_t sends() const { return sends_; }
  uint64_t late_completions() const { return late_; }
  uint32_t in_flight() const { return in_flight_; }

 private:
  struct Done {
    uint32_t index;
    int result;
  };
  struct Slot {
    Client* client = nullptr;
    OutChunk chunk;
  };
  SendBatch(std::unique_ptr<io_uring> ring, int event_fd, bool late);
  static void OnEvent(uv_poll_t* handle, int status, int events);
  void Submit();
  // Reports every completion the ring holds.
  void Reap();
  void KeepAlive();

  std::unique_ptr<io_uring> ring_;
  int event_fd_;
  bool late_sends_;
  UvHandle<uv_poll_t> event_;
  std::vector<Slot> slots_;      // indexed by the SQE's user_data
  std::vector<uint32_t> free_;   // unused slot indices
  std::vector<Done> done_;       // Reap's scratch
  uint32_t queued_ = 0;          // SQEs prepared and not submitted
  uint32_t in_flight_ = 0;       // submitted, no completion yet
  int depth_ = 0;
  uint64_t submits_ = 0;
  uint64_t sends_ = 0;
  uint64_t late_ = 0;  // completions that came through the eventfd
};

}  // namespace p1

#endif  // P1GW_PROXY_SEND_BATCH_H_
