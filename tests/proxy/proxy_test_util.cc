#include "tests/proxy/proxy_test_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/corpus_files.h"

namespace p1::test {

std::string ReadDataFile(const std::string& name) {
  std::string bytes = testing::ReadCorpusFile(name);
  if (bytes.empty()) throw std::runtime_error("cannot read test data " + name);
  return bytes;
}

std::vector<std::string> CorpusTelegrams() {
  std::vector<std::string> out;
  for (const auto& n : testing::CorpusFiles(".txt", {".expected.txt", ".key.txt"})) {
    std::string t = ReadDataFile(n);
    // Whole telegrams only: '/' first, ends with the '!' line.
    if (t.empty() || t[0] != '/' || t.find('!') == std::string::npos) continue;
    if (t.size() < 2 || t.compare(t.size() - 2, 2, "\r\n") != 0) continue;
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<std::string> CorpusBinaryFrames() {
  std::vector<std::string> out;
  for (const auto& n : testing::CorpusFiles(".bin")) out.push_back(ReadDataFile(n));
  return out;
}

TelegramPtr MakeTelegram(const std::string& text) {
  auto t = std::make_shared<Telegram>();
  t->raw = text;
  t->plaintext = text;
  t->crc = CrcStatus::kValid;
  return t;
}

ListenerConfig MakeListener(ListenerProtocol protocol, Payload payload, std::string host) {
  ListenerConfig c;
  c.listen.host = std::move(host);
  c.listen.port = 0;
  c.protocol = protocol;
  c.payload = payload;
  c.max_clients = 200;
  c.replay_last = false;
  return c;
}

LoopFixture::LoopFixture() {
  if (uv_loop_init(&loop_) != 0) throw std::runtime_error("uv_loop_init");
}

LoopFixture::~LoopFixture() {
  // Everything the test created is destroyed by now; let the closes finish.
  for (int i = 0; i < 100 && uv_loop_alive(&loop_); ++i) uv_run(&loop_, UV_RUN_NOWAIT);
  if (uv_loop_close(&loop_) != 0) {
    // A handle leaked: fail loudly rather than hide it.
    std::fprintf(stderr, "uv_loop_close failed: a handle was not closed\n");
    std::abort();
  }
}

bool LoopFixture::PumpUntil(const std::function<bool()>& done, int timeout_ms,
                            const std::function<void()>& tick) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    uv_run(&loop_, UV_RUN_NOWAIT);
    if (tick) tick();
    if (done()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

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
      while (j + 1 < in.size() &&
             !(static_cast<unsigned char>(in[j]) == kIac && static_cast<unsigned char>(in[j + 1]) == kSe)) {
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

}  // namespace p1::test
