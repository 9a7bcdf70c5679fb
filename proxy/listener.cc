#include "proxy/listener.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace p1 {
namespace {

const char* ProtocolName(ListenerProtocol p) {
  switch (p) {
    case ListenerProtocol::kRaw:
      return "raw";
    case ListenerProtocol::kTelnet:
      return "telnet";
    case ListenerProtocol::kRfc2217:
      return "rfc2217";
  }
  return "raw";
}

uint64_t StuckCheckIntervalMs(Millis stuck_timeout) {
  return std::clamp<uint64_t>(static_cast<uint64_t>(stuck_timeout.count()) / 4, 10, 1000);
}

}  // namespace

Listener::Listener(uv_loop_t* loop, ListenerConfig config, SerialSettings serial)
    : loop_(loop), config_(std::move(config)), serial_(serial), read_buffer_(kReadBufferSize, '\0') {
  stats_.listener = config_.listen.ToString();
  stats_.protocol = ProtocolName(config_.protocol);
}

Listener::~Listener() { Stop(); }

bool Listener::Start(std::string* err) {
  const std::string where = "listen " + stats_.listener + ": ";
  const std::string host = config_.listen.host.empty() ? "0.0.0.0" : config_.listen.host;
  sockaddr_storage addr{};
  int r = host.find(':') != std::string::npos
              ? uv_ip6_addr(host.c_str(), config_.listen.port, reinterpret_cast<sockaddr_in6*>(&addr))
              : uv_ip4_addr(host.c_str(), config_.listen.port, reinterpret_cast<sockaddr_in*>(&addr));
  if (r == 0) r = server_.Init(uv_tcp_init, loop_, this);
  // "::" is dual stack (flags 0); "0.0.0.0" is IPv4 only by its nature.
  if (r == 0) r = uv_tcp_bind(server_.get(), reinterpret_cast<const sockaddr*>(&addr), 0);
  if (r == 0) {
    r = uv_listen(reinterpret_cast<uv_stream_t*>(server_.get()), kBacklog, OnConnection);
  }
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
  // Timers alone must not keep the loop alive; the socket does.
  uv_unref(reinterpret_cast<uv_handle_t*>(sweep_timer_.get()));
  uv_unref(reinterpret_cast<uv_handle_t*>(stuck_timer_.get()));
  spdlog::info("listening on {} ({}, port {})", stats_.listener, stats_.protocol, BoundPort());
  return true;
}

void Listener::Stop() {
  sessions_.clear();  // each session's handle closes in its destructor
  server_.Reset();
  sweep_timer_.Reset();
  stuck_timer_.Reset();
  sweep_pending_ = false;
}

uint16_t Listener::BoundPort() const {
  if (!server_) return 0;
  sockaddr_storage addr{};
  int len = sizeof(addr);
  if (uv_tcp_getsockname(server_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
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
  // Sessions that fail here only mark themselves closing; the sweep removes
  // them after the loop, so the vector is never modified while iterating.
  for (auto& s : sessions_) s->SendTelegram(chunk, /*replay=*/false);
}

void Listener::DeliverBytes(const OutChunk& chunk) {
  for (auto& s : sessions_) s->SendBytes(chunk);
}

void Listener::OnConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<Listener*>(server->data);
  if (self == nullptr) return;
  if (status < 0) {
    spdlog::warn("{}: accept: {}", self->stats_.listener, uv_strerror(status));
    return;
  }
  self->Accept();
}

// libuv calls OnConnection once per pending connection and stops accepting
// from the socket until we take it, so every call must uv_accept.
void Listener::Accept() {
  UvHandle<uv_tcp_t> tcp;
  if (tcp.Init(uv_tcp_init, loop_, nullptr) != 0) return;
  if (uv_accept(reinterpret_cast<uv_stream_t*>(server_.get()),
                reinterpret_cast<uv_stream_t*>(tcp.get())) != 0) {
    return;
  }
  sockaddr_storage peer{};
  int len = sizeof(peer);
  if (uv_tcp_getpeername(tcp.get(), reinterpret_cast<sockaddr*>(&peer), &len) != 0 ||
      !Allowed(peer)) {
    ++stats_.rejected_allow;
    spdlog::debug("{}: rejected a client outside the allow list", stats_.listener);
    return;  // the handle closes here
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
  auto session = std::make_unique<Session>(this, &config_, serial_, &stats_, std::move(tcp));
  ++stats_.accepted;
  if (!session->Start()) return;
  if (config_.payload == Payload::kTelegrams && config_.replay_last && !latest_.empty()) {
    session->SendTelegram(latest_, /*replay=*/true);
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
  std::erase_if(sessions_, [](const auto& s) { return s->closing(); });
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
