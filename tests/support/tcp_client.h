// Test helpers for loop tests with clients: a plain non-blocking loopback
// TCP client that the test thread reads between turns of the loop (single
// thread, no races), and checks of what such a client received.
#ifndef P1GW_TESTS_SUPPORT_TCP_CLIENT_H_
#define P1GW_TESTS_SUPPORT_TCP_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace p1::testing {

// A loopback TCP client on a non-blocking socket.
class Client {
 public:
  // rcvbuf > 0 sets SO_RCVBUF before connecting (a client that reads slowly);
  // `source` binds the client's own address first (127.0.0.2 is loopback too).
  Client(uint16_t port, const char* host = "127.0.0.1", int rcvbuf = 0,
         const char* source = nullptr);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  bool connected() const { return fd_ >= 0 && connected_; }
  // Reads whatever is available; returns true if any byte arrived.
  bool Drain();
  void Send(const std::string& bytes);
  // Closes with an RST instead of a FIN (SO_LINGER 0).
  void Reset();
  const std::string& got() const { return got_; }
  // How many telegram ends ("\r\n!") arrived so far.
  size_t Telegrams() const;
  bool eof() const { return eof_; }
  // No socket could be made (e.g. out of file descriptors).
  bool failed() const { return fd_ < 0; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string got_;
};

// Removes telnet commands from a byte stream and undoubles 0xFF: what a
// telnet client shows. Written independently of proxy/telnet/telnet_codec.
std::string StripTelnet(const std::string& in);

// Splits `got` into whole telegrams from `sent` in order (a subsequence).
// Returns how many matched, or -1 if `got` is not such a concatenation.
int CountWholeTelegramsInOrder(const std::string& got, const std::vector<std::string>& sent);

}  // namespace p1::testing

#endif  // P1GW_TESTS_SUPPORT_TCP_CLIENT_H_
