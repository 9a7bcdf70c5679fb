#include "exporters/remote_write/curl_multi.h"

#include <utility>
#include <vector>

namespace p1 {

CurlMulti::CurlMulti(uv_loop_t* loop, Handler* handler) : loop_(loop), handler_(handler) {
  timer_.Init(uv_timer_init, loop_, this);
  if (!Curl().error.empty()) return;  // ok() is false; the owner reports it
  multi_ = Curl().multi_init();
  Curl().multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, OnSocket);
  Curl().multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  Curl().multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, OnTimerChange);
  Curl().multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlMulti::~CurlMulti() {
  // Closing its cached connections, curl still calls OnSocket (REMOVE) and
  // OnTimerChange; both only touch members that live until the end here.
  if (multi_ != nullptr) Curl().multi_cleanup(multi_);
  sockets_.clear();  // whatever curl did not remove: close the polls
  timer_.Reset();
}

bool CurlMulti::Add(CURL* easy) {
  return multi_ != nullptr && Curl().multi_add_handle(multi_, easy) == CURLM_OK;
}

void CurlMulti::Remove(CURL* easy) {
  if (multi_ != nullptr) Curl().multi_remove_handle(multi_, easy);
}

int CurlMulti::OnSocket(CURL*, curl_socket_t fd, int what, void* userp, void* socketp) {
  auto* self = static_cast<CurlMulti*>(userp);
  auto* s = static_cast<Socket*>(socketp);
  if (what == CURL_POLL_REMOVE) {
    if (s != nullptr) {
      Curl().multi_assign(self->multi_, fd, nullptr);
      self->sockets_.erase(fd);  // uv_close before curl closes the fd
    }
    return 0;
  }
  if (s == nullptr) {
    // libuv allows one poll handle per descriptor: a stale one (a socket
    // curl closed without REMOVE, its number reused) goes first.
    self->sockets_.erase(fd);
    auto fresh = std::make_unique<Socket>();
    fresh->owner = self;
    fresh->fd = fd;
    if (fresh->poll.Init(uv_poll_init_socket, self->loop_, fresh.get(), fd) != 0) return -1;
    s = fresh.get();
    self->sockets_[fd] = std::move(fresh);
    Curl().multi_assign(self->multi_, fd, s);
  }
  int events = 0;
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  uv_poll_start(s->poll.get(), events, OnPoll);
  return 0;
}

// curl asks to be called after `timeout_ms` (0: as soon as possible, but
// not from inside this callback; -1: never). A 0 ms libuv timer runs on the
// next loop iteration.
int CurlMulti::OnTimerChange(CURLM*, long timeout_ms, void* userp) {
  auto* self = static_cast<CurlMulti*>(userp);
  if (!self->timer_) return 0;
  if (timeout_ms < 0) {
    uv_timer_stop(self->timer_.get());
  } else {
    uv_timer_start(self->timer_.get(), OnTimer, static_cast<uint64_t>(timeout_ms), 0);
  }
  return 0;
}

void CurlMulti::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* s = static_cast<Socket*>(handle->data);
  if (s == nullptr) return;
  int flags = 0;
  if (status < 0) {
    flags = CURL_CSELECT_ERR;
  } else {
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  }
  s->owner->Act(s->fd, flags);  // may erase s
}

void CurlMulti::OnTimer(uv_timer_t* handle) {
  auto* self = static_cast<CurlMulti*>(handle->data);
  if (self == nullptr) return;
  self->Act(CURL_SOCKET_TIMEOUT, 0);
}

void CurlMulti::Act(curl_socket_t fd, int ev_bitmask) {
  int running = 0;
  Curl().multi_socket_action(multi_, fd, ev_bitmask, &running);
  // Collected first: the handler may add a handle again, which would put
  // new messages in the queue being read.
  std::vector<std::pair<CURL*, CURLcode>> done;
  int left = 0;
  while (CURLMsg* m = Curl().multi_info_read(multi_, &left)) {
    if (m->msg == CURLMSG_DONE) done.emplace_back(m->easy_handle, m->data.result);
  }
  for (auto [easy, result] : done) {
    Curl().multi_remove_handle(multi_, easy);
    handler_->OnTransferDone(easy, result);
  }
}

}  // namespace p1
