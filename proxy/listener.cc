#include "proxy/listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "config/parse_util.h"

namespace p1 {
namespace {

uint64_t StuckCheckIntervalMs(Millis stuck_timeout) {
  return std::clamp<uint64_t>(static_cast<uint64_t>(stuck_timeout.count()) / 4, 10, 1000);
}

int LastError() { return uv_translate_sys_error(errno); }

// A non-blocking listening socket bound like uv_tcp_bind(flags 0) does:
// SO_REUSEADDR, and "::" dual stack. Returns the fd or a libuv error.
int OpenListeningSocket(const sockaddr_storage& addr, int backlog) {
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
  if (r == 0) r = ::listen(fd, backlog);
  if (r != 0) {
    r = LastError();
    ::close(fd);
    return r;
  }
  return fd;
}

int OpenReserveFd() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

bool IsOutOfFds(int uv_err) {
  return uv_err == UV_EMFILE || uv_err == UV_ENFILE || uv_err == UV_ENOBUFS || uv_err == UV_ENOMEM;
}

}  // namespace

Listener::Listener(uv_loop_t* loop, ListenerConfig config, SerialSettings serial)
    : loop_(loop), config_(std::move(config)), serial_(serial), read_buffer_(kReadBufferSize, '\0') {
  stats_.listener = config_.listen.ToString();
  stats_.protocol = std::string(ProtocolName(config_.protocol));
}

Listener::~Listener() { Stop(); }

bool Listener::Start(std::string* err) {
  const std::string where = "listen " + stats_.listener + ": ";
  const std::string host = config_.listen.host.empty() ? "0.0.0.0" : config_.listen.host;
  sockaddr_storage addr{};
  int r =
      host.find(':') != std::string::npos
          ? uv_ip6_addr(host.c_str(), config_.listen.port, reinterpret_cast<sockaddr_in6*>(&addr))
          : uv_ip4_addr(host.c_str(), config_.listen.port, reinterpret_cast<sockaddr_in*>(&addr));
  if (r == 0) {
    // "::" is dual stack; "0.0.0.0" is IPv4 only by its nature.
    r = OpenListeningSocket(addr, kBacklog);
    if (r >= 0) {
      listen_fd_ = r;
      r = 0;
    }
  }
  if (r == 0) r = poll_.Init(uv_poll_init_socket, loop_, this, listen_fd_);
  if (r == 0) r = uv_poll_start(poll_.get(), UV_READABLE, OnReadable);
  if (r == 0) r = retry_timer_.Init(uv_timer_init, loop_, this);
  if (r == 0) r = sweep_timer_.Init(uv_timer_init, loop_, this);
  if (r == 0) r = stuck_timer_.Init(uv_timer_init, loop_, this);
  if (r == 0) {
    const uint64_t every = StuckCheckIntervalMs(config_.stuck_timeout);
    r = uv_timer_start(stuck_timer_.get(), OnStuckCheck, every, every);
  }
  if (r != 0) {
    *err = where + uv_strerror(r);
    Stop();
    return false;
  }
  reserve_fd_ = OpenReserveFd();  // without one, clients wait in the backlog instead
  // Timers alone must not keep the loop alive; the socket does (and the
  // retry timer stands in for it while accepting is paused).
  uv_unref(reinterpret_cast<uv_handle_t*>(sweep_timer_.get()));
  uv_unref(reinterpret_cast<uv_handle_t*>(stuck_timer_.get()));
  spdlog::info("listening on {} ({}, port {})", stats_.listener, stats_.protocol, BoundPort());
  return true;
}

void Listener::Stop() {
  sessions_.clear();  // each session's handle closes in its destructor
  poll_.Reset();      // uv_close stops polling at once, so the fd may close now
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
  listen_fd_ = reserve_fd_ = -1;
  out_of_fds_ = false;
  retry_timer_.Reset();
  sweep_timer_.Reset();
  stuck_timer_.Reset();
  sweep_pending_ = false;
}

uint16_t Listener::BoundPort() const {
  if (listen_fd_ < 0) return 0;
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

ListenerStats Listener::Stats() const {
  ListenerStats s = stats_;
  s.clients = ActiveSessions();
  return s;
}

size_t Listener::ActiveSessions() const {
  return static_cast<size_t>(std::count_if(sessions_.begin(), sessions_.end(),
                                           [](const auto& s) { return !s->closing(); }));
}

void Listener::DeliverTelegram(const OutChunk& chunk) {
  latest_ = chunk;
  ++latest_seq_;
  // Sessions that fail here only mark themselves closing; the sweep removes
  // them after the loop, so the vector is never modified while iterating.
  for (auto& s : sessions_) s->SendTelegram(chunk, latest_seq_, /*replay=*/false);
}

void Listener::DeliverBytes(const OutChunk& chunk) {
  for (auto& s : sessions_) s->SendBytes(chunk);
}

void Listener::OnReadable(uv_poll_t* poll, int status, int /*events*/) {
  auto* self = static_cast<Listener*>(poll->data);
  if (self == nullptr) return;
  if (status < 0) {
    spdlog::warn("{}: accept: {}", self->stats_.listener, uv_strerror(status));
    return;
  }
  self->AcceptPending();
}

void Listener::OnAcceptRetry(uv_timer_t* timer) {
  auto* self = static_cast<Listener*>(timer->data);
  if (self == nullptr || !self->poll_) return;
  if (self->reserve_fd_ < 0) self->reserve_fd_ = OpenReserveFd();
  uv_poll_start(self->poll_.get(), UV_READABLE, OnReadable);
}

// The socket is level-triggered: connections beyond kMaxAcceptsPerTurn are
// taken on the next turn, after the loop served everything else.
void Listener::AcceptPending() {
  for (int i = 0; i < kMaxAcceptsPerTurn; ++i) {
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      Admit(fd, peer);
      continue;
    }
    const int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK) return;
    // Connection-specific failures (reset before we took it, network errors
    // accept(2) passes on): that one client is gone, take the next.
    if (err == EINTR || err == ECONNABORTED || err == EPROTO || err == ENETDOWN ||
        err == ENOPROTOOPT || err == EHOSTDOWN || err == ENONET || err == EHOSTUNREACH ||
        err == EOPNOTSUPP || err == ENETUNREACH) {
      continue;
    }
    if (IsOutOfFds(uv_translate_sys_error(err))) {
      RejectForFds();
    } else {
      spdlog::warn("{}: accept: {}", stats_.listener, std::strerror(err));
    }
    return;
  }
}

// Out of descriptors, a pending client can only be refused: the spare
// descriptor is given up to take each one and close it at once (so it sees
// the connection end instead of hanging in the backlog), then taken back.
void Listener::RejectForFds() {
  NoteOutOfFds();
  if (reserve_fd_ >= 0) {
    ::close(reserve_fd_);
    reserve_fd_ = -1;
    for (int i = 0; i < kMaxAcceptsPerTurn; ++i) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        break;
      }
      ::close(fd);
      ++stats_.rejected_fds;
    }
    reserve_fd_ = OpenReserveFd();
  }
  if (reserve_fd_ < 0 && poll_ && retry_timer_) {
    // No spare descriptor: clients wait in the backlog; a readable socket
    // must not spin the loop meanwhile.
    uv_poll_stop(poll_.get());
    uv_timer_start(retry_timer_.get(), OnAcceptRetry, kAcceptRetryMs, 0);
  }
}

void Listener::NoteOutOfFds() {
  if (out_of_fds_) return;
  out_of_fds_ = true;
  spdlog::warn(
      "{}: out of file descriptors: refusing new clients until one can be accepted "
      "(raise the limit: LimitNOFILE= / ulimit -n)",
      stats_.listener);
}

void Listener::Admit(int fd, const sockaddr_storage& peer) {
  UvHandle<uv_tcp_t> tcp;
  int r = tcp.Init(uv_tcp_init, loop_, nullptr);
  if (r == 0) r = uv_tcp_open(tcp.get(), fd);
  if (r != 0) {
    ::close(fd);  // uv_tcp_open takes the fd only when it succeeds
    if (IsOutOfFds(r)) {
      ++stats_.rejected_fds;
      NoteOutOfFds();
    } else {
      spdlog::debug("{}: dropped a client: {}", stats_.listener, uv_strerror(r));
    }
    return;  // the handle closes here
  }
  if (out_of_fds_) {
    out_of_fds_ = false;
    spdlog::info("{}: accepting clients again ({} refused for lack of file descriptors so far)",
                 stats_.listener, stats_.rejected_fds);
  }
  if (!Allowed(peer)) {
    ++stats_.rejected_allow;
    spdlog::debug("{}: rejected a client outside the allow list", stats_.listener);
    return;
  }
  if (config_.max_clients > 0 && ActiveSessions() >= static_cast<size_t>(config_.max_clients)) {
    if (!config_.kick_old) {
      ++stats_.rejected_max_clients;
      spdlog::debug("{}: rejected a client: max_clients {} reached", stats_.listener,
                    config_.max_clients);
      return;
    }
    for (auto& s : sessions_) {
      if (!s->closing()) {
        s->Close();
        ++stats_.kicked;
        break;
      }
    }
  }
  const PeerAddress address = PeerAddress::From(peer);
  auto session =
      std::make_unique<Session>(this, &config_, serial_, &stats_, std::move(tcp), address);
  ++stats_.accepted;
  if (!session->Start()) return;
  if (config_.payload == Payload::kTelegrams && config_.replay_last && !latest_.empty()) {
    // Clients that reconnect for every reading (DSMR-reader) would otherwise
    // get the telegram they already have: replay only what this address has
    // not been sent, by an earlier or a still-open session.
    uint64_t seen = peers_.LastSeq(address);
    for (const auto& s : sessions_) {
      if (s->peer() == address) seen = std::max(seen, s->last_seq());
    }
    if (seen < latest_seq_) {
      session->SendTelegram(latest_, latest_seq_, /*replay=*/true);
    } else {
      spdlog::debug("{}: no replay: this client address already has the latest telegram",
                    stats_.listener);
    }
  }
  sessions_.push_back(std::move(session));
}

bool Listener::Allowed(const sockaddr_storage& peer) const {
  if (config_.allow.empty()) return true;
  const uint8_t* addr = nullptr;
  size_t len = 0;
  if (peer.ss_family == AF_INET) {
    addr = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(&peer)->sin_addr);
    len = 4;
  } else if (peer.ss_family == AF_INET6) {
    addr =
        reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_addr);
    len = 16;
  } else {
    return false;
  }
  return std::any_of(config_.allow.begin(), config_.allow.end(),
                     [&](const Cidr& c) { return CidrContains(c, addr, len); });
}

void Listener::RequestSweep() {
  if (sweep_pending_ || !sweep_timer_) return;
  sweep_pending_ = true;
  uv_timer_start(sweep_timer_.get(), OnSweep, 0, 0);
}

void Listener::OnSweep(uv_timer_t* timer) {
  auto* self = static_cast<Listener*>(timer->data);
  if (self != nullptr) self->Sweep();
}

void Listener::Sweep() {
  sweep_pending_ = false;
  const bool replays = config_.payload == Payload::kTelegrams && config_.replay_last;
  std::erase_if(sessions_, [&](const auto& s) {
    if (!s->closing()) return false;
    if (replays && s->last_seq() > 0) peers_.Record(s->peer(), s->last_seq());
    return true;
  });
}

void Listener::OnStuckCheck(uv_timer_t* timer) {
  auto* self = static_cast<Listener*>(timer->data);
  if (self != nullptr) self->CheckStuck();
}

void Listener::CheckStuck() {
  const uint64_t now = uv_now(loop_);
  for (auto& s : sessions_) {
    if (s->Stuck(now)) {
      spdlog::info("{}: dropping a client that took no data for {} ms", stats_.listener,
                   config_.stuck_timeout.count());
      s->Close();
      ++stats_.kicked;
    }
  }
}

}  // namespace p1
