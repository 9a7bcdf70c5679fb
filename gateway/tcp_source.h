// TcpSource: reads a remote raw port (ser2net, P1 Wi-Fi dongle, ESPHome
// stream server). Async DNS, connect timeout, keepalive, reconnect with
// capped backoff. Never writes to the peer.
#ifndef P1GW_GATEWAY_TCP_SOURCE_H_
#define P1GW_GATEWAY_TCP_SOURCE_H_

#include <uv.h>

#include <string>

#include "config/config.h"
#include "gateway/source.h"
#include "gateway/uv_handle.h"

namespace p1 {

class TcpSource : public Source {
 public:
  TcpSource(uv_loop_t* loop, SocketAddress address, SourceListener* listener);
  ~TcpSource() override;

  void Start() override;
  std::string Describe() const override;

 private:
  struct Resolve;  // uv_getaddrinfo_t that may outlive us
  static void OnResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res);
  static void OnConnect(uv_connect_t* req, int status);
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnTimer(uv_timer_t* timer);
  void BeginResolve();
  void Fail(const std::string& reason);

  uv_loop_t* loop_;
  SocketAddress address_;
  SourceListener* listener_;
  UvHandle<uv_tcp_t> tcp_;
  UvHandle<uv_timer_t> timer_;  // retry backoff and connect timeout
  Backoff backoff_;
  Resolve* resolving_ = nullptr;
  bool connected_ = false;
  bool reported_down_ = false;
  char buf_[16384];
};

}  // namespace p1

#endif  // P1GW_GATEWAY_TCP_SOURCE_H_
