#include "gateway/loop/acceptor.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace p1 {
namespace {

int LastError() { return uv_translate_sys_error(errno); }

int OpenReserveFd() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

// Failures that concern one connection (reset before it was taken, network
// errors accept(2) passes on): that client is gone, take the next.
bool IsTransient(int err) {
  return err == EINTR || err == ECONNABORTED || err == EPROTO || err == ENETDOWN ||
         err == ENOPROTOOPT || err == EHOSTDOWN || err == ENONET || err == EHOSTUNREACH ||
         err == EOPNOTSUPP || err == ENETUNREACH;
}

}  // namespace

bool IsOutOfFds(int uv_error) {
  return uv_error == UV_EMFILE || uv_error == UV_ENFILE || uv_error == UV_ENOBUFS ||
         uv_error == UV_ENOMEM;
}

int NumericSocketAddress(std::string host, uint16_t port, sockaddr_storage* out) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  *out = {};
  return host.find(':') != std::string::npos
             ? uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(out))
             : uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(out));
}

Acceptor::Acceptor(uv_loop_t* loop, Callbacks callbacks)
    : loop_(loop), callbacks_(std::move(callbacks)) {}

Acceptor::~Acceptor() { Close(); }

int Acceptor::Listen(const sockaddr_storage& addr) {
  Close();
  const bool v6 = addr.ss_family == AF_INET6;
  const int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return LastError();
  const int on = 1, off = 0;
  int r = ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (r == 0 && v6) r = ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
  if (r == 0) {
    r = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr),
               v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  }
  if (r == 0) r = ::listen(fd, kBacklog);
  if (r != 0) {
    r = LastError();
    ::close(fd);
    return r;
  }
  fd_ = fd;
  r = poll_.Init(uv_poll_init_socket, loop_, this, fd_);
  if (r == 0) r = uv_poll_start(poll_.get(), UV_READABLE, OnReadable);
  if (r == 0) r = retry_timer_.Init(uv_timer_init, loop_, this);
  if (r != 0) {
    Close();
    return r;
  }
  reserve_fd_ = OpenReserveFd();  // without one, clients wait in the backlog instead
  return 0;
}

void Acceptor::Close() {
  poll_.Reset();  // uv_close stops polling at once, so the fd may close now
  retry_timer_.Reset();
  if (fd_ >= 0) ::close(fd_);
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
  fd_ = reserve_fd_ = -1;
}

uint16_t Acceptor::port() const {
  if (fd_ < 0) return 0;
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

void Acceptor::OnReadable(uv_poll_t* poll, int status, int /*events*/) {
  auto* self = static_cast<Acceptor*>(poll->data);
  if (self == nullptr) return;
  if (status < 0) {
    if (self->callbacks_.failed) self->callbacks_.failed(status);
    return;
  }
  self->AcceptPending();
}

void Acceptor::OnRetry(uv_timer_t* timer) {
  auto* self = static_cast<Acceptor*>(timer->data);
  if (self == nullptr || !self->poll_) return;
  if (self->reserve_fd_ < 0) self->reserve_fd_ = OpenReserveFd();
  uv_poll_start(self->poll_.get(), UV_READABLE, OnReadable);
}

// The socket is level-triggered: what is left is taken on the next turn.
// A callback may Close() this acceptor, so fd_ is checked on every round.
void Acceptor::AcceptPending() {
  for (int i = 0; i < kMaxAcceptsPerTurn && fd_ >= 0; ++i) {
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    const int fd =
        ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      callbacks_.accepted(fd, peer);
      continue;
    }
    const int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK) return;
    if (IsTransient(err)) continue;
    if (IsOutOfFds(uv_translate_sys_error(err))) {
      RefuseForFds();
    } else if (callbacks_.failed) {
      callbacks_.failed(uv_translate_sys_error(err));
    }
    return;
  }
}

void Acceptor::RefuseForFds() {
  uint64_t refused = 0;
  if (reserve_fd_ >= 0) {
    ::close(reserve_fd_);
    reserve_fd_ = -1;
    for (int i = 0; i < kMaxAcceptsPerTurn; ++i) {
      const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        break;
      }
      ::close(fd);
      ++refused;
    }
    reserve_fd_ = OpenReserveFd();
  }
  if (reserve_fd_ < 0 && poll_ && retry_timer_) {
    // No spare descriptor: clients wait in the backlog; a readable socket
    // must not spin the loop meanwhile.
    uv_poll_stop(poll_.get());
    uv_timer_start(retry_timer_.get(), OnRetry, kRetryMs, 0);
  }
  if (callbacks_.out_of_fds) callbacks_.out_of_fds(refused);
}

}  // namespace p1
