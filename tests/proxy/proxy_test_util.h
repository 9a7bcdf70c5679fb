// Helpers for the proxy loop tests: corpus telegrams, a loop fixture that
// checks every handle closes, and plain non-blocking loopback clients that
// the test thread reads between turns of the loop (single thread, no races).
#ifndef P1GW_TESTS_PROXY_PROXY_TEST_UTIL_H_
#define P1GW_TESTS_PROXY_PROXY_TEST_UTIL_H_

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/core/telegram.h"

namespace p1::test {

std::string ReadDataFile(const std::string& name);
// The corpus text telegrams with a valid CRC line, as whole files.
std::vector<std::string> CorpusTelegrams();
// Encrypted frames (.bin): binary data that contains 0xFF bytes.
std::vector<std::string> CorpusBinaryFrames();
TelegramPtr MakeTelegram(const std::string& text);

ListenerConfig MakeListener(ListenerProtocol protocol = ListenerProtocol::kRaw,
                            Payload payload = Payload::kTelegrams, std::string host = "127.0.0.1");

// Owns a uv loop; the destructor runs it until every handle closed and
// checks uv_loop_close succeeds.
class LoopFixture {
 public:
  LoopFixture();
  ~LoopFixture();
  uv_loop_t* loop() { return &loop_; }
  // Runs the loop without blocking and calls `tick` until `done` is true or
  // `timeout_ms` passed. Returns done().
  bool PumpUntil(const std::function<bool()>& done, int timeout_ms = 5000,
                 const std::function<void()>& tick = {});

 private:
  uv_loop_t loop_;
};

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

}  // namespace p1::test

#endif  // P1GW_TESTS_PROXY_PROXY_TEST_UTIL_H_
