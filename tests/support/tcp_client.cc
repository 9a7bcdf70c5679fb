#include "tests/support/tcp_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace p1::testing {

Client::Client(uint16_t port, const char* host, int rcvbuf, const char* source) {
  const bool v6 = std::strchr(host, ':') != nullptr;
  fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  int r;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    ::inet_pton(AF_INET6, host, &a.sin6_addr);
    r = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  } else {
    if (source != nullptr) {
      sockaddr_in s{};
      s.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &s.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&s), sizeof(s)) != 0) {
        ::close(fd_);
        fd_ = -1;
        return;
      }
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, host, &a.sin_addr);
    r = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  }
  // A blocking connect on loopback completes once the kernel queued the
  // connection in the listen backlog, before the server accepts it.
  connected_ = r == 0;
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

bool Client::Drain() {
  if (fd_ < 0 || eof_) return false;
  bool any = false;
  char buf[65536];
  while (true) {
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      got_.append(buf, static_cast<size_t>(n));
      any = true;
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) eof_ = true;
    return any;
  }
}

size_t Client::Telegrams() const {
  size_t count = 0;
  for (size_t i = 0; (i = got_.find("\r\n!", i)) != std::string::npos; ++i) ++count;
  return count;
}

void Client::Send(const std::string& bytes) {
  if (fd_ >= 0) (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

void Client::Reset() {
  if (fd_ < 0) return;
  const linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  ::close(fd_);
  fd_ = -1;
}

std::string StripTelnet(const std::string& in) {
  constexpr unsigned char kIac = 255, kSb = 250, kSe = 240, kWill = 251, kDont = 254;
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c != kIac) {
      out.push_back(in[i++]);
      continue;
    }
    if (i + 1 >= in.size()) break;
    const auto cmd = static_cast<unsigned char>(in[i + 1]);
    if (cmd == kIac) {
      out.push_back(in[i]);
      i += 2;
    } else if (cmd >= kWill && cmd <= kDont) {
      i += 3;
    } else if (cmd == kSb) {
      size_t j = i + 2;
      while (j + 1 < in.size() && !(static_cast<unsigned char>(in[j]) == kIac &&
                                    static_cast<unsigned char>(in[j + 1]) == kSe)) {
        ++j;
      }
      i = j + 2;
    } else {
      i += 2;
    }
  }
  return out;
}

int CountWholeTelegramsInOrder(const std::string& got, const std::vector<std::string>& sent) {
  size_t pos = 0;
  size_t k = 0;
  int matched = 0;
  while (pos < got.size()) {
    while (k < sent.size() && got.compare(pos, sent[k].size(), sent[k]) != 0) ++k;
    if (k == sent.size()) return -1;
    pos += sent[k].size();
    ++k;
    ++matched;
  }
  return matched;
}

}  // namespace p1::testing
