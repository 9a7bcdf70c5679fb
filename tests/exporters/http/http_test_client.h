// Test helpers for the HTTP server: a loop with a server on loopback, and
// client sockets whose reads pump that loop, so every wait is RunUntil on an
// observable condition (bytes arrived, the server closed).
#ifndef P1GW_TESTS_EXPORTERS_HTTP_HTTP_TEST_CLIENT_H_
#define P1GW_TESTS_EXPORTERS_HTTP_HTTP_TEST_CLIENT_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "exporters/http/http_server.h"
#include "gateway/loop/acceptor.h"
#include "tests/support/loop_helpers.h"

namespace p1::testing {



inline constexpr int kWaitMs = 5000;

struct Reply {
  std::string head;
  std::string body;
  bool Has(const std::string& line) const { return head.find(line + "\r\n") != std::string::npos; }
  int status() const { return head.size() > 12 ? std::stoi(head.substr(9, 3)) : 0; }
};

// One client connection. Its socket is non-blocking; reads pump the loop.
class Client {
 public:
  Client(uv_loop_t* loop, uint16_t port, bool v6 = false, const char* from = nullptr)
      : loop_(loop) {
    fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    int rc;
    if (v6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(port);
      a.sin6_addr = in6addr_loopback;
      rc = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
      if (from != nullptr) {
        sockaddr_in b{};
        b.sin_family = AF_INET;
        inet_pton(AF_INET, from, &b.sin_addr);
        REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&b), sizeof b) == 0);
      }
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      rc = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    REQUIRE(rc == 0);  // loopback: the kernel completes the handshake before accept
    REQUIRE(fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK) == 0);
  }
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void Send(const std::string& bytes) {
    size_t off = 0;
    REQUIRE(RunUntil(
        loop_,
        [&] {
          ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
          if (n > 0) off += static_cast<size_t>(n);
          return off == bytes.size();
        },
        kWaitMs));
  }
  void Get(const std::string& path, const std::string& headers = "", const char* method = "GET") {
    Send(std::string(method) + " " + path + " HTTP/1.1\r\nHost: t\r\n" + headers + "\r\n");
  }

  // One response with a Content-Length body (none for HEAD).
  std::optional<Reply> Read(bool head_only = false) {
    std::optional<Reply> out;
    RunUntil(
        loop_,
        [&] {
          Pull();
          const size_t sep = in_.find("\r\n\r\n");
          if (sep == std::string::npos) return false;
          Reply r{in_.substr(0, sep + 2), {}};
          size_t length = 0;
          if (const size_t at = r.head.find("Content-Length: ");
              at != std::string::npos && !head_only) {
            length = std::stoul(r.head.substr(at + 16));
          }
          if (in_.size() < sep + 4 + length) return false;
          r.body = in_.substr(sep + 4, length);
          in_.erase(0, sep + 4 + length);
          out = r;
          return true;
        },
        kWaitMs);
    return out;
  }
  // Waits until `n` more bytes than now have arrived (for streams).
  std::string ReadAtLeast(size_t n) {
    RunUntil(
        loop_,
        [&] {
          Pull();
          return in_.size() >= n;
        },
        kWaitMs);
    return std::exchange(in_, std::string());
  }
  // True when the server closed (EOF or reset) within the wait.
  bool WaitClosed() {
    return RunUntil(
        loop_,
        [&] {
          Pull();
          return closed_;
        },
        kWaitMs);
  }
  const std::string& unread() const { return in_; }

 private:
  void Pull() {
    char buf[65536];
    for (;;) {
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) closed_ = true;
      return;
    }
  }

  uv_loop_t* loop_;
  int fd_ = -1;
  std::string in_;
  bool closed_ = false;
};

inline std::string Inflate(const std::string& gz) {
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

// A loop with a server on 127.0.0.1 (or `host`), an ephemeral port.
struct Fixture {
  explicit Fixture(HttpServer::Options options = {}, const char* host = "127.0.0.1") {
    uv_loop_init(&loop);
    server = std::make_unique<HttpServer>(&loop, options);
    server->Handle(
        "/x", [](const HttpRequest& req) { return HttpResponse::Text(200, "x:" + req.query); });
    sockaddr_storage addr{};
    REQUIRE(NumericSocketAddress(host, 0, &addr) == 0);
    listen_status = server->Listen(addr);
  }
  ~Fixture() {
    server.reset();
    CHECK(testing::DrainAndClose(&loop) == 0);
  }
  uint16_t port() const { return server->port(); }

  uv_loop_t loop;
  std::unique_ptr<HttpServer> server;
  int listen_status = 0;
};

}  // namespace p1::testing

#endif  // P1GW_TESTS_EXPORTERS_HTTP_HTTP_TEST_CLIENT_H_
