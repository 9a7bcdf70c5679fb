// ServiceNotifier: tells systemd how the service is doing (Type=notify,
// sd_notify(3)): READY=1 once every listener is bound, STATUS= lines
// ("3 meters, 2 up, 14 clients"), RELOADING=1 and READY=1 around a reload,
// STOPPING=1, and WATCHDOG=1 from a timer on the gateway's own loop, so a
// loop that stops turning misses WatchdogSec= and systemd restarts it.
// Without $NOTIFY_SOCKET (not started by systemd) nothing is sent and no
// timer runs.
#ifndef P1GW_GATEWAY_APP_SERVICE_NOTIFIER_H_
#define P1GW_GATEWAY_APP_SERVICE_NOTIFIER_H_

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "gateway/loop/uv_handle.h"

namespace p1 {

class ServiceNotifier {
 public:
  // `status` yields the STATUS= text; it is called on the loop once per tick
  // and sent only when it changed.
  ServiceNotifier(uv_loop_t* loop, std::function<std::string()> status);

  // READY=1 with the current status; starts the tick timer.
  void Ready();
  // RELOADING=1 (with MONOTONIC_USEC, as systemd 253's notify-reload wants).
  void Reloading();
  // STOPPING=1; stops the timer, so the loop can end.
  void Stopping();

  bool active() const { return active_; }
  // The watchdog ping interval: half of $WATCHDOG_USEC; 0 without a watchdog.
  uint64_t watchdog_ms() const { return watchdog_ms_; }

 private:
  static void OnTick(uv_timer_t* timer);
  // `state` ("READY=1\n", "" ...) followed by STATUS= if it changed (or
  // `force_status`) and WATCHDOG=1 when the watchdog is on and `ping`.
  void Send(const std::string& state, bool force_status, bool ping);

  uv_loop_t* loop_;
  std::function<std::string()> status_;
  bool active_ = false;
  uint64_t watchdog_ms_ = 0;
  std::string last_status_;
  UvHandle<uv_timer_t> timer_;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_APP_SERVICE_NOTIFIER_H_
