// UvAvahiPoll: Avahi's main-loop abstraction (AvahiPoll, avahi-common/watch.h)
// on a libuv loop, so libavahi-client runs on the gateway's one thread. A
// watch is a uv_poll_t on a dup() of its fd: libdbus sets one watch for
// reading and one for writing on the same socket, and libuv allows a single
// poll handle per descriptor; the dup also means a socket closed before its
// watch is freed never leaves libuv watching a reused fd. A timeout is a
// uv_timer_t; Avahi's absolute gettimeofday() deadline becomes a relative
// delay, rounded up to whole milliseconds of the loop's clock. watch_update, watch_free,
// timeout_update and timeout_free may be called from inside any callback.
// Destroying the poll closes the handles of every watch and timeout still
// alive (avahi_client_free should have freed them all first).
// *loop must outlive this object; the AvahiPoll it hands out lives as long.
#ifndef P1GW_EXPORTERS_MDNS_AVAHI_POLL_H_
#define P1GW_EXPORTERS_MDNS_AVAHI_POLL_H_

#include <avahi-common/watch.h>
#include <uv.h>

#include <cstddef>

namespace p1 {

class UvAvahiPoll {
 public:
  explicit UvAvahiPoll(uv_loop_t* loop);
  ~UvAvahiPoll();
  UvAvahiPoll(const UvAvahiPoll&) = delete;
  UvAvahiPoll& operator=(const UvAvahiPoll&) = delete;

  // The vtable to hand to avahi_client_new().
  const AvahiPoll* api() const { return &api_; }
  uv_loop_t* loop() const { return loop_; }
  // Live watches and timeouts: 0 once the client is freed (tests, leak checks).
  size_t watches() const { return watches_; }
  size_t timeouts() const { return timeouts_; }

 private:
  static AvahiWatch* WatchNew(const AvahiPoll* api, int fd, AvahiWatchEvent event,
                              AvahiWatchCallback callback, void* userdata);
  static void WatchUpdate(AvahiWatch* w, AvahiWatchEvent event);
  static AvahiWatchEvent WatchGetEvents(AvahiWatch* w);
  static void WatchFree(AvahiWatch* w);
  static AvahiTimeout* TimeoutNew(const AvahiPoll* api, const struct timeval* tv,
                                  AvahiTimeoutCallback callback, void* userdata);
  static void TimeoutUpdate(AvahiTimeout* t, const struct timeval* tv);
  static void TimeoutFree(AvahiTimeout* t);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnTimer(uv_timer_t* handle);
  // Starts or stops the watch's poll for the events it wants now.
  static void Arm(AvahiWatch* w);
  // (Re)starts the timer for the absolute deadline `tv`; null: disabled.
  static void ArmTimer(AvahiTimeout* t, const struct timeval* tv);

  uv_loop_t* loop_;
  AvahiPoll api_{};
  // Every live watch and timeout, in two intrusive lists, so the destructor
  // can close what avahi left behind.
  AvahiWatch* watch_list_ = nullptr;
  AvahiTimeout* timeout_list_ = nullptr;
  size_t watches_ = 0;
  size_t timeouts_ = 0;
  AvahiWatch* dispatching_ = nullptr;  // the watch whose callback runs now
};

}  // namespace p1

#endif  // P1GW_EXPORTERS_MDNS_AVAHI_POLL_H_
