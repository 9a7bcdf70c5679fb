// The pure HTTP layer: requests read from bytes split anywhere, pipelined,
// bounded; response heads, gzip and Accept-Encoding.
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exporters/http/http_request.h"
#include "exporters/http/http_response.h"
#include "tests/exporters/http/http_test_client.h"

namespace p1 {
namespace {

struct ReadResult {
  std::vector<HttpRequest> requests;
  int error = 0;
};

// Feeds `bytes` in pieces of `step` bytes, collecting every request.
ReadResult ReadAll(const std::string& bytes, size_t step, HttpLimits limits = {}) {
  HttpRequestReader reader(limits);
  ReadResult out;
  for (size_t at = 0; at < bytes.size() && out.error == 0;) {
    std::string_view piece = std::string_view(bytes).substr(at, step);
    while (!piece.empty()) {
      const size_t n = reader.Feed(piece);
      piece.remove_prefix(n);
      at += n;
      if (reader.failed()) {
        out.error = reader.error_status();
        break;
      }
      if (!reader.ready()) {
        if (n == 0) return out;  // nothing more is read on this connection
        continue;
      }
      out.requests.push_back(reader.request());
      reader.Next();
    }
  }
  return out;
}

TEST_CASE("HTTP request: pipelined requests split at every byte give the same requests") {
  const std::string bytes =
      "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"
      "HEAD /a?b=c&d HTTP/1.1\r\nHOST: y\r\nX-Long:  spaced value \r\n\r\n"
      "GET /body HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
      "GET /chunked HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
      "GET /last HTTP/1.0\r\n\r\n";
  for (size_t step : {bytes.size(), size_t{1}, size_t{2}, size_t{7}, size_t{64}}) {
    INFO("step " << step);
    ReadResult r = ReadAll(bytes, step);
    REQUIRE(r.error == 0);
    REQUIRE(r.requests.size() == 5);
    CHECK(r.requests[0].method == "GET");
    CHECK(r.requests[0].path == "/metrics");
    CHECK(r.requests[0].Header("accept-encoding") == "gzip");
    CHECK(r.requests[0].keep_alive);
    CHECK(r.requests[1].method == "HEAD");
    CHECK(r.requests[1].target == "/a?b=c&d");
    CHECK(r.requests[1].path == "/a");
    CHECK(r.requests[1].query == "b=c&d");
    CHECK(r.requests[1].Header("host") == "y");
    CHECK(r.requests[1].Header("x-long") == "spaced value ");
    CHECK(r.requests[2].body == "hello");
    CHECK(r.requests[3].body == "abc");
    CHECK(r.requests[4].version_minor == 0);
    CHECK_FALSE(r.requests[4].keep_alive);
  }
}

TEST_CASE("HTTP request: nothing is read after a request without keep-alive") {
  ReadResult r = ReadAll("GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 5);
  REQUIRE(r.requests.size() == 1);
  CHECK_FALSE(r.requests[0].keep_alive);
  // curl --http2 on a plain port asks for h2c: answered in HTTP/1.1, then closed.
  r = ReadAll("GET /a HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\r\n", 3);
  REQUIRE(r.requests.size() == 1);
  CHECK(r.requests[0].path == "/a");
  CHECK_FALSE(r.requests[0].keep_alive);
}

TEST_CASE("HTTP request: limits and malformed input are error statuses") {
  HttpLimits small;
  small.max_head = 100;
  small.max_headers = 3;
  small.max_body = 10;
  CHECK(ReadAll("GET /" + std::string(200, 'a') + " HTTP/1.1\r\n\r\n", 9, small).error == 431);
  CHECK(ReadAll("GET / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n", 9, small).error ==
        431);
  CHECK(ReadAll("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\n\r\n", 4, small).error == 431);
  CHECK(ReadAll("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n", 4, small).requests.size() == 1);
  CHECK(ReadAll("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 4, small).error == 413);
  CHECK(ReadAll("POST / HTTP/1.1\r\nTransfer-Encoding: "
                "chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n",
                4, small)
            .error == 413);
  CHECK(ReadAll("GARBAGE\r\n\r\n", 3).error == 400);
  CHECK(ReadAll("GET / HTTP/2.0\r\n\r\n", 3).error == 400);
  CHECK(ReadAll("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 3).error ==
        400);  // a TLS ClientHello
  // Request smuggling: both lengths is an error, never two readings.
  CHECK(
      ReadAll("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
              4)
          .error == 400);
  // A partial request is neither ready nor failed.
  HttpRequestReader reader;
  CHECK(reader.Feed("GET /met") == 8);
  CHECK(reader.in_progress());
  CHECK_FALSE(reader.ready());
  CHECK_FALSE(reader.failed());
}

HttpRequest Request(std::string method, std::string accept_encoding = "", int minor = 1) {
  HttpRequest r;
  r.method = std::move(method);
  r.version_minor = minor;
  if (!accept_encoding.empty()) r.headers.emplace_back("accept-encoding", accept_encoding);
  return r;
}

TEST_CASE("Gzip: output of many 64 KiB steps and of nothing round-trips") {
  std::string noise(1 << 20, '\0');  // incompressible: ~16 steps of output
  uint64_t x = 88172645463325252u;
  for (char& c : noise) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  const std::string zipped = Gzip(noise);
  CHECK(zipped.size() > noise.size());
  CHECK(testing::Inflate(zipped) == noise);
  CHECK(testing::Inflate(Gzip("")).empty());
}

TEST_CASE("HTTP response: a shared body gives the length, and gzip replaces it") {
  auto text = std::make_shared<const std::string>(5000, 's');
  HttpRequest get = Request("GET");
  HttpResponse resp;
  resp.shared_body = text;
  std::string head = HttpResponseHead(&get, &resp, true);
  CHECK(head.find("Content-Length: 5000\r\n") != std::string::npos);
  CHECK(resp.shared_body == text);
  HttpRequest zip = Request("GET", "gzip");
  head = HttpResponseHead(&zip, &resp, true);
  CHECK(resp.shared_body == nullptr);
  CHECK(head.find("Content-Length: " + std::to_string(resp.body.size()) + "\r\n") !=
        std::string::npos);
  CHECK(testing::Inflate(resp.body) == *text);
}

TEST_CASE("HTTP response: heads, gzip only for 200 and when accepted, keep-alive") {
  HttpResponse resp = HttpResponse::Text(200, std::string(1000, 'x'));
  HttpRequest get = Request("GET");
  std::string head = HttpResponseHead(&get, &resp, true);
  CHECK(head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(head.find("Content-Length: 1000\r\n") != std::string::npos);
  CHECK(head.find("Connection:") == std::string::npos);
  CHECK(head.find("Vary: Accept-Encoding\r\n") != std::string::npos);
  CHECK(head.size() >= 4);
  CHECK(head.substr(head.size() - 4) == "\r\n\r\n");

  HttpRequest zip = Request("GET", "deflate, GZIP;q=0.5");
  resp = HttpResponse::Text(200, std::string(1000, 'x'));
  head = HttpResponseHead(&zip, &resp, false);
  CHECK(head.find("Content-Encoding: gzip\r\n") != std::string::npos);
  CHECK(head.find("Content-Length: " + std::to_string(resp.body.size()) + "\r\n") !=
        std::string::npos);
  CHECK(resp.body.size() < 100);
  CHECK(head.find("Connection: close\r\n") != std::string::npos);

  resp = HttpResponse::Text(404, std::string(1000, 'x'));
  head = HttpResponseHead(&zip, &resp, true);
  CHECK(head.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
  CHECK(head.find("Content-Encoding") == std::string::npos);

  HttpRequest old = Request("GET", "", 0);
  resp = HttpResponse::Text(200, "x");
  CHECK(HttpResponseHead(&old, &resp, true).find("Connection: keep-alive\r\n") !=
        std::string::npos);
  resp = HttpResponse::Text(400, "x");
  CHECK(HttpResponseHead(nullptr, &resp, false).rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);

  resp = HttpResponse::Text(200, "");
  resp.content_type = "text/event-stream";
  resp.on_stream = [](std::shared_ptr<HttpStream>) {};
  head = HttpResponseHead(&zip, &resp, true);
  CHECK(head.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
  CHECK(head.find("Content-Length") == std::string::npos);
  CHECK(head.find("Content-Encoding") == std::string::npos);
  head = HttpResponseHead(&old, &resp, true);
  CHECK(head.find("Transfer-Encoding") == std::string::npos);
  CHECK(head.find("Connection: close\r\n") != std::string::npos);
}

TEST_CASE("Accept-Encoding parsing") {
  CHECK(AcceptsGzip("gzip"));
  CHECK(AcceptsGzip("deflate, gzip"));
  CHECK(AcceptsGzip("gzip;q=0.5"));
  CHECK(AcceptsGzip("*"));
  CHECK_FALSE(AcceptsGzip(""));
  CHECK_FALSE(AcceptsGzip("identity"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0"));
  CHECK_FALSE(AcceptsGzip("gzip; q=0.000"));
  CHECK_FALSE(AcceptsGzip("xgzip"));
}

}  // namespace
}  // namespace p1
