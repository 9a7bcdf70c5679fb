#include "exporters/mdns/avahi_poll.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>

#include "gateway/loop/uv_handle.h"

// Avahi declares these two opaque; each poll implementation defines them.
struct AvahiWatch {
  p1::UvAvahiPoll* owner = nullptr;
  p1::UvHandle<uv_poll_t> poll;
  int fd = -1;      // Avahi's descriptor, passed back to its callback
  int dup_fd = -1;  // ours, watched by `poll`
  AvahiWatchEvent events = static_cast<AvahiWatchEvent>(0);   // wanted
  AvahiWatchEvent revents = static_cast<AvahiWatchEvent>(0);  // of the running callback
  AvahiWatchCallback callback = nullptr;
  void* userdata = nullptr;
  AvahiWatch* prev = nullptr;
  AvahiWatch* next = nullptr;
};

struct AvahiTimeout {
  p1::UvAvahiPoll* owner = nullptr;
  p1::UvHandle<uv_timer_t> timer;
  AvahiTimeoutCallback callback = nullptr;
  void* userdata = nullptr;
  AvahiTimeout* prev = nullptr;
  AvahiTimeout* next = nullptr;
};

namespace p1 {
namespace {

template <typename T>
void Link(T** head, T* item) {
  item->next = *head;
  if (*head != nullptr) (*head)->prev = item;
  *head = item;
}

template <typename T>
void Unlink(T** head, T* item) {
  if (item->prev != nullptr) item->prev->next = item->next;
  if (item->next != nullptr) item->next->prev = item->prev;
  if (*head == item) *head = item->next;
}

}  // namespace

UvAvahiPoll::UvAvahiPoll(uv_loop_t* loop) : loop_(loop) {
  api_.userdata = this;
  api_.watch_new = WatchNew;
  api_.watch_update = WatchUpdate;
  api_.watch_get_events = WatchGetEvents;
  api_.watch_free = WatchFree;
  api_.timeout_new = TimeoutNew;
  api_.timeout_update = TimeoutUpdate;
  api_.timeout_free = TimeoutFree;
}

UvAvahiPoll::~UvAvahiPoll() {
  while (watch_list_ != nullptr) WatchFree(watch_list_);
  while (timeout_list_ != nullptr) TimeoutFree(timeout_list_);
}

AvahiWatch* UvAvahiPoll::WatchNew(const AvahiPoll* api, int fd, AvahiWatchEvent event,
                                  AvahiWatchCallback callback, void* userdata) {
  auto* self = static_cast<UvAvahiPoll*>(api->userdata);
  const int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return nullptr;
  auto* w = new AvahiWatch;
  if (w->poll.Init(uv_poll_init, self->loop_, w, dup_fd) != 0) {
    close(dup_fd);
    delete w;
    return nullptr;
  }
  w->owner = self;
  w->fd = fd;
  w->dup_fd = dup_fd;
  w->events = event;
  w->callback = callback;
  w->userdata = userdata;
  Link(&self->watch_list_, w);
  ++self->watches_;
  Arm(w);
  return w;
}

void UvAvahiPoll::WatchUpdate(AvahiWatch* w, AvahiWatchEvent event) {
  w->events = event;
  Arm(w);
}

AvahiWatchEvent UvAvahiPoll::WatchGetEvents(AvahiWatch* w) { return w->revents; }

void UvAvahiPoll::WatchFree(AvahiWatch* w) {
  UvAvahiPoll* self = w->owner;
  if (self->dispatching_ == w) self->dispatching_ = nullptr;
  Unlink(&self->watch_list_, w);
  --self->watches_;
  w->poll.Reset();  // stops polling now (uv_close), before the fd goes
  close(w->dup_fd);
  delete w;
}

AvahiTimeout* UvAvahiPoll::TimeoutNew(const AvahiPoll* api, const struct timeval* tv,
                                      AvahiTimeoutCallback callback, void* userdata) {
  auto* self = static_cast<UvAvahiPoll*>(api->userdata);
  auto* t = new AvahiTimeout;
  if (t->timer.Init(uv_timer_init, self->loop_, t) != 0) {
    delete t;
    return nullptr;
  }
  t->owner = self;
  t->callback = callback;
  t->userdata = userdata;
  Link(&self->timeout_list_, t);
  ++self->timeouts_;
  ArmTimer(t, tv);
  return t;
}

void UvAvahiPoll::TimeoutUpdate(AvahiTimeout* t, const struct timeval* tv) { ArmTimer(t, tv); }

void UvAvahiPoll::TimeoutFree(AvahiTimeout* t) {
  UvAvahiPoll* self = t->owner;
  Unlink(&self->timeout_list_, t);
  --self->timeouts_;
  delete t;  // its UvHandle closes the timer; a pending expiry never runs
}

// ERR and HUP need no asking: epoll reports them anyway (libuv as a
// status < 0).
void UvAvahiPoll::Arm(AvahiWatch* w) {
  int mask = 0;
  if (w->events & AVAHI_WATCH_IN) mask |= UV_READABLE | UV_DISCONNECT;
  if (w->events & AVAHI_WATCH_OUT) mask |= UV_WRITABLE;
  if (mask == 0) {
    uv_poll_stop(w->poll.get());
  } else {
    uv_poll_start(w->poll.get(), mask, OnPoll);
  }
}

void UvAvahiPoll::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* w = static_cast<AvahiWatch*>(handle->data);
  if (w == nullptr) return;
  int r = 0;
  if (status < 0) {
    r = AVAHI_WATCH_ERR;
  } else {
    if (events & UV_READABLE) r |= AVAHI_WATCH_IN;
    if (events & UV_WRITABLE) r |= AVAHI_WATCH_OUT;
    if (events & UV_DISCONNECT) r |= AVAHI_WATCH_HUP;
  }
  UvAvahiPoll* self = w->owner;
  w->revents = static_cast<AvahiWatchEvent>(r);
  self->dispatching_ = w;
  w->callback(w, w->fd, w->revents, w->userdata);  // may update or free w
  if (self->dispatching_ != w) return;             // freed
  self->dispatching_ = nullptr;
  w->revents = static_cast<AvahiWatchEvent>(0);
  // After an error libuv has stopped the poll; it stays stopped (no busy
  // loop on a broken fd) until Avahi updates the watch. libdbus, seeing
  // ERR, drops the connection and frees it.
}

// Avahi's deadline is absolute (gettimeofday); libuv's delay is relative to
// the loop's clock, refreshed first so that a long callback before this one
// cannot make the timer fire early. That clock is whole milliseconds,
// truncated: one more millisecond keeps the expiry from coming up to 1 ms
// before the deadline.
void UvAvahiPoll::ArmTimer(AvahiTimeout* t, const struct timeval* tv) {
  if (tv == nullptr) {
    uv_timer_stop(t->timer.get());
    return;
  }
  struct timeval now {};
  gettimeofday(&now, nullptr);
  const int64_t us = (static_cast<int64_t>(tv->tv_sec) - now.tv_sec) * 1000000 +
                     (static_cast<int64_t>(tv->tv_usec) - now.tv_usec);
  const uint64_t ms = us <= 0 ? 0 : static_cast<uint64_t>((us + 999) / 1000) + 1;
  uv_update_time(t->owner->loop_);
  uv_timer_start(t->timer.get(), OnTimer, ms, 0);
}

void UvAvahiPoll::OnTimer(uv_timer_t* handle) {
  auto* t = static_cast<AvahiTimeout*>(handle->data);
  if (t == nullptr) return;
  t->callback(t, t->userdata);  // may update or free t
}

}  // namespace p1
