// MdnsPublisher: advertises a set of DNS-SD services through avahi-daemon
// (libavahi-client over D-Bus), driven by the gateway's libuv loop through
// UvAvahiPoll. The client is created with AVAHI_CLIENT_NO_FAIL, so the
// gateway starts without a daemon and publishes when one appears; when the
// daemon goes away (restart, upgrade) the client is recreated and publishes
// again once it is back; without a system bus at all it retries with capped
// backoff (0.1 s .. 30 s). Each service has its own entry group, so a name
// taken on the network renames only that service (avahi's "name #2") and a
// new set (SetServices, on reload) withdraws and adds only what changed.
// Destroying the publisher withdraws everything.
// Limits: libavahi-client's calls are D-Bus round trips to the local
// daemon that it makes synchronously (connecting: a few ms, measured and
// logged at debug above 1 ms; one service: under 1 ms; D-Bus bounds a hung
// daemon at 25 s). Nothing else here waits.
// *loop must outlive the publisher.
#ifndef P1GW_EXPORTERS_MDNS_MDNS_PUBLISHER_H_
#define P1GW_EXPORTERS_MDNS_MDNS_PUBLISHER_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exporters/mdns/avahi_poll.h"
#include "exporters/mdns/mdns_services.h"
#include "gateway/loop/uv_handle.h"

struct AvahiClient;
struct AvahiEntryGroup;

namespace p1 {

class MdnsPublisher {
 public:
  struct Options {
    // Network interfaces to publish on, by name; empty: every interface
    // avahi-daemon uses. A missing one is skipped (and logged) at each publish.
    std::vector<std::string> interfaces;
  };
  struct Stats {
    bool daemon_running = false;    // connected and the daemon's host name is established
    size_t services = 0;            // in the current set
    size_t established = 0;         // of those, confirmed on the network
    uint64_t connect_attempts = 0;  // avahi_client_new calls
    uint64_t daemon_connects = 0;   // times the daemon (re)appeared
    uint64_t collisions = 0;        // renames after a name conflict
    uint64_t longest_call_us = 0;   // the longest stretch of synchronous avahi calls
  };

  MdnsPublisher(uv_loop_t* loop, Options options);
  ~MdnsPublisher();
  MdnsPublisher(const MdnsPublisher&) = delete;
  MdnsPublisher& operator=(const MdnsPublisher&) = delete;

  // Connects to the bus; publishes whenever the daemon is running.
  void Start();
  // The set to advertise from now on: services no longer in it are
  // withdrawn, new ones added, unchanged ones stay as they are.
  void SetServices(const std::vector<MdnsService>& services);
  const Options& options() const { return options_; }
  Stats stats() const;
  // The names currently used (after any renames), for tests and logs.
  std::vector<std::string> names() const;

 private:
  struct Entry;
  struct Callbacks;  // the libavahi-client trampolines (they need its enums)
  friend struct Callbacks;
  static void OnRetry(uv_timer_t* timer);

  void Connect();
  void ScheduleReconnect(uint64_t ms);
  void PublishAll();
  void Publish(Entry* e);
  void Withdraw(Entry* e);  // frees its group
  void Rename(Entry* e, const char* why);

  uv_loop_t* loop_;
  Options options_;
  UvAvahiPoll poll_;
  AvahiClient* client_ = nullptr;
  bool running_ = false;  // the client is in S_RUNNING
  std::vector<std::unique_ptr<Entry>> entries_;
  UvHandle<uv_timer_t> retry_;
  Backoff backoff_{100, 30000};
  std::string last_error_;  // logged once per distinct cause
  uint64_t connect_attempts_ = 0;
  uint64_t daemon_connects_ = 0;
  uint64_t collisions_ = 0;
  uint64_t longest_call_us_ = 0;
  uint64_t publish_start_ms_ = 0;  // uv_now when publishing last began (daemon up, new services)
  bool all_logged_ = false;        // "every service established" said since then
};

}  // namespace p1

#endif  // P1GW_EXPORTERS_MDNS_MDNS_PUBLISHER_H_
