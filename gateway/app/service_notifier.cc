#include "gateway/app/service_notifier.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace p1 {
namespace {

// STATUS= is refreshed at least this often when nothing else ticks faster.
constexpr uint64_t kStatusTickMs = 1000;

uint64_t MonotonicUsec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

}  // namespace

ServiceNotifier::ServiceNotifier(uv_loop_t* loop, std::function<std::string()> status)
    : loop_(loop), status_(std::move(status)) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  active_ = socket != nullptr && socket[0] != '\0';
  if (!active_) return;
  uint64_t usec = 0;
  // > 0 only when $WATCHDOG_USEC is set and $WATCHDOG_PID (if set) is us.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) watchdog_ms_ = std::max<uint64_t>(1, usec / 2000);
}

void ServiceNotifier::Ready() {
  if (!active_) return;
  Send("READY=1\n", true, true);
  if (timer_) return;
  uint64_t tick = watchdog_ms_ != 0 ? std::min(watchdog_ms_, kStatusTickMs) : kStatusTickMs;
  if (timer_.Init(uv_timer_init, loop_, this) != 0) return;
  uv_timer_start(timer_.get(), OnTick, tick, tick);
  if (watchdog_ms_ != 0) spdlog::info("systemd watchdog: pinging every {} ms", watchdog_ms_);
}

void ServiceNotifier::Reloading() {
  if (!active_) return;
  Send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(MonotonicUsec()) + "\n", false, true);
}

void ServiceNotifier::Stopping() {
  if (!active_) return;
  timer_.Reset();
  Send("STOPPING=1\n", false, false);
}

void ServiceNotifier::OnTick(uv_timer_t* timer) {
  auto* self = static_cast<ServiceNotifier*>(timer->data);
  if (self == nullptr) return;
  self->Send("", false, true);
}

void ServiceNotifier::Send(const std::string& state, bool force_status, bool ping) {
  std::string msg = state;
  std::string status = status_();
  if (force_status || status != last_status_) {
    msg += "STATUS=" + status + "\n";
    last_status_ = std::move(status);
  }
  if (ping && watchdog_ms_ != 0) msg += "WATCHDOG=1\n";
  if (msg.empty()) return;
  int r = sd_notify(0, msg.c_str());
  if (r < 0) spdlog::debug("sd_notify: {}", std::strerror(-r));
}

}  // namespace p1
