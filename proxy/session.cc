#include "proxy/session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>
#include <utility>

#include "gateway/loop/uv_request.h"
#include "proxy/listener.h"

namespace p1 {
namespace {

// A write owns a reference to what it writes until its callback.
using WriteRequest = UvRequest<uv_write_t, OutChunk>;

uv_stream_t* Stream(uv_tcp_t* tcp) { return reinterpret_cast<uv_stream_t*>(tcp); }

}  // namespace

Session::Session(Listener* listener, const ListenerConfig* config, const SerialSettings& serial,
                 ListenerStats* stats, UvHandle<uv_tcp_t> tcp, PeerAddress peer)
    : listener_(listener),
      config_(config),
      stats_(stats),
      tcp_(std::move(tcp)),
      peer_(peer),
      batch_(listener->send_batch()) {
  tcp_.get()->data = this;
  if (config_->protocol != ListenerProtocol::kRaw) {
    telnet_ = std::make_unique<TelnetCodec>(config_->protocol == ListenerProtocol::kRfc2217
                                                ? TelnetCodec::Mode::kRfc2217
                                                : TelnetCodec::Mode::kTelnet,
                                            serial, config_->port_settings);
  }
}

Session::~Session() {
  if (batch_ != nullptr && !batched_.empty()) batch_->Forget(this);
}

bool Session::Start() {
  uv_tcp_t* tcp = tcp_.get();
  uv_tcp_nodelay(tcp, 1);        // a telegram is one write; don't hold its tail back
  uv_tcp_keepalive(tcp, 1, 60);  // vanished peers are found without waiting hours
  // Cap the kernel's share of a stuck client's backlog so queue_bytes is the
  // real per-client bound (autotuning would otherwise let it grow to MBs).
  int sndbuf = static_cast<int>(std::clamp<size_t>(config_->queue_bytes, 4096, 1 << 20));
  uv_send_buffer_size(reinterpret_cast<uv_handle_t*>(tcp), &sndbuf);
  last_progress_ms_ = uv_now(tcp->loop);
  if (const int r = uv_read_start(Stream(tcp), OnAlloc, OnRead); r != 0) {
    Disconnected(false, uv_strerror(r));
    return false;
  }
  if (telnet_) FlushTelnetOutput();
  return !closing_;
}

size_t Session::Queued() const {
  const size_t queued = tcp_ ? uv_stream_get_write_queue_size(Stream(tcp_.get())) : 0;
  return queued + batched_.data.size() + held_bytes_;
}

bool Session::Stuck(uint64_t now_ms) const {
  return !closing_ && Queued() > 0 &&
         now_ms - last_progress_ms_ >= static_cast<uint64_t>(config_->stuck_timeout.count());
}

// An empty queue admits anything, so a telegram larger than queue_bytes still
// reaches a client that keeps up.
bool Session::Fits(size_t size) const {
  const size_t queued = Queued();
  return queued == 0 || queued + size <= config_->queue_bytes;
}

Session::SendResult Session::SendTelegram(const OutChunk& chunk, uint64_t seq, bool replay) {
  if (closing_) return SendResult::kClosed;
  const uint64_t now = uv_now(tcp_.get()->loop);
  if (!replay && sent_any_ && config_->min_interval.count() > 0 &&
      now - last_sent_ms_ < static_cast<uint64_t>(config_->min_interval.count())) {
    ++stats_->throttled_telegrams;
    return SendResult::kThrottled;
  }
  if (!Fits(chunk.data.size())) {
    ++stats_->dropped_telegrams;
    return SendResult::kDropped;
  }
  if (!Write(chunk)) return SendResult::kClosed;
  sent_any_ = true;
  last_sent_ms_ = now;
  last_seq_ = seq;
  return SendResult::kSent;
}

Session::SendResult Session::SendBytes(const OutChunk& chunk) {
  if (closing_) return SendResult::kClosed;
  if (!Fits(chunk.data.size())) {
    ++stats_->dropped_chunks;
    return SendResult::kDropped;
  }
  return Write(chunk) ? SendResult::kSent : SendResult::kClosed;
}

bool Session::Write(const OutChunk& chunk) {
  if (chunk.data.empty()) return true;
  uv_tcp_t* tcp = tcp_.get();
  if (Queued() == 0) last_progress_ms_ = uv_now(tcp->loop);  // the stuck clock starts now
  if (!batched_.empty()) {
    held_.push_back(chunk);
    held_bytes_ += chunk.data.size();
    return true;
  }
  uv_os_fd_t fd;
  if (batch_ != nullptr && batch_->open() && uv_stream_get_write_queue_size(Stream(tcp)) == 0 &&
      uv_fileno(reinterpret_cast<uv_handle_t*>(tcp), &fd) == 0) {
    batched_ = chunk;  // before Add, which may report at once
    batch_->Add(this, fd, chunk);
    return !closing_;
  }
  return WriteNow(chunk);
}

void Session::OnBatchSent(const OutChunk& chunk, int result) {
  batched_ = OutChunk{};
  std::vector<OutChunk> held = std::move(held_);
  held_.clear();
  held_bytes_ = 0;
  if (closing_) return;
  if (result < 0 && result != UV_EAGAIN) {
    Disconnected(false, uv_strerror(result));  // EPIPE, ECONNRESET, ...
    return;
  }
  OutChunk rest = chunk;
  if (result > 0) {
    stats_->bytes_sent += static_cast<size_t>(result);
    last_progress_ms_ = uv_now(tcp_.get()->loop);
    rest.data.remove_prefix(std::min(rest.data.size(), static_cast<size_t>(result)));
  }
  if (!WriteNow(rest)) return;
  for (const OutChunk& c : held) {
    if (!WriteNow(c)) return;
  }
}

// With nothing queued the bytes go straight to the kernel (uv_try_write: one
// write(), no request, no epoll_ctl); only what it did not take is queued.
// libuv refuses the try (EAGAIN) while an earlier write is queued, so bytes
// never overtake each other.
bool Session::WriteNow(const OutChunk& chunk) {
  if (chunk.data.empty()) return true;
  uv_tcp_t* tcp = tcp_.get();
  OutChunk rest = chunk;
  // libuv never writes through the buffer; the cast only satisfies uv_buf_t.
  uv_buf_t buf = uv_buf_init(const_cast<char*>(rest.data.data()),
                             static_cast<unsigned int>(rest.data.size()));
  int r = uv_try_write(Stream(tcp), &buf, 1);
  if (r > 0) {
    stats_->bytes_sent += static_cast<size_t>(r);
    if (static_cast<size_t>(r) == rest.data.size()) return true;
    rest.data.remove_prefix(static_cast<size_t>(r));
    buf = uv_buf_init(const_cast<char*>(rest.data.data()),
                      static_cast<unsigned int>(rest.data.size()));
  } else if (r != UV_EAGAIN) {
    Disconnected(false, uv_strerror(r));  // EPIPE, ECONNRESET, ...
    return false;
  }
  r = WriteRequest::Start(WriteRequest::Make(std::move(rest)), [&](uv_write_t* req) {
    return uv_write(req, Stream(tcp), &buf, 1, OnWrite);
  });
  if (r != 0) {
    Disconnected(false, uv_strerror(r));
    return false;
  }
  return true;
}

void Session::FlushTelnetOutput() {
  std::string out = telnet_->TakeOutput();
  if (telnet_->failed()) {
    Disconnected(false, "telnet protocol error");
    return;
  }
  if (out.empty()) return;
  // Answers to a client that does not read its socket are not worth memory.
  if (!Fits(out.size())) return;
  Write(OutChunk::Of(std::make_shared<const std::string>(std::move(out))));
}

void Session::Disconnected(bool orderly, const char* why) {
  if (closing_) return;
  ++(orderly ? stats_->disconnects_closed : stats_->disconnects_error);
  spdlog::debug("{}: client gone: {}", stats_->listener, why);
  Close();
}

void Session::Close() {
  if (closing_) return;
  closing_ = true;
  tcp_.Reset();  // pending writes complete with UV_ECANCELED and find data == nullptr
  listener_->RequestSweep();
}

void Session::OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
  auto* self = static_cast<Session*>(handle->data);
  if (self == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  std::string& scratch = self->listener_->read_buffer();
  *buf = uv_buf_init(scratch.data(), static_cast<unsigned int>(scratch.size()));
}

// Client input is never forwarded: raw sessions ignore it, telnet sessions
// only feed the negotiation state machine. A read error or EOF ends the session.
void Session::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Session*>(stream->data);
  if (self == nullptr || nread == 0) return;
  if (nread < 0) {
    self->Disconnected(nread == UV_EOF, uv_strerror(static_cast<int>(nread)));
    return;
  }
  if (self->telnet_) {
    self->telnet_->Receive(std::string_view(buf->base, static_cast<size_t>(nread)));
    self->FlushTelnetOutput();
    // A virtual port (rfc2217) changes nothing the client receives; the
    // requests are only logged and counted.
    if (const uint64_t n = self->telnet_->port_requests(); n != self->port_requests_) {
      self->stats_->port_requests += n - self->port_requests_;
      self->port_requests_ = n;
      spdlog::debug("{}: rfc2217 client port: {}", self->stats_->listener,
                    self->telnet_->PortSummary());
    }
  }
}

void Session::OnWrite(uv_write_t* req, int status) {
  const WriteRequest::Ptr w = WriteRequest::Adopt(req);
  auto* self = static_cast<Session*>(req->handle->data);
  if (self == nullptr) return;
  if (status == 0) {
    self->stats_->bytes_sent += w->extra().data.size();
    self->last_progress_ms_ = uv_now(req->handle->loop);
  } else {
    self->Disconnected(false, uv_strerror(status));  // EPIPE, ECONNRESET, ...
  }
}

}  // namespace p1
