#include "exporters/http/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>
#include <vector>

namespace p1 {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr size_t kMaxHead = 8192;       // request line + headers
constexpr int kMaxConnections = 32;     // further connects wait in the backlog
constexpr auto kDeadline = std::chrono::seconds(10);  // per connection, request and response

const char* StatusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    default: return "Error";
  }
}

bool SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL, 0);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

// Value of header `name` (case-insensitive) in a request head, or "".
std::string HeaderValue(std::string_view head, std::string_view name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t begin = pos + 2;
    size_t end = head.find("\r\n", begin);
    std::string_view line = head.substr(begin, end == std::string_view::npos ? head.npos : end - begin);
    size_t colon = line.find(':');
    if (colon == name.size() &&
        std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      return std::string(Trim(line.substr(colon + 1)));
    }
    pos = end;
  }
  return {};
}

struct Connection {
  int fd = -1;
  std::string in;
  std::string out;
  size_t sent = 0;
  bool responding = false;
  bool draining = false;  // response sent, write side shut: read until the peer closes
  std::chrono::steady_clock::time_point deadline;
};

}  // namespace

bool AcceptsGzip(const char* accept_encoding) {
  if (accept_encoding == nullptr) return false;
  std::string_view rest(accept_encoding);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t semi = item.find(';');
    std::string_view coding = Trim(item.substr(0, semi));
    std::string lower(coding);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != "gzip" && lower != "x-gzip" && lower != "*") continue;
    if (semi == std::string_view::npos) return true;
    std::string_view params = Trim(item.substr(semi + 1));
    // "q=0", "q=0.0", "q=0.000" refuse; any other weight accepts.
    if (params.substr(0, 2) == "q=") {
      std::string_view q = params.substr(2);
      bool zero = !q.empty() && q.find_first_not_of("0.") == std::string_view::npos;
      if (!zero) return true;
    } else {
      return true;
    }
  }
  return false;
}

std::string Gzip(const std::string& in) {
  z_stream zs{};
  // 15 + 16: a gzip wrapper rather than zlib. Level 1: scrapes are frequent
  // and text compresses well even at the fastest level.
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out;
  out.resize(deflateBound(&zs, in.size()));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return {};
  out.resize(produced);
  return out;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(std::string path, Handler handler) { handlers_[std::move(path)] = std::move(handler); }

bool HttpServer::Start(const std::string& host, uint16_t port, std::string* err) {
  bool v6 = host.find(':') != std::string::npos;
  std::string where = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    if (inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) {
      *err = "cannot listen on " + where + ": not a numeric IPv6 address";
      return false;
    }
    addr_len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1) {
      *err = "cannot listen on " + where + ": not a numeric IPv4 address";
      return false;
    }
    addr_len = sizeof *a;
  }
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = "cannot listen on " + where + ": " + std::strerror(errno);
    return false;
  }
  int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (v6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);  // "::" also takes IPv4
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0 || listen(fd, 64) != 0 || !SetNonBlocking(fd) ||
      pipe2(wake_fd_, O_CLOEXEC | O_NONBLOCK) != 0) {
    *err = "cannot listen on " + where + ": " + std::strerror(errno);
    close(fd);
    return false;
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                   : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  listen_fd_ = fd;
  thread_ = std::thread(&HttpServer::Run, this);
  return true;
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  char b = 1;
  (void)!write(wake_fd_[1], &b, 1);
  thread_.join();
  close(listen_fd_);
  close(wake_fd_[0]);
  close(wake_fd_[1]);
  listen_fd_ = wake_fd_[0] = wake_fd_[1] = -1;
  port_ = 0;
}

std::string HttpServer::Respond(const std::string& head) const {
  HttpResponse resp;
  size_t line_end = head.find("\r\n");
  std::string_view line = std::string_view(head).substr(0, line_end);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == line.npos ? line.npos : line.find(' ', sp1 + 1);
  std::string_view method = line.substr(0, sp1);
  std::string_view target = sp2 == line.npos ? std::string_view() : line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view path = target.substr(0, target.find('?'));
  if (sp2 == line.npos || line.substr(sp2 + 1, 5) != "HTTP/") {
    resp = {400, "text/plain; charset=utf-8", "bad request\n"};
  } else if (method != "GET" && method != "HEAD") {
    resp = {405, "text/plain; charset=utf-8", "method not allowed\n"};
  } else if (auto it = handlers_.find(path); it == handlers_.end()) {
    resp = {404, "text/plain; charset=utf-8", "not found\n"};
  } else {
    resp = it->second();
  }
  const char* encoding = "";
  if (resp.status == 200 && AcceptsGzip(HeaderValue(head, "Accept-Encoding").c_str())) {
    std::string zipped = Gzip(resp.body);
    if (!zipped.empty()) {
      resp.body = std::move(zipped);
      encoding = "Content-Encoding: gzip\r\n";
    }
  }
  std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " " + StatusText(resp.status) +
                    "\r\nContent-Type: " + resp.content_type + "\r\nContent-Length: " +
                    std::to_string(resp.body.size()) + "\r\n" + encoding +
                    "Vary: Accept-Encoding\r\nConnection: close\r\n\r\n";
  if (method != "HEAD") out += resp.body;
  return out;
}

void HttpServer::Run() {
  std::vector<Connection> conns;
  std::vector<pollfd> fds;
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    // Expired connections are closed; the poll timeout wakes us for the next one.
    int timeout_ms = -1;
    for (size_t i = 0; i < conns.size();) {
      if (conns[i].deadline <= now) {
        close(conns[i].fd);
        conns.erase(conns.begin() + static_cast<long>(i));
        continue;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(conns[i].deadline - now).count() + 1;
      if (timeout_ms < 0 || left < timeout_ms) timeout_ms = static_cast<int>(left);
      ++i;
    }
    fds.clear();
    fds.push_back({wake_fd_[0], POLLIN, 0});
    // At the connection cap the listener is not polled: new clients wait in the backlog.
    fds.push_back({conns.size() < kMaxConnections ? listen_fd_ : -1, POLLIN, 0});
    for (const Connection& c : conns) {
      fds.push_back({c.fd, static_cast<short>(c.responding && !c.draining ? POLLOUT : POLLIN), 0});
    }
    if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) return;
    if (fds[0].revents != 0) break;

    for (size_t i = 0; i < conns.size(); ++i) {
      Connection& c = conns[i];
      short ev = fds[i + 2].revents;
      if (ev == 0) continue;
      bool done = false;
      if (c.draining) {
        // Closing with unread request bytes would reset the connection and
        // could destroy the response before the client reads it.
        char buf[4096];
        ssize_t n = recv(c.fd, buf, sizeof buf, 0);
        done = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
      } else if (!c.responding) {
        char buf[4096];
        ssize_t n = recv(c.fd, buf, sizeof buf, 0);
        if (n <= 0) {
          done = n == 0 || (errno != EAGAIN && errno != EINTR);
        } else {
          c.in.append(buf, static_cast<size_t>(n));
          size_t end = c.in.find("\r\n\r\n");
          if (end != std::string::npos) {
            c.in.resize(end + 2);
            c.out = Respond(c.in);
            c.responding = true;
          } else if (c.in.size() > kMaxHead) {
            c.out = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            c.responding = true;
          }
        }
      }
      if (c.responding && !c.draining && !done) {
        ssize_t n = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n > 0) c.sent += static_cast<size_t>(n);
        done = n < 0 && errno != EAGAIN && errno != EINTR;
        if (!done && c.sent == c.out.size()) {
          shutdown(c.fd, SHUT_WR);
          c.draining = true;
          c.out = std::string();
        }
      }
      if (done) {
        close(c.fd);
        c.fd = -1;
      }
    }
    conns.erase(std::remove_if(conns.begin(), conns.end(), [](const Connection& c) { return c.fd < 0; }),
                conns.end());

    if (fds[1].revents & POLLIN) {
      while (conns.size() < kMaxConnections) {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        conns.push_back({fd, {}, {}, 0, false, false, std::chrono::steady_clock::now() + kDeadline});
      }
    }
  }
  for (const Connection& c : conns) close(c.fd);
}

}  // namespace p1
