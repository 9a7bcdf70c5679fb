// TcpSource: reads a remote raw port (ser2net, P1 Wi-Fi dongle, ESPHome
// stream server). Async DNS, every resolved address tried in turn, connect
// timeout, tight keepalive, reconnect with capped backoff, and a reconnect
// when the peer stays silent (a hung dongle, a NAT that dropped the flow).
// Never writes to the peer.
#ifndef P1GW_GATEWAY_RUNTIME_TCP_SOURCE_H_
#define P1GW_GATEWAY_RUNTIME_TCP_SOURCE_H_

#include <sys/socket.h>
#include <uv.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/loop/uv_handle.h"
#include "gateway/loop/uv_request.h"
#include "gateway/runtime/source.h"

namespace p1 {

class TcpSource : public Source {
 public:
  // silence: close and reconnect after this long without a byte (0: never).
  TcpSource(uv_loop_t* loop, SocketAddress address, Millis silence, SourceListener* listener);
  ~TcpSource() override;

  void Start() override;
  std::string Describe() const override;

 private:
  // A pending DNS request cannot be cancelled synchronously; it carries a
  // back pointer that the source clears when it goes away.
  using Resolve = UvRequest<uv_getaddrinfo_t, TcpSource*>;
  using Connect = UvRequest<uv_connect_t>;
  static void OnResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res);
  static void OnConnect(uv_connect_t* req, int status);
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnTimer(uv_timer_t* timer);
  static void OnSilence(uv_timer_t* timer);
  void BeginResolve();
  // Connects to addresses_[next_]; on failure moves on to the next address
  // and only backs off once every address failed.
  void ConnectNext();
  void ConnectFailed(const std::string& reason);
  void Fail(const std::string& reason);
  void Tune();

  uv_loop_t* loop_;
  SocketAddress address_;
  Millis silence_;
  SourceListener* listener_;
  UvHandle<uv_tcp_t> tcp_;
  UvHandle<uv_timer_t> timer_;  // retry backoff and connect timeout
  UvHandle<uv_timer_t> silence_timer_;
  Backoff backoff_;
  Resolve* resolving_ = nullptr;
  std::vector<sockaddr_storage> addresses_;  // from the last resolve
  size_t next_ = 0;                          // index into addresses_
  std::string last_error_;
  bool connected_ = false;
  bool reported_down_ = false;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_RUNTIME_TCP_SOURCE_H_
