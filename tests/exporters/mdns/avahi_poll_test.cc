// UvAvahiPoll: Avahi's watches and timeouts on a libuv loop, driven here
// by pipes, socket pairs and the clock, as libavahi-client's D-Bus glue
// uses them (two watches on one socket, updates and frees from inside
// callbacks, deadlines as absolute gettimeofday() times).
#include "exporters/mdns/avahi_poll.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "tests/support/loop_helpers.h"

namespace p1 {
namespace {

using testing::LoopFixture;

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() { REQUIRE(pipe2(fd, O_CLOEXEC) == 0); }
  ~Pipe() {
    for (int f : fd) {
      if (f >= 0) close(f);
    }
  }
  int r() const { return fd[0]; }
  int w() const { return fd[1]; }
};

struct SocketPair {
  int fd[2] = {-1, -1};
  SocketPair() { REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd) == 0); }
  ~SocketPair() {
    for (int f : fd) {
      if (f >= 0) close(f);
    }
  }
};

// What one watch saw, and what its callback should do next.
struct WatchLog {
  const AvahiPoll* api = nullptr;
  int calls = 0;
  int last_fd = -1;
  AvahiWatchEvent last = static_cast<AvahiWatchEvent>(0);
  AvahiWatchEvent seen_by_get_events = static_cast<AvahiWatchEvent>(0);
  bool drain = true;       // read what arrived (level-triggered polls fire again otherwise)
  bool free_self = false;  // watch_free inside the callback
  bool stop_self = false;  // watch_update(0) inside the callback
};

void OnWatch(AvahiWatch* w, int fd, AvahiWatchEvent event, void* userdata) {
  auto* log = static_cast<WatchLog*>(userdata);
  ++log->calls;
  log->last_fd = fd;
  log->last = event;
  log->seen_by_get_events = log->api->watch_get_events(w);
  if (log->drain && (event & AVAHI_WATCH_IN)) {
    char buf[64];
    (void)read(fd, buf, sizeof buf);
  }
  if (log->stop_self) log->api->watch_update(w, static_cast<AvahiWatchEvent>(0));
  if (log->free_self) log->api->watch_free(w);
}

struct TimeoutLog {
  const AvahiPoll* api = nullptr;
  int calls = 0;
  struct timeval fired_at {};
  bool free_self = false;
  AvahiTimeout* rearm = nullptr;  // another timeout to set 10 ms ahead
};

void OnTimeout(AvahiTimeout* t, void* userdata) {
  auto* log = static_cast<TimeoutLog*>(userdata);
  ++log->calls;
  gettimeofday(&log->fired_at, nullptr);
  if (log->rearm != nullptr) {
    struct timeval tv {};
    gettimeofday(&tv, nullptr);
    tv.tv_usec += 10000;
    if (tv.tv_usec >= 1000000) {
      tv.tv_usec -= 1000000;
      ++tv.tv_sec;
    }
    log->api->timeout_update(log->rearm, &tv);
  }
  if (log->free_self) log->api->timeout_free(t);
}

struct timeval InMs(int ms) {
  struct timeval tv {};
  gettimeofday(&tv, nullptr);
  int64_t us = tv.tv_usec + int64_t{ms} * 1000;
  tv.tv_sec += us / 1000000;
  tv.tv_usec = us % 1000000;
  if (tv.tv_usec < 0) {
    tv.tv_usec += 1000000;
    --tv.tv_sec;
  }
  return tv;
}

int64_t Us(const struct timeval& tv) { return int64_t{tv.tv_sec} * 1000000 + tv.tv_usec; }

// A loop that must end with every handle closed, and the poll on it.
struct PollTest {
  LoopFixture f;
  UvAvahiPoll poll{f.loop()};
  const AvahiPoll* api = poll.api();
  bool Run(const std::function<bool()>& done) { return testing::RunUntil(f.loop(), done, 2000); }
};

TEST_CASE_METHOD(PollTest, "a read watch on a pipe fires when bytes arrive, with Avahi's fd and IN",
                 "[mdns]") {
  Pipe p;
  WatchLog log{api};
  AvahiWatch* w = api->watch_new(api, p.r(), AVAHI_WATCH_IN, OnWatch, &log);
  REQUIRE(w != nullptr);
  CHECK(poll.watches() == 1);
  // A timeout as the clock: it fires first while nothing was written.
  TimeoutLog tlog{api};
  struct timeval soon = InMs(20);
  AvahiTimeout* t = api->timeout_new(api, &soon, OnTimeout, &tlog);
  REQUIRE(Run([&] { return tlog.calls == 1; }));
  CHECK(log.calls == 0);

  REQUIRE(write(p.w(), "x", 1) == 1);
  REQUIRE(Run([&] { return log.calls == 1; }));
  CHECK(log.last_fd == p.r());  // Avahi's descriptor, not the dup the poll watches
  CHECK(log.last == AVAHI_WATCH_IN);
  CHECK(log.seen_by_get_events == AVAHI_WATCH_IN);
  CHECK(api->watch_get_events(w) == 0);  // only inside the callback
  api->watch_free(w);
  api->timeout_free(t);
  CHECK(poll.watches() == 0);
  CHECK(poll.timeouts() == 0);
  CHECK(fcntl(p.r(), F_GETFD) >= 0);  // the watch never closes Avahi's fd
}

TEST_CASE_METHOD(PollTest, "two watches on one socket, for reading and for writing, both fire",
                 "[mdns]") {
  // libdbus sets exactly this; libuv alone allows one poll handle per fd.
  SocketPair s;
  WatchLog in{api}, out{api};
  out.stop_self = true;  // a writable socket would fire on every turn
  AvahiWatch* r = api->watch_new(api, s.fd[0], AVAHI_WATCH_IN, OnWatch, &in);
  AvahiWatch* w = api->watch_new(api, s.fd[0], AVAHI_WATCH_OUT, OnWatch, &out);
  REQUIRE(r != nullptr);
  REQUIRE(w != nullptr);
  REQUIRE(write(s.fd[1], "ping", 4) == 4);
  REQUIRE(Run([&] { return in.calls >= 1 && out.calls >= 1; }));
  CHECK(in.last == AVAHI_WATCH_IN);
  CHECK(out.last == AVAHI_WATCH_OUT);
  CHECK(out.calls == 1);  // stopped from inside its callback

  // Updated back to OUT, it fires again.
  api->watch_update(w, AVAHI_WATCH_OUT);
  REQUIRE(Run([&] { return out.calls == 2; }));
  api->watch_free(r);
  api->watch_free(w);
}

TEST_CASE_METHOD(PollTest, "a watch freed inside its own callback never fires again", "[mdns]") {
  Pipe p;
  WatchLog first{api};
  first.free_self = true;
  first.drain = false;  // bytes left in the pipe: a live watch would fire again
  REQUIRE(api->watch_new(api, p.r(), AVAHI_WATCH_IN, OnWatch, &first) != nullptr);
  REQUIRE(write(p.w(), "ab", 2) == 2);
  REQUIRE(Run([&] { return first.calls == 1; }));
  CHECK(poll.watches() == 0);
  // A second watch on the same fd sees the bytes still there; the freed one
  // does not (its count stays at one while this one fires).
  WatchLog second{api};
  AvahiWatch* w = api->watch_new(api, p.r(), AVAHI_WATCH_IN, OnWatch, &second);
  REQUIRE(Run([&] { return second.calls == 1; }));
  CHECK(first.calls == 1);
  api->watch_free(w);
}

TEST_CASE_METHOD(PollTest, "a watch updated to no events stays quiet until updated again",
                 "[mdns]") {
  Pipe p;
  WatchLog log{api};
  log.stop_self = true;
  log.drain = false;
  AvahiWatch* w = api->watch_new(api, p.r(), AVAHI_WATCH_IN, OnWatch, &log);
  REQUIRE(write(p.w(), "z", 1) == 1);
  REQUIRE(Run([&] { return log.calls == 1; }));
  // The byte is still unread; a 30 ms timeout passes without another call.
  TimeoutLog tlog{api};
  struct timeval soon = InMs(30);
  AvahiTimeout* t = api->timeout_new(api, &soon, OnTimeout, &tlog);
  REQUIRE(Run([&] { return tlog.calls == 1; }));
  CHECK(log.calls == 1);
  log.stop_self = false;
  log.drain = true;
  api->watch_update(w, AVAHI_WATCH_IN);
  REQUIRE(Run([&] { return log.calls == 2; }));
  api->watch_free(w);
  api->timeout_free(t);
}

TEST_CASE_METHOD(PollTest, "a peer that hangs up is reported to the read watch", "[mdns]") {
  SocketPair s;
  WatchLog log{api};
  log.free_self = true;  // as libdbus does on a lost connection
  REQUIRE(api->watch_new(api, s.fd[0], AVAHI_WATCH_IN, OnWatch, &log) != nullptr);
  close(s.fd[1]);
  s.fd[1] = -1;
  REQUIRE(Run([&] { return log.calls == 1; }));
  CHECK((log.last & (AVAHI_WATCH_IN | AVAHI_WATCH_HUP)) != 0);
}

TEST_CASE_METHOD(PollTest, "a timeout fires once, not before its absolute deadline", "[mdns]") {
  TimeoutLog log{api};
  const struct timeval deadline = InMs(50);
  AvahiTimeout* t = api->timeout_new(api, &deadline, OnTimeout, &log);
  REQUIRE(t != nullptr);
  REQUIRE(Run([&] { return log.calls == 1; }));
  CHECK(Us(log.fired_at) >= Us(deadline));
  CHECK(Us(log.fired_at) - Us(deadline) < 500000);
  // One-shot: a second timeout 60 ms out fires while the first stays quiet.
  TimeoutLog later{api};
  const struct timeval next = InMs(60);
  AvahiTimeout* t2 = api->timeout_new(api, &next, OnTimeout, &later);
  REQUIRE(Run([&] { return later.calls == 1; }));
  CHECK(log.calls == 1);
  api->timeout_free(t);
  api->timeout_free(t2);
}

TEST_CASE_METHOD(
    PollTest, "timeouts: past deadlines fire at once, null never, updates and frees in callbacks",
    "[mdns]") {
  TimeoutLog disabled{api};
  disabled.free_self = true;
  AvahiTimeout* idle = api->timeout_new(api, nullptr, OnTimeout, &disabled);
  REQUIRE(idle != nullptr);
  TimeoutLog past{api};
  past.free_self = true;
  past.rearm = idle;  // sets the disabled one 10 ms ahead, then frees itself
  const struct timeval long_ago = InMs(-5000);
  REQUIRE(api->timeout_new(api, &long_ago, OnTimeout, &past) != nullptr);
  CHECK(poll.timeouts() == 2);
  REQUIRE(Run([&] { return past.calls == 1; }));
  // The re-armed one fires only after the past one, which is gone by then.
  REQUIRE(Run([&] { return disabled.calls == 1; }));
  CHECK(past.calls == 1);
  CHECK(Us(disabled.fired_at) >= Us(past.fired_at) + 10000);
  CHECK(poll.timeouts() == 0);

  // timeout_update(null) disables a pending one: a later one fires, it does not.
  TimeoutLog cancelled{api}, clock{api};
  const struct timeval soon = InMs(10), after = InMs(40);
  AvahiTimeout* c = api->timeout_new(api, &soon, OnTimeout, &cancelled);
  api->timeout_update(c, nullptr);
  AvahiTimeout* k = api->timeout_new(api, &after, OnTimeout, &clock);
  REQUIRE(Run([&] { return clock.calls == 1; }));
  CHECK(cancelled.calls == 0);
  api->timeout_free(c);
  api->timeout_free(k);
}

TEST_CASE("destroying the poll closes every handle Avahi left behind", "[mdns]") {
  LoopFixture f;  // aborts at the end if a handle stays open
  Pipe p;
  {
    UvAvahiPoll poll(f.loop());
    const AvahiPoll* api = poll.api();
    WatchLog log{api};
    TimeoutLog tlog{api};
    const struct timeval later = InMs(60000);
    REQUIRE(api->watch_new(api, p.r(), AVAHI_WATCH_IN, OnWatch, &log) != nullptr);
    REQUIRE(api->timeout_new(api, &later, OnTimeout, &tlog) != nullptr);
    REQUIRE(api->timeout_new(api, nullptr, OnTimeout, &tlog) != nullptr);
    CHECK(poll.watches() == 1);
    CHECK(poll.timeouts() == 2);
  }
  CHECK(fcntl(p.r(), F_GETFD) >= 0);
}

}  // namespace
}  // namespace p1
