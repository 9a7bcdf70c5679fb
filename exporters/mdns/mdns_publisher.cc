#include "exporters/mdns/mdns_publisher.h"

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <net/if.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace p1 {

// One advertised service and its entry group.
struct MdnsPublisher::Entry {
  MdnsPublisher* owner = nullptr;
  MdnsService service;  // as planned
  std::string name;     // as published: service.name, or avahi's rename of it
  AvahiEntryGroup* group = nullptr;
  bool established = false;
  int renames = 0;
};

namespace {

// A conflict that keeps coming back after this many renames is not chased
// further (each rename re-probes the network for ~0.75 s).
constexpr int kMaxRenames = 32;

// Times one stretch of synchronous libavahi-client calls (D-Bus round
// trips to the daemon): the longest the loop was held by them, and each
// one over a millisecond at debug level.
class CallTimer {
 public:
  CallTimer(uint64_t* longest_us, const char* what)
      : longest_us_(longest_us), what_(what), start_(uv_hrtime()) {}
  ~CallTimer() {
    const uint64_t us = (uv_hrtime() - start_) / 1000;
    *longest_us_ = std::max(*longest_us_, us);
    if (us > 1000) spdlog::debug("mdns: {} held the loop {} us", what_, us);
  }
  CallTimer(const CallTimer&) = delete;
  CallTimer& operator=(const CallTimer&) = delete;

 private:
  uint64_t* longest_us_;
  const char* what_;
  uint64_t start_;
};

}  // namespace

struct MdnsPublisher::Callbacks {
  static void OnClient(AvahiClient* c, AvahiClientState state, void* userdata) {
    auto* self = static_cast<MdnsPublisher*>(userdata);
    self->client_ = c;  // also during avahi_client_new, before it returns
    switch (state) {
      case AVAHI_CLIENT_S_RUNNING: {
        if (!self->running_) {
          ++self->daemon_connects_;
          self->publish_start_ms_ = uv_now(self->loop_);
          self->all_logged_ = false;
          const char* host = avahi_client_get_host_name_fqdn(c);  // null on a D-Bus error
          spdlog::info("mdns: avahi-daemon is running (host {}); publishing {} service(s)",
                       host != nullptr ? host : "unknown", self->entries_.size());
        }
        self->running_ = true;
        self->backoff_.Reset();
        self->last_error_.clear();
        self->PublishAll();
        break;
      }
      case AVAHI_CLIENT_S_COLLISION:
      case AVAHI_CLIENT_S_REGISTERING:
        // The daemon is (re)establishing its host name: records added now
        // would carry the old one. Start over once it is running again.
        if (state == AVAHI_CLIENT_S_COLLISION) {
          spdlog::warn(
              "mdns: avahi-daemon's host name is taken on the network; it renames "
              "the host and the services follow");
        }
        self->running_ = false;
        for (auto& e : self->entries_) {
          if (e->group != nullptr) avahi_entry_group_reset(e->group);
          e->established = false;
        }
        break;
      case AVAHI_CLIENT_CONNECTING:
        self->running_ = false;
        if (self->last_error_ != "connecting") {
          spdlog::info("mdns: waiting for avahi-daemon on the system bus");
          self->last_error_ = "connecting";
        }
        break;
      case AVAHI_CLIENT_FAILURE: {
        const int err = avahi_client_errno(c);
        spdlog::warn("mdns: lost avahi-daemon ({}); publishing again when it is back",
                     avahi_strerror(err));
        self->last_error_.clear();
        self->running_ = false;
        // The groups go with the client; it is freed (not inside its own
        // callback) and made again from the retry timer.
        for (auto& e : self->entries_) {
          e->group = nullptr;
          e->established = false;
        }
        self->ScheduleReconnect(self->backoff_.Next());
        break;
      }
    }
  }

  static void OnGroup(AvahiEntryGroup* g, AvahiEntryGroupState state, void* userdata) {
    auto* e = static_cast<Entry*>(userdata);
    MdnsPublisher* self = e->owner;
    if (e->group != nullptr && e->group != g) return;  // an old group's last word
    switch (state) {
      case AVAHI_ENTRY_GROUP_ESTABLISHED: {
        e->established = true;
        spdlog::info("mdns: published '{}' ({} port {})", e->name, e->service.type,
                     e->service.port);
        const bool all = std::all_of(self->entries_.begin(), self->entries_.end(),
                                     [](const auto& x) { return x->established; });
        if (all && !self->all_logged_) {
          self->all_logged_ = true;
          spdlog::info(
              "mdns: all {} service(s) established {} ms after publishing began (longest "
              "blocking avahi call so far: {} us)",
              self->entries_.size(), uv_now(self->loop_) - self->publish_start_ms_,
              self->longest_call_us_);
        }
        break;
      }
      case AVAHI_ENTRY_GROUP_COLLISION:
        e->established = false;
        self->Rename(e, "is taken on the network");
        avahi_entry_group_reset(g);
        self->Publish(e);
        break;
      case AVAHI_ENTRY_GROUP_FAILURE:
        e->established = false;
        spdlog::error("mdns: publishing '{}' ({}) failed: {}", e->name, e->service.type,
                      avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g))));
        break;
      case AVAHI_ENTRY_GROUP_UNCOMMITED:
      case AVAHI_ENTRY_GROUP_REGISTERING:
        break;
    }
  }
};

MdnsPublisher::MdnsPublisher(uv_loop_t* loop, Options options)
    : loop_(loop), options_(std::move(options)), poll_(loop) {}

MdnsPublisher::~MdnsPublisher() {
  retry_.Reset();
  // Closing the connection is the withdrawal: avahi-daemon drops a gone
  // client's groups and sends their goodbye packets. No round trip per group.
  if (client_ != nullptr) avahi_client_free(client_);
  client_ = nullptr;
}

void MdnsPublisher::Start() {
  if (retry_) return;
  if (retry_.Init(uv_timer_init, loop_, this) != 0) return;
  Connect();
}

void MdnsPublisher::Connect() {
  CallTimer timer(&longest_call_us_, "connecting");
  int error = 0;
  running_ = false;
  ++connect_attempts_;
  AvahiClient* c =
      avahi_client_new(poll_.api(), AVAHI_CLIENT_NO_FAIL, Callbacks::OnClient, this, &error);
  client_ = c;
  if (c != nullptr) return;
  // NO_FAIL covers a missing daemon; this is a missing or refusing bus.
  const std::string why = avahi_strerror(error);
  const uint64_t delay = backoff_.Next();
  if (why != last_error_) {
    spdlog::warn("mdns: cannot connect to the D-Bus system bus ({}); retrying, next in {} ms", why,
                 delay);
    last_error_ = why;
  }
  ScheduleReconnect(delay);
}

void MdnsPublisher::ScheduleReconnect(uint64_t ms) {
  if (retry_) uv_timer_start(retry_.get(), OnRetry, ms, 0);
}

void MdnsPublisher::OnRetry(uv_timer_t* timer) {
  auto* self = static_cast<MdnsPublisher*>(timer->data);
  if (self == nullptr) return;
  if (self->client_ != nullptr) {
    for (auto& e : self->entries_) e->group = nullptr;  // freed with the client
    avahi_client_free(self->client_);
    self->client_ = nullptr;
  }
  self->Connect();
}

void MdnsPublisher::SetServices(const std::vector<MdnsService>& services) {
  std::vector<std::unique_ptr<Entry>> next;
  std::vector<bool> taken(services.size(), false);
  for (auto& e : entries_) {
    size_t i = 0;
    while (i < services.size() && (taken[i] || !(services[i] == e->service))) ++i;
    if (i < services.size()) {
      taken[i] = true;
      next.push_back(std::move(e));  // unchanged: stays published, renames and all
      continue;
    }
    spdlog::info("mdns: withdrawing '{}' ({} port {})", e->name, e->service.type, e->service.port);
    Withdraw(e.get());
  }
  std::vector<Entry*> added;
  for (size_t i = 0; i < services.size(); ++i) {
    if (taken[i]) continue;
    auto e = std::make_unique<Entry>();
    e->owner = this;
    e->service = services[i];
    e->name = services[i].name;
    added.push_back(e.get());
    next.push_back(std::move(e));
  }
  entries_ = std::move(next);
  if (!added.empty()) {
    all_logged_ = false;
    publish_start_ms_ = uv_now(loop_);
  }
  for (Entry* e : added) Publish(e);
}

void MdnsPublisher::PublishAll() {
  for (auto& e : entries_) Publish(e.get());
}

void MdnsPublisher::Withdraw(Entry* e) {
  CallTimer timer(&longest_call_us_, "withdrawing");
  if (e->group != nullptr && client_ != nullptr) avahi_entry_group_free(e->group);
  e->group = nullptr;
  e->established = false;
}

void MdnsPublisher::Rename(Entry* e, const char* why) {
  char* alt = avahi_alternative_service_name(e->name.c_str());
  spdlog::warn("mdns: name '{}' ({}) {}; renamed to '{}'", e->name, e->service.type, why, alt);
  e->name = alt;
  avahi_free(alt);
  ++e->renames;
  ++collisions_;
}

void MdnsPublisher::Publish(Entry* e) {
  if (!running_ || client_ == nullptr) return;
  CallTimer timer(&longest_call_us_, "publishing");
  if (e->group == nullptr) {
    e->group = avahi_entry_group_new(client_, Callbacks::OnGroup, e);
    if (e->group == nullptr) {
      spdlog::error("mdns: cannot create an entry group for '{}': {}", e->name,
                    avahi_strerror(avahi_client_errno(client_)));
      return;
    }
  } else if (!avahi_entry_group_is_empty(e->group)) {
    return;  // added already
  }
  std::vector<AvahiIfIndex> ifaces;
  for (const std::string& name : options_.interfaces) {
    const unsigned idx = if_nametoindex(name.c_str());
    if (idx == 0) {
      spdlog::warn("mdns: interface {} does not exist; '{}' is not published on it", name, e->name);
      continue;
    }
    ifaces.push_back(static_cast<AvahiIfIndex>(idx));
  }
  if (options_.interfaces.empty()) ifaces.push_back(AVAHI_IF_UNSPEC);
  if (ifaces.empty()) return;
  // avahi_string_list_add prepends: add backwards for the planned order.
  AvahiStringList* txt = nullptr;
  for (auto it = e->service.txt.rbegin(); it != e->service.txt.rend(); ++it) {
    txt = avahi_string_list_add(txt, it->c_str());
  }
  int r = 0;
  while (true) {
    for (AvahiIfIndex idx : ifaces) {
      r = avahi_entry_group_add_service_strlst(
          e->group, idx, AVAHI_PROTO_UNSPEC, static_cast<AvahiPublishFlags>(0), e->name.c_str(),
          e->service.type.c_str(), nullptr, nullptr, e->service.port, txt);
      if (r < 0) break;
    }
    if (r != AVAHI_ERR_COLLISION || e->renames >= kMaxRenames) break;
    // Taken by another service this daemon publishes (a second gateway, a
    // static .service file): rename at once, no network probe needed.
    Rename(e, "is taken on this host");
    avahi_entry_group_reset(e->group);
  }
  if (r >= 0) r = avahi_entry_group_commit(e->group);
  if (r < 0) {
    spdlog::error("mdns: cannot publish '{}' ({} port {}): {}", e->name, e->service.type,
                  e->service.port, avahi_strerror(r));
    avahi_entry_group_reset(e->group);
  }
  avahi_string_list_free(txt);
}

MdnsPublisher::Stats MdnsPublisher::stats() const {
  Stats s;
  s.daemon_running = running_;
  s.services = entries_.size();
  for (const auto& e : entries_) s.established += e->established ? 1 : 0;
  s.connect_attempts = connect_attempts_;
  s.daemon_connects = daemon_connects_;
  s.collisions = collisions_;
  s.longest_call_us = longest_call_us_;
  return s;
}

std::vector<std::string> MdnsPublisher::names() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e->name);
  return out;
}

}  // namespace p1
