// The exporter over HTTP on 127.0.0.1 with an ephemeral port, read with a
// plain socket; gzip bodies are inflated with zlib.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "exporters/http/http_server.h"
#include "exporters/prometheus_exporter.h"
#include "tests/exporters/exporter_test_util.h"

namespace p1 {
namespace {

struct HttpReply {
  std::string head;
  std::string body;
};

// One request on a fresh connection; bounded by a 5 s poll per read.
HttpReply Get(bool v6, uint16_t port, const std::string& path,
              const std::string& extra_headers = "") {
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  int rc;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  REQUIRE(rc == 0);
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + extra_headers +
                    "Connection: close\r\n\r\n";
  REQUIRE(send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
  std::string all;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    REQUIRE(poll(&p, 1, 5000) == 1);
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    REQUIRE(n >= 0);
    if (n == 0) break;
    all.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  size_t sep = all.find("\r\n\r\n");
  REQUIRE(sep != std::string::npos);
  return {all.substr(0, sep + 2), all.substr(sep + 4)};
}

std::string Inflate(const std::string& gz) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buf[16384];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc != Z_STREAM_END);
  inflateEnd(&zs);
  return out;
}

bool HasHeader(const std::string& head, const std::string& line) {
  return head.find(line + "\r\n") != std::string::npos;
}

TEST_CASE("HTTP: /metrics plain and gzip, / links to it, unknown paths 404") {
  PrometheusExporter exp("1.0");
  exp.Publish(
      testing::MakeSnapshot("home", testing::LoadTelegram("dsmr_parser__dsmr50__iskra-spec.txt")));
  std::string err;
  REQUIRE(exp.Start(SocketAddress{"127.0.0.1", 0}, &err));
  REQUIRE(exp.port() != 0);

  HttpReply plain = Get(false, exp.port(), "/metrics");
  CHECK(plain.head.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(HasHeader(plain.head, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
  CHECK(plain.body.find("dsmr_power_imported_watts{meter=\"home\"} 244\n") != std::string::npos);
  CHECK(plain.body.find("p1gateway_build_info{version=\"1.0\"} 1") != std::string::npos);
  CHECK_FALSE(HasHeader(plain.head, "Content-Encoding: gzip"));

  HttpReply zipped = Get(false, exp.port(), "/metrics", "Accept-Encoding: deflate, gzip;q=0.8\r\n");
  CHECK(HasHeader(zipped.head, "Content-Encoding: gzip"));
  std::string inflated = Inflate(zipped.body);
  CHECK(inflated.find("dsmr_power_imported_watts{meter=\"home\"} 244\n") != std::string::npos);
  CHECK(inflated.size() > zipped.body.size());

  HttpReply refused = Get(false, exp.port(), "/metrics", "Accept-Encoding: gzip;q=0\r\n");
  CHECK_FALSE(HasHeader(refused.head, "Content-Encoding: gzip"));

  HttpReply index = Get(false, exp.port(), "/");
  CHECK(index.head.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(HasHeader(index.head, "Content-Type: text/html; charset=utf-8"));
  CHECK(index.body.find("href=\"/metrics\"") != std::string::npos);

  CHECK(Get(false, exp.port(), "/nope").head.rfind("HTTP/1.1 404", 0) == 0);
}

TEST_CASE("HTTP: listening on [::] serves IPv6 loopback") {
  PrometheusExporter exp("1.0");
  std::string err;
  if (!exp.Start(SocketAddress{"[::]", 0}, &err)) {
    WARN("IPv6 unavailable here, skipped: " << err);
    return;
  }
  HttpReply r = Get(true, exp.port(), "/metrics");
  CHECK(r.head.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(r.body.find("p1gateway_build_info") != std::string::npos);
}

TEST_CASE("HTTP: a busy port is a clear error") {
  PrometheusExporter first("1.0"), second("1.0");
  std::string err;
  REQUIRE(first.Start(SocketAddress{"127.0.0.1", 0}, &err));
  CHECK_FALSE(second.Start(SocketAddress{"127.0.0.1", first.port()}, &err));
  CHECK(err.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())) !=
        std::string::npos);
  CHECK(second.port() == 0);
}

TEST_CASE("HTTP: scrapes over the network while publishing stay whole") {
  PrometheusExporter exp("1.0");
  std::string err;
  REQUIRE(exp.Start(SocketAddress{"127.0.0.1", 0}, &err));
  const char* files[] = {"dsmr_parser__dsmr50__iskra-spec.txt",
                         "dsmr_parser__be-emucs__fluvius-v171.txt"};
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; !done.load(); ++i) {
      exp.Publish(
          testing::MakeSnapshot("m" + std::to_string(i % 5), testing::LoadTelegram(files[i % 2])));
    }
  });
  for (int i = 0; i < 30; ++i) {
    HttpReply r = Get(false, exp.port(), "/metrics", i % 2 ? "Accept-Encoding: gzip\r\n" : "");
    std::string body = i % 2 ? Inflate(r.body) : r.body;
    CHECK(body.find("p1gateway_build_info{version=\"1.0\"} 1\n") != std::string::npos);
  }
  done = true;
  writer.join();
}

TEST_CASE("HTTP: an oversized request head is refused, not buffered") {
  PrometheusExporter exp("1.0");
  std::string err;
  REQUIRE(exp.Start(SocketAddress{"127.0.0.1", 0}, &err));
  HttpReply r = Get(false, exp.port(), "/metrics", "X-Junk: " + std::string(20000, 'a') + "\r\n");
  CHECK(r.head.rfind("HTTP/1.1 431", 0) == 0);
  // The server still answers afterwards.
  CHECK(Get(false, exp.port(), "/").head.rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("HTTP: responses to bad methods and malformed request lines") {
  HttpServer server;
  server.Handle("/x", [] { return HttpResponse{200, "text/plain", "body"}; });
  CHECK(server.Respond("POST /x HTTP/1.1\r\n").rfind("HTTP/1.1 405", 0) == 0);
  CHECK(server.Respond("GARBAGE\r\n").rfind("HTTP/1.1 400", 0) == 0);
  std::string head = server.Respond("HEAD /x HTTP/1.1\r\n");
  CHECK(head.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(head.find("Content-Length: 4\r\n") != std::string::npos);
  CHECK(head.find("body") == std::string::npos);
  CHECK(server.Respond("GET /x?a=b HTTP/1.1\r\naccept-encoding: GZIP\r\n")
            .find("Content-Encoding: gzip\r\n") != std::string::npos);
}

TEST_CASE("Accept-Encoding parsing") {
  CHECK(AcceptsGzip("gzip"));
  CHECK(AcceptsGzip("deflate, gzip"));
  CHECK(AcceptsGzip("gzip;q=0.5"));
  CHECK(AcceptsGzip("*"));
  CHECK_FALSE(AcceptsGzip(nullptr));
  CHECK_FALSE(AcceptsGzip("identity"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0"));
  CHECK_FALSE(AcceptsGzip("gzip; q=0.000"));
  CHECK_FALSE(AcceptsGzip("xgzip"));
}

}  // namespace
}  // namespace p1
