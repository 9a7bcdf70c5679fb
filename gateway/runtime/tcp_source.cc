#include "gateway/runtime/tcp_source.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>

#include <cstring>

namespace p1 {
namespace {
constexpr uint64_t kConnectTimeoutMs = 10000;
// A peer that vanished without a FIN or RST is found after about
// idle + interval * count = 60 s, not the kernel's default two hours.
constexpr int kKeepaliveIdleSeconds = 30;
constexpr int kKeepaliveIntervalSeconds = 10;
constexpr int kKeepaliveProbes = 3;
constexpr size_t kMaxAddresses = 16;

std::string AddressText(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET6) {
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(&ss), host, sizeof host);
    return std::string("[") + host + "]";
  }
  uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&ss), host, sizeof host);
  return host;
}

}  // namespace

TcpSource::TcpSource(uv_loop_t* loop, SocketAddress address, Millis silence,
                     SourceListener* listener)
    : loop_(loop), address_(std::move(address)), silence_(silence), listener_(listener) {}

TcpSource::~TcpSource() {
  if (resolving_ != nullptr) {
    resolving_->extra() = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(resolving_->get()));
  }
  tcp_.Reset();
  timer_.Reset();
  silence_timer_.Reset();
}

std::string TcpSource::Describe() const { return "tcp " + address_.ToString(); }

void TcpSource::Start() {
  if (timer_.Init(uv_timer_init, loop_, this) != 0) return;
  if (silence_timer_.Init(uv_timer_init, loop_, this) != 0) return;
  BeginResolve();
}

void TcpSource::BeginResolve() {
  auto r = Resolve::Make(this);
  Resolve* pending = r.get();
  struct addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  std::string port = std::to_string(address_.port);
  int rc = Resolve::Start(std::move(r), [&](uv_getaddrinfo_t* req) {
    return uv_getaddrinfo(loop_, req, OnResolved, address_.host.c_str(), port.c_str(), &hints);
  });
  if (rc != 0) {
    Fail(std::string("resolve: ") + uv_strerror(rc));
    return;
  }
  resolving_ = pending;
}

void TcpSource::OnResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  const Resolve::Ptr request = Resolve::Adopt(req);
  TcpSource* self = request->extra();
  if (self == nullptr) {
    uv_freeaddrinfo(res);
    return;
  }
  self->resolving_ = nullptr;
  self->addresses_.clear();
  for (const addrinfo* ai = res; ai != nullptr && self->addresses_.size() < kMaxAddresses;
       ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    sockaddr_storage ss{};
    std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    self->addresses_.push_back(ss);
  }
  uv_freeaddrinfo(res);
  if (status != 0 || self->addresses_.empty()) {
    self->Fail(std::string("resolve ") + self->address_.host + ": " +
               (status != 0 ? uv_strerror(status) : "no address"));
    return;
  }
  self->next_ = 0;
  self->ConnectNext();
}

void TcpSource::ConnectNext() {
  int rc = tcp_.Init(uv_tcp_init, loop_, this);
  if (rc == 0) {
    rc = Connect::Start(Connect::Make(), [&](uv_connect_t* req) {
      return uv_tcp_connect(req, tcp_.get(), reinterpret_cast<const sockaddr*>(&addresses_[next_]),
                            OnConnect);
    });
  }
  if (rc != 0) {
    ConnectFailed(std::string("connect: ") + uv_strerror(rc));
    return;
  }
  uv_timer_start(timer_.get(), OnTimer, kConnectTimeoutMs, 0);
}

void TcpSource::ConnectFailed(const std::string& reason) {
  tcp_.Reset();
  uv_timer_stop(timer_.get());
  spdlog::debug("tcp {}: {} via {}", address_.ToString(), reason, AddressText(addresses_[next_]));
  if (++next_ < addresses_.size()) {
    ConnectNext();
    return;
  }
  Fail(reason);
}

void TcpSource::OnConnect(uv_connect_t* req, int status) {
  // The stream's data is nulled when the source resets the handle; a closed
  // handle reports UV_ECANCELED here.
  const Connect::Ptr request = Connect::Adopt(req);
  auto* self = static_cast<TcpSource*>(req->handle->data);
  if (self == nullptr) return;
  if (status != 0) {
    self->ConnectFailed(std::string("connect ") + self->address_.ToString() + ": " +
                        uv_strerror(status));
    return;
  }
  uv_timer_stop(self->timer_.get());
  self->Tune();
  int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(self->tcp_.get()), OnAlloc, OnRead);
  if (rc != 0) {
    self->Fail(std::string("read: ") + uv_strerror(rc));
    return;
  }
  self->connected_ = true;
  self->reported_down_ = false;
  self->backoff_.Reset();
  if (self->silence_.count() > 0) {
    uv_timer_start(self->silence_timer_.get(), OnSilence,
                   static_cast<uint64_t>(self->silence_.count()), 0);
  }
  spdlog::info("tcp {}: connected via {}", self->address_.ToString(),
               AddressText(self->addresses_[self->next_]));
  self->listener_->OnSourceState(true, "connected");
}

void TcpSource::Tune() {
  uv_tcp_nodelay(tcp_.get(), 1);
  uv_tcp_keepalive(tcp_.get(), 1, kKeepaliveIdleSeconds);
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(tcp_.get()), &fd) != 0) return;
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &kKeepaliveIntervalSeconds,
             sizeof kKeepaliveIntervalSeconds);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &kKeepaliveProbes, sizeof kKeepaliveProbes);
}

void TcpSource::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<TcpSource*>(handle->data);
  if (self == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  // One buffer for every source on this thread: libuv calls OnRead before
  // the next OnAlloc, and OnSourceData copies what it keeps. A buffer per
  // source was 4 KiB per meter in fleets.
  thread_local char shared[16 * 1024];
  *buf = uv_buf_init(shared, sizeof shared);
}

void TcpSource::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<TcpSource*>(stream->data);
  if (self == nullptr) return;
  if (nread > 0) {
    if (self->silence_.count() > 0) {
      uv_timer_start(self->silence_timer_.get(), OnSilence,
                     static_cast<uint64_t>(self->silence_.count()), 0);
    }
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
    self->ConnectFailed("connect " + self->address_.ToString() + ": timed out");
  } else {
    self->BeginResolve();
  }
}

void TcpSource::OnSilence(uv_timer_t* timer) {
  auto* self = static_cast<TcpSource*>(timer->data);
  if (self == nullptr || !self->connected_) return;
  const std::string reason =
      "no bytes for " + std::to_string(self->silence_.count()) + " ms (silence_timeout)";
  spdlog::warn("tcp {}: {}; reconnecting", self->address_.ToString(), reason);
  self->listener_->OnSourceSilent();
  self->Fail(reason);
}

void TcpSource::Fail(const std::string& reason) {
  tcp_.Reset();
  if (silence_timer_) uv_timer_stop(silence_timer_.get());
  connected_ = false;
  if (!reported_down_) {
    spdlog::warn("tcp {}: {}; retrying", address_.ToString(), reason);
    reported_down_ = true;
  }
  listener_->OnSourceState(false, reason);
  if (timer_) uv_timer_start(timer_.get(), OnTimer, backoff_.Next(), 0);
}

}  // namespace p1
