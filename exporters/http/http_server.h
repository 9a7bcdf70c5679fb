// A small HTTP/1.1 server for the exporter's endpoints (/metrics, /, later
// /api): one thread polls non-blocking sockets; exact paths map to handlers
// returning a body; gzip when the client accepts it; every connection is
// bounded (request head size, deadline, connection count) and closed after
// one response. Handlers run on the server thread; they and what they
// capture must outlive Stop() (the destructor stops and joins).
#ifndef P1GW_EXPORTERS_HTTP_HTTP_SERVER_H_
#define P1GW_EXPORTERS_HTTP_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>

namespace p1 {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse()>;

  HttpServer() = default;
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Register before Start(). `path` is matched exactly ("/metrics").
  void Handle(std::string path, Handler handler);

  // host: numeric IPv4 or IPv6 ("::" listens on both families where the
  // system allows); port 0 picks a free port.
  bool Start(const std::string& host, uint16_t port, std::string* err);
  void Stop();
  uint16_t port() const { return port_; }

  // Builds the complete response (status line, headers, body) to a raw
  // request head; public for tests.
  std::string Respond(const std::string& head) const;

 private:
  void Run();

  std::map<std::string, Handler, std::less<>> handlers_;
  int listen_fd_ = -1;
  int wake_fd_[2] = {-1, -1};  // self-pipe: Stop() writes a byte
  uint16_t port_ = 0;
  std::thread thread_;
};

// gzip (RFC 1952) of `in`; empty on failure.
std::string Gzip(const std::string& in);

// True when an Accept-Encoding header value allows gzip (q=0 refuses).
bool AcceptsGzip(const char* accept_encoding);

}  // namespace p1

#endif  // P1GW_EXPORTERS_HTTP_HTTP_SERVER_H_
