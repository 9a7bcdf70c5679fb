// HttpServer: HTTP/1.1 for the exporter's endpoints (/metrics, /, the JSON
// API), served from the gateway's own libuv loop: no thread, no lock.
// Connections are kept alive and read one request at a time (pipelined
// requests are answered in order); every connection is bounded: request
// size (HttpLimits), a deadline to receive a request, an idle timeout, a
// write timeout, connections per client address and in all. A handler may
// answer with a long-lived stream (server-sent events) whose queue per
// client is bounded: what does not fit is dropped whole and counted.
// Handlers run on the loop and must not block. *loop outlives the server.
#ifndef P1GW_EXPORTERS_HTTP_HTTP_SERVER_H_
#define P1GW_EXPORTERS_HTTP_HTTP_SERVER_H_

#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "exporters/http/http_request.h"
#include "exporters/http/http_response.h"
#include "gateway/loop/acceptor.h"
#include "gateway/loop/out_chunk.h"
#include "gateway/loop/uv_handle.h"

namespace p1 {

class HttpConnection;
class HttpServer;

// The open end of a streaming response. Held by whoever feeds it; valid
// while open() (the client may go at any time).
class HttpStream {
 public:
  // Queues `chunk` (one HTTP chunk). False when the stream has ended or the
  // chunk was dropped because the client's queue is full (see dropped()).
  bool Send(const OutChunk& chunk);
  bool open() const { return conn_ != nullptr; }
  uint64_t dropped() const { return dropped_; }
  // Ends the response and closes the connection.
  void Close();

 private:
  friend class HttpConnection;
  HttpConnection* conn_ = nullptr;
  uint64_t dropped_ = 0;
};

class HttpServer {
 public:
  struct Options {
    HttpLimits limits;
    size_t max_connections = 1024;
    size_t max_per_client = 64;              // per client IP address
    uint64_t request_timeout_ms = 10000;     // from a request's first byte to its last
    uint64_t idle_timeout_ms = 120000;       // a kept-alive connection without a request
    uint64_t write_timeout_ms = 30000;       // output pending and none of it taken
    size_t stream_queue_bytes = 256 * 1024;  // per streaming client
  };
  struct Stats {
    uint64_t accepted = 0;
    uint64_t requests = 0;
    uint64_t bad_requests = 0;  // answered 4xx by the parser and closed
    uint64_t timeouts = 0;      // request, idle or write timeouts
    uint64_t rejected_per_client = 0;
    uint64_t rejected_limit = 0;
    uint64_t rejected_fds = 0;
    uint64_t stream_drops = 0;
    size_t connections = 0;  // open now
    size_t queued_bytes = 0;  // answers written but not yet taken by the kernel, now
  };
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer(uv_loop_t* loop, Options options);
  explicit HttpServer(uv_loop_t* loop) : HttpServer(loop, Options()) {}
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // `path` is matched exactly ("/metrics"). GET and HEAD reach the handler,
  // other methods get 405 unless `any_method` (the handler decides).
  void Handle(std::string path, Handler handler, bool any_method = false);
  // Every path under `prefix` ("/api/v1/meters/") without an exact handler;
  // the longest prefix wins.
  void HandlePrefix(std::string prefix, Handler handler, bool any_method = false);
  // Starts accepting on `addr` ("::" is dual stack). 0 or a libuv error.
  int Listen(const sockaddr_storage& addr);
  // Closes the listening socket and every connection.
  void Close();
  uint16_t port() const { return acceptor_.port(); }
  Stats stats() const;

  // The response to a parsed request: its handler's, 404, or 405.
  HttpResponse Dispatch(const HttpRequest& req) const;

 private:
  friend class HttpConnection;
  static void OnSweep(uv_timer_t* timer);
  static void OnCheck(uv_timer_t* timer);
  void Admit(int fd, const sockaddr_storage& peer);
  void Release(const std::string& client);
  void RequestSweep();

  uv_loop_t* loop_;
  Options options_;
  Stats stats_;
  Acceptor acceptor_;
  struct Route {
    Handler handler;
    bool any_method = false;
  };
  std::map<std::string, Route, std::less<>> exact_;
  std::map<std::string, Route, std::less<>> prefixes_;
  std::vector<std::unique_ptr<HttpConnection>> connections_;
  std::unordered_map<std::string, size_t> per_client_;  // open connections by address bytes
  size_t open_ = 0;                                     // open connections
  uint64_t fds_warn_at_ = 1;                            // next rejected_fds count to log
  UvHandle<uv_timer_t>
      sweep_timer_;  // removes closed connections after the callback that closed them
  UvHandle<uv_timer_t> check_timer_;  // timeouts
  bool sweep_pending_ = false;
  std::string read_buffer_;  // shared: input is parsed before the next read
};

}  // namespace p1

#endif  // P1GW_EXPORTERS_HTTP_HTTP_SERVER_H_
