// HttpResponse and its wire form: the status line and headers for a request,
// with gzip negotiated from Accept-Encoding as before the server moved onto
// the loop (the bodies of /metrics are byte-identical).
#ifndef P1GW_EXPORTERS_HTTP_HTTP_RESPONSE_H_
#define P1GW_EXPORTERS_HTTP_HTTP_RESPONSE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporters/http/http_request.h"

namespace p1 {

class HttpStream;

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Instead of `body` (which must then be empty): a buffer the handler keeps
  // and reuses once no write holds it any more (use_count() == 1). Not for
  // streaming responses.
  std::shared_ptr<const std::string> shared_body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones ("Allow", ...)
  // Set for a long-lived streaming response (server-sent events): the head
  // goes out without a length (chunked for HTTP/1.1), then `body` if any,
  // then `on_stream` receives the open stream to send on.
  std::function<void(std::shared_ptr<HttpStream>)> on_stream;

  static HttpResponse Text(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static HttpResponse Json(int status, std::string body) {
    HttpResponse r = Text(status, std::move(body));
    r.content_type = "application/json";
    return r;
  }
};

const char* HttpStatusText(int status);

// Completes `resp` as the answer to `req` (null: the request could not be
// parsed) and returns its head: gzips the body of a 200 when the client
// accepts it, sets Content-Length (or chunked/close for a stream) and
// Connection: close unless `keep_alive`. A HEAD answer keeps its length but
// the caller sends no body.
std::string HttpResponseHead(const HttpRequest* req, HttpResponse* resp, bool keep_alive);

// gzip (RFC 1952) of `in`; empty on failure.
std::string Gzip(std::string_view in);

// True when an Accept-Encoding header value allows gzip (q=0 refuses).
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace p1

#endif  // P1GW_EXPORTERS_HTTP_HTTP_RESPONSE_H_
