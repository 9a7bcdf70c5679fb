#include "proxy/listener.h"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "config/parse_util.h"

namespace p1 {
namespace {

uint64_t StuckCheckIntervalMs(Millis stuck_timeout) {
  return std::clamp<uint64_t>(static_cast<uint64_t>(stuck_timeout.count()) / 4, 10, 1000);
}

}  // namespace

Listener::Listener(uv_loop_t* loop, ListenerConfig config, SerialSettings serial,
                   SendBatch* batch)
    : loop_(loop),
      config_(std::move(config)),
      serial_(serial),
      batch_(batch),
      acceptor_(loop, {[this](int fd, const sockaddr_storage& peer) { Admit(fd, peer); },
                       [this](uint64_t refused) {
                         stats_.rejected_fds += refused;
                         NoteOutOfFds();
                       },
                       [this](int err) {
                         spdlog::warn("{}: accept: {}", stats_.listener, uv_strerror(err));
                       }}),
      read_buffer_(kReadBufferSize, '\0') {
  stats_.listener = config_.listen.ToString();
  stats_.protocol = std::string(ProtocolName(config_.protocol));
}

Listener::~Listener() { Stop(); }

bool Listener::Start(std::string* err) {
  sockaddr_storage addr{};
  int r = NumericSocketAddress(config_.listen.host, config_.listen.port, &addr);
  if (r == 0) r = acceptor_.Listen(addr);
  if (r == 0) r = sweep_timer_.Init(uv_timer_init, loop_, this);
  if (r == 0) r = stuck_timer_.Init(uv_timer_init, loop_, this);
  if (r == 0) {
    const uint64_t every = StuckCheckIntervalMs(config_.stuck_timeout);
    r = uv_timer_start(stuck_timer_.get(), OnStuckCheck, every, every);
  }
  if (r != 0) {
    *err = "listen " + stats_.listener + ": " + uv_strerror(r);
    Stop();
    return false;
  }
  // Timers alone must not keep the loop alive; the socket does.
  uv_unref(reinterpret_cast<uv_handle_t*>(sweep_timer_.get()));
  uv_unref(reinterpret_cast<uv_handle_t*>(stuck_timer_.get()));
  spdlog::info("listening on {} ({}, port {})", stats_.listener, stats_.protocol, BoundPort());
  return true;
}

void Listener::Stop() {
  sessions_.clear();  // each session's handle closes in its destructor
  acceptor_.Close();
  out_of_fds_ = false;
  sweep_timer_.Reset();
  stuck_timer_.Reset();
  sweep_pending_ = false;
}

uint16_t Listener::BoundPort() const { return acceptor_.port(); }

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
