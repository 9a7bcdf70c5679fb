// HttpRequest and HttpRequestReader: HTTP/1.x requests parsed from a byte
// stream with Debian's http-parser (node's former parser), one request at a
// time so that pipelined requests are answered in order, within bounds: the
// request line and headers together, the header count and the body size are
// capped, and what exceeds a cap is an error status, never more memory.
#ifndef P1GW_EXPORTERS_HTTP_HTTP_REQUEST_H_
#define P1GW_EXPORTERS_HTTP_HTTP_REQUEST_H_

#include <http_parser.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace p1 {

struct HttpLimits {
  size_t max_head = 8 * 1024;  // request line + header names and values
  size_t max_headers = 64;
  size_t max_body = 16 * 1024;
};

struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // as sent: "/metrics?x=1"
  std::string path;    // the target up to '?': "/metrics"
  std::string query;   // after '?', undecoded
  int version_minor = 1;
  bool keep_alive = true;  // what the client asked for (HTTP/1.1 default, Connection:)
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;

  // The first header of that name (lower case), "" when absent.
  std::string_view Header(std::string_view lower_name) const;
  // The values of `name` in the query, split at commas, repeats appended:
  // "meter=a,b&meter=c" gives a, b, c. Undecoded; empty values are left out.
  std::vector<std::string> QueryValues(std::string_view name) const;
};

class HttpRequestReader {
 public:
  explicit HttpRequestReader(HttpLimits limits = {});
  HttpRequestReader(const HttpRequestReader&) = delete;
  HttpRequestReader& operator=(const HttpRequestReader&) = delete;

  // Parses `in` up to the end of at most one request and returns the bytes
  // consumed. Afterwards ready() (request() is complete: handle it, then call
  // Next() before feeding the rest), failed() (error_status() says why: 400,
  // 413, 431; the connection must close after answering), or neither
  // (every byte was consumed and the request is not complete yet). After a
  // request without keep-alive, nothing more is read: Feed returns 0.
  size_t Feed(std::string_view in);
  bool ready() const { return ready_; }
  bool failed() const { return error_status_ != 0; }
  int error_status() const { return error_status_; }
  // True while part of a request has been read (for a request deadline).
  bool in_progress() const { return started_ && !ready_; }
  const HttpRequest& request() const { return request_; }
  void Next();

 private:
  static int OnMessageBegin(http_parser* p);
  static int OnUrl(http_parser* p, const char* at, size_t len);
  static int OnHeaderField(http_parser* p, const char* at, size_t len);
  static int OnHeaderValue(http_parser* p, const char* at, size_t len);
  static int OnHeadersComplete(http_parser* p);
  static int OnBody(http_parser* p, const char* at, size_t len);
  static int OnMessageComplete(http_parser* p);
  int Fail(int status);
  bool CountHead(size_t len);

  HttpLimits limits_;
  http_parser parser_;
  http_parser_settings settings_;
  HttpRequest request_;
  size_t head_bytes_ = 0;
  bool in_value_ = false;  // the last header callback was a value
  bool started_ = false;
  bool finished_ = false;  // a request without keep-alive was handled
  bool ready_ = false;
  int error_status_ = 0;
};

}  // namespace p1

#endif  // P1GW_EXPORTERS_HTTP_HTTP_REQUEST_H_
