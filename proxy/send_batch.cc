#include "proxy/send_batch.h"

#include <liburing.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace p1 {

std::unique_ptr<SendBatch> SendBatch::Create(uv_loop_t* loop, std::string* why,
                                             Options options) {
  const unsigned entries = options.entries;
  auto ring = std::make_unique<io_uring>();
  // One thread submits, and completions need no task work of their own: the
  // flags spare the kernel some locking where it knows them (6.0+).
  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN;
  int r = io_uring_queue_init_params(entries, ring.get(), &params);
  if (r == -EINVAL) {
    params = io_uring_params{};
    r = io_uring_queue_init_params(entries, ring.get(), &params);
  }
  if (r < 0) {
    *why = std::string("io_uring: ") + std::strerror(-r);
    return nullptr;
  }
  io_uring_probe* probe = io_uring_get_probe_ring(ring.get());
  const bool has_send = probe != nullptr && io_uring_opcode_supported(probe, IORING_OP_SEND);
  if (probe != nullptr) io_uring_free_probe(probe);
  if (!has_send) {
    io_uring_queue_exit(ring.get());
    *why = "io_uring: the kernel has no send operation";
    return nullptr;
  }
  // Only completions the kernel finishes after the submit signal the
  // eventfd; the usual ones, done during it, cost no wakeup.
  const int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0 || io_uring_register_eventfd_async(ring.get(), efd) < 0) {
    *why = std::string("io_uring eventfd: ") + std::strerror(errno);
    if (efd >= 0) ::close(efd);
    io_uring_queue_exit(ring.get());
    return nullptr;
  }
  std::unique_ptr<SendBatch> batch(new SendBatch(std::move(ring), efd, options.late));
  if (r = batch->event_.Init(uv_poll_init, loop, batch.get(), efd); r == 0) {
    r = uv_poll_start(batch->event_.get(), UV_READABLE, OnEvent);
  }
  if (r != 0) {
    *why = std::string("io_uring eventfd: ") + uv_strerror(r);
    return nullptr;
  }
  batch->KeepAlive();  // nothing on the way yet: the watch alone keeps no loop running
  return batch;
}

SendBatch::SendBatch(std::unique_ptr<io_uring> ring, int event_fd, bool late)
    : ring_(std::move(ring)), event_fd_(event_fd), late_sends_(late) {}

SendBatch::~SendBatch() {
  event_.Reset();  // stops watching before the fd closes
  io_uring_queue_exit(ring_.get());
  ::close(event_fd_);
}

void SendBatch::Add(Client* client, int fd, const OutChunk& chunk) {
  io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
  if (sqe == nullptr) {  // more clients than entries: submit this part now
    Submit();
    Reap();
    sqe = io_uring_get_sqe(ring_.get());
  }
  if (sqe == nullptr) {  // the ring refused the submit: report a full socket
    client->OnBatchSent(chunk, -EAGAIN);
    return;
  }
  uint32_t index;
  if (free_.empty()) {
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    index = free_.back();
    free_.pop_back();
  }
  slots_[index] = Slot{client, chunk};
  // MSG_DONTWAIT: a full socket answers -EAGAIN at once instead of the
  // kernel holding the send until it drains; the client then queues it.
  io_uring_prep_send(sqe, fd, chunk.data.data(), chunk.data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, index);
  if (late_sends_) io_uring_sqe_set_flags(sqe, IOSQE_ASYNC);
  ++queued_;
  ++sends_;
}

void SendBatch::End() {
  if (depth_ == 0 || --depth_ > 0) return;
  Submit();
  if (!late_sends_) Reap();  // tests: every report comes through the eventfd
}

void SendBatch::Submit() {
  while (queued_ > 0) {
    const int r = io_uring_submit(ring_.get());
    if (r == -EINTR) continue;
    if (r < 0) {
      // EAGAIN/EBUSY: out of kernel memory or completions; the entries stay
      // in the ring and go with the next submit.
      spdlog::warn("io_uring submit: {}", std::strerror(-r));
      return;
    }
    ++submits_;
    queued_ -= static_cast<uint32_t>(r);
    in_flight_ += static_cast<uint32_t>(r);
    KeepAlive();
    if (r == 0) return;
  }
}

// A send still on its way keeps the loop alive until it is reported: uv_run
// does not poll a loop whose only handle is this one while it is unref'd.
void SendBatch::KeepAlive() {
  auto* watch = reinterpret_cast<uv_handle_t*>(event_.get());
  if (in_flight_ > 0) {
    uv_ref(watch);
  } else {
    uv_unref(watch);
  }
}

void SendBatch::Reap() {
  // Collected first: a report may close a client and so call Forget().
  std::vector<Done> done;
  done.swap(done_);  // keeps the capacity from one telegram to the next
  done.clear();
  unsigned head;
  io_uring_cqe* cqe;
  unsigned n = 0;
  io_uring_for_each_cqe(ring_.get(), head, cqe) {
    done.push_back({static_cast<uint32_t>(io_uring_cqe_get_data64(cqe)), cqe->res});
    ++n;
  }
  io_uring_cq_advance(ring_.get(), n);
  in_flight_ -= n;
  KeepAlive();
  for (const Done& d : done) {
    Slot slot = std::exchange(slots_[d.index], Slot{});
    free_.push_back(d.index);
    if (slot.client != nullptr) slot.client->OnBatchSent(slot.chunk, d.result);
  }
  done.swap(done_);
}

void SendBatch::Forget(Client* client) {
  for (Slot& s : slots_) {
    if (s.client == client) s.client = nullptr;
  }
}

void SendBatch::OnEvent(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<SendBatch*>(handle->data);
  if (self == nullptr || status < 0) return;
  uint64_t count;
  while (::read(self->event_fd_, &count, sizeof count) > 0) {
  }
  const uint32_t before = self->in_flight_;
  self->Reap();
  self->late_ += before - self->in_flight_;
}

}  // namespace p1
