// CurlMulti: libcurl's multi-socket API on a libuv loop. curl says which
// sockets to watch (CURLMOPT_SOCKETFUNCTION: one uv_poll_t per socket) and
// when to call it back (CURLMOPT_TIMERFUNCTION: one uv_timer_t); every
// transfer runs on the loop thread and never blocks it (names resolve in
// curl's threaded resolver). A finished transfer is removed from the multi
// handle and reported to the Handler, which may add it again at once.
// Destroying the CurlMulti removes nothing: remove your easy handles first.
// *loop and *handler must outlive this object.
#ifndef P1GW_EXPORTERS_REMOTE_WRITE_CURL_MULTI_H_
#define P1GW_EXPORTERS_REMOTE_WRITE_CURL_MULTI_H_

#include <uv.h>

#include <memory>
#include <unordered_map>

#include "exporters/remote_write/curl_api.h"
#include "gateway/loop/uv_handle.h"

namespace p1 {

class CurlMulti {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void OnTransferDone(CURL* easy, CURLcode result) = 0;
  };

  CurlMulti(uv_loop_t* loop, Handler* handler);
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  // False when libcurl could not be opened (Curl().error says why).
  bool ok() const { return multi_ != nullptr; }
  // Starts a transfer; false if curl refuses the handle.
  bool Add(CURL* easy);
  // Stops a transfer (running or not); its Handler call never comes.
  void Remove(CURL* easy);
  size_t sockets() const { return sockets_.size(); }  // watched now (tests)

 private:
  struct Socket {
    CurlMulti* owner = nullptr;
    curl_socket_t fd = CURL_SOCKET_BAD;
    UvHandle<uv_poll_t> poll;
  };
  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* userp, void* socketp);
  static int OnTimerChange(CURLM* multi, long timeout_ms, void* userp);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnTimer(uv_timer_t* handle);
  // curl_multi_socket_action, then the finished transfers to the handler.
  void Act(curl_socket_t fd, int ev_bitmask);

  uv_loop_t* loop_;
  Handler* handler_;
  CURLM* multi_ = nullptr;
  UvHandle<uv_timer_t> timer_;
  std::unordered_map<curl_socket_t, std::unique_ptr<Socket>> sockets_;
};

}  // namespace p1

#endif  // P1GW_EXPORTERS_REMOTE_WRITE_CURL_MULTI_H_
