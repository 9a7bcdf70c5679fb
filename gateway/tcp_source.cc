#include "gateway/tcp_source.h"

#include <spdlog/spdlog.h>

namespace p1 {
namespace {
constexpr uint64_t kConnectTimeoutMs = 10000;
constexpr unsigned kKeepaliveSeconds = 30;
}  // namespace

// A pending DNS request cannot be cancelled synchronously; it carries a back
// pointer that the source clears when it goes away.
struct TcpSource::Resolve {
  uv_getaddrinfo_t req;
  TcpSource* owner;
};

TcpSource::TcpSource(uv_loop_t* loop, SocketAddress address, SourceListener* listener)
    : loop_(loop), address_(std::move(address)), listener_(listener) {}

TcpSource::~TcpSource() {
  if (resolving_ != nullptr) {
    resolving_->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&resolving_->req));
  }
  tcp_.Reset();
  timer_.Reset();
}

std::string TcpSource::Describe() const { return "tcp " + address_.ToString(); }

void TcpSource::Start() {
  if (timer_.Init(uv_timer_init, loop_, this) != 0) return;
  BeginResolve();
}

void TcpSource::BeginResolve() {
  auto* r = new Resolve{{}, this};
  struct addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  std::string port = std::to_string(address_.port);
  int rc = uv_getaddrinfo(loop_, &r->req, OnResolved, address_.host.c_str(), port.c_str(), &hints);
  if (rc != 0) {
    delete r;
    Fail(std::string("resolve: ") + uv_strerror(rc));
    return;
  }
  resolving_ = r;
}

void TcpSource::OnResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  auto* r = reinterpret_cast<Resolve*>(req);
  TcpSource* self = r->owner;
  delete r;
  if (self == nullptr) {
    uv_freeaddrinfo(res);
    return;
  }
  self->resolving_ = nullptr;
  if (status != 0 || res == nullptr) {
    uv_freeaddrinfo(res);
    self->Fail(std::string("resolve ") + self->address_.host + ": " + uv_strerror(status));
    return;
  }
  int rc = self->tcp_.Init(uv_tcp_init, self->loop_, self);
  if (rc == 0) {
    auto* connect = new uv_connect_t;
    rc = uv_tcp_connect(connect, self->tcp_.get(), res->ai_addr, OnConnect);
    if (rc != 0) delete connect;
  }
  uv_freeaddrinfo(res);
  if (rc != 0) {
    self->Fail(std::string("connect: ") + uv_strerror(rc));
    return;
  }
  uv_timer_start(self->timer_.get(), OnTimer, kConnectTimeoutMs, 0);
}

void TcpSource::OnConnect(uv_connect_t* req, int status) {
  // The stream's data is nulled when the source resets the handle; a closed
  // handle reports UV_ECANCELED here.
  auto* self = static_cast<TcpSource*>(req->handle->data);
  delete req;
  if (self == nullptr) return;
  if (status != 0) {
    self->Fail(std::string("connect ") + self->address_.ToString() + ": " + uv_strerror(status));
    return;
  }
  uv_timer_stop(self->timer_.get());
  uv_tcp_keepalive(self->tcp_.get(), 1, kKeepaliveSeconds);
  uv_tcp_nodelay(self->tcp_.get(), 1);
  int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(self->tcp_.get()), OnAlloc, OnRead);
  if (rc != 0) {
    self->Fail(std::string("read: ") + uv_strerror(rc));
    return;
  }
  self->connected_ = true;
  self->reported_down_ = false;
  self->backoff_.Reset();
  spdlog::info("tcp {}: connected", self->address_.ToString());
  self->listener_->OnSourceState(true, "connected");
}

void TcpSource::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<TcpSource*>(handle->data);
  if (self == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  *buf = uv_buf_init(self->buf_, sizeof self->buf_);
}

void TcpSource::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<TcpSource*>(stream->data);
  if (self == nullptr) return;
  if (nread > 0) {
    self->listener_->OnSourceData(std::string_view(buf->base, static_cast<size_t>(nread)));
  } else if (nread < 0) {
    self->Fail(nread == UV_EOF ? std::string("peer closed")
                               : std::string("read: ") + uv_strerror(static_cast<int>(nread)));
  }
}

void TcpSource::OnTimer(uv_timer_t* timer) {
  auto* self = static_cast<TcpSource*>(timer->data);
  if (self == nullptr) return;
  if (self->tcp_) {
    self->Fail("connect " + self->address_.ToString() + ": timed out");
  } else {
    self->BeginResolve();
  }
}

void TcpSource::Fail(const std::string& reason) {
  tcp_.Reset();
  connected_ = false;
  if (!reported_down_) {
    spdlog::warn("tcp {}: {}; retrying", address_.ToString(), reason);
    reported_down_ = true;
  }
  listener_->OnSourceState(false, reason);
  if (timer_) uv_timer_start(timer_.get(), OnTimer, backoff_.Next(), 0);
}

}  // namespace p1
