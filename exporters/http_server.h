// A small HTTP/1.1 server on civetweb for the exporter's endpoints: exact
// paths map to handlers that return a body; gzip is applied when the client
// accepts it. Handlers run on civetweb's worker threads, so they must be
// thread-safe. Stop() (or the destructor) joins those threads; handlers and
// anything they capture must outlive the server's running period.
#ifndef P1GW_EXPORTERS_HTTP_SERVER_H_
#define P1GW_EXPORTERS_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

struct mg_context;
struct mg_connection;

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

  // host: numeric IPv4 or IPv6 ("::" for all), port 0 picks a free port.
  bool Start(const std::string& host, uint16_t port, int threads, std::string* err);
  void Stop();
  uint16_t port() const { return port_; }

 private:
  static int OnRequest(mg_connection* conn, void* self);
  int Serve(mg_connection* conn);

  std::map<std::string, Handler, std::less<>> handlers_;
  mg_context* ctx_ = nullptr;
  uint16_t port_ = 0;
};

// gzip (RFC 1952) of `in`; empty on failure.
std::string Gzip(const std::string& in);

// True when an Accept-Encoding header value allows gzip (q=0 refuses).
bool AcceptsGzip(const char* accept_encoding);

}  // namespace p1

#endif  // P1GW_EXPORTERS_HTTP_SERVER_H_
