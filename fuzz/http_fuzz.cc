// libFuzzer target: the HTTP request path. The input is a byte stream from a
// client (request lines, headers, bodies, pipelined requests), fed to an
// HttpRequestReader once whole and once in chunks derived from the first
// byte; every complete request gets a response head (gzip negotiated as the
// server does). Both feedings must give the same requests and both fail or
// neither; no request exceeds the limits; Feed never claims more bytes than
// it was given and never stalls with bytes left and nothing decided.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "exporters/http/http_request.h"
#include "exporters/http/http_response.h"

namespace {

using p1::HttpLimits;
using p1::HttpRequest;
using p1::HttpRequestReader;

struct Outcome {
  std::vector<std::string> requests;  // method, target, headers, body of each
  int error = 0;
};

std::string Describe(const HttpRequest& r) {
  std::string d = r.method + " " + r.target + " " + std::to_string(r.version_minor) +
                  (r.keep_alive ? "k" : "c");
  for (const auto& [name, value] : r.headers) d += "\n" + name + ":" + value;
  return d + "\n\n" + r.body;
}

Outcome Feed(std::string_view data, size_t chunk, const HttpLimits& limits) {
  HttpRequestReader reader(limits);
  Outcome out;
  size_t pos = 0;
  while (pos < data.size()) {
    std::string_view piece = data.substr(pos, chunk);
    const size_t n = reader.Feed(piece);
    if (n > piece.size()) std::abort();
    pos += n;
    if (reader.failed()) {
      out.error = reader.error_status();
      if (out.error != 400 && out.error != 413 && out.error != 431) std::abort();
      return out;
    }
    if (reader.ready()) {
      const HttpRequest& r = reader.request();
      if (r.body.size() > limits.max_body || r.headers.size() > limits.max_headers) std::abort();
      if (r.target.size() > limits.max_head) std::abort();
      if (r.target.compare(0, r.path.size(), r.path) != 0) std::abort();
      out.requests.push_back(Describe(r));
      p1::HttpResponse resp = p1::HttpResponse::Text(200, r.target);
      const std::string head = p1::HttpResponseHead(&r, &resp, r.keep_alive);
      if (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) std::abort();
      reader.Next();
      continue;
    }
    if (n < piece.size()) return out;  // nothing more is read on this connection
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  HttpLimits limits;
  limits.max_head = 1024;  // small limits so the fuzzer reaches them
  limits.max_headers = 8;
  limits.max_body = 256;
  const size_t chunk = 1 + data[0] % 16;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome whole = Feed(in, in.size() + 1, limits);
  const Outcome split = Feed(in, chunk, limits);
  // Which of two faults in one request is seen first may depend on where the
  // input was split (a limit counted per piece vs a bad byte further on):
  // both feedings must fail, not necessarily with the same status.
  if (whole.requests != split.requests || (whole.error == 0) != (split.error == 0)) std::abort();
  return 0;
}
