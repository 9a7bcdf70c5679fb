// Test helpers for loop tests: run a libuv loop until a condition or a
// deadline, a loop fixture that checks every handle closes, pseudo-terminals
// standing in for meters.
#ifndef P1GW_TESTS_SUPPORT_LOOP_HELPERS_H_
#define P1GW_TESTS_SUPPORT_LOOP_HELPERS_H_

#include <uv.h>

#include <chrono>
#include <functional>
#include <string>

namespace p1::testing {

// Runs `loop` until `done()` is true or `timeout_ms` passed. Returns done().
// A 10 ms tick timer keeps the loop from blocking forever.
bool RunUntil(uv_loop_t* loop, const std::function<bool()>& done, int timeout_ms);

// Runs the loop until it has no more active handles (bounded); then closes
// it. Returns uv_loop_close's status (0 when every handle was closed).
int DrainAndClose(uv_loop_t* loop);

// Owns a uv loop; the destructor runs it until every handle closed and
// aborts if uv_loop_close fails (a leaked handle).
class LoopFixture {
 public:
  LoopFixture();
  ~LoopFixture();
  LoopFixture(const LoopFixture&) = delete;
  LoopFixture& operator=(const LoopFixture&) = delete;
  uv_loop_t* loop() { return &loop_; }
  // Runs the loop without blocking and calls `tick` until `done` is true or
  // `timeout_ms` passed, for tests that also poll plain sockets (Client).
  // Returns done().
  bool PumpUntil(const std::function<bool()>& done, int timeout_ms = 5000,
                 const std::function<void()>& tick = {});

 private:
  uv_loop_t loop_;
};

// A pseudo-terminal whose slave side is reachable at a stable symlink, like
// a /dev/serial/by-id name: Unplug() closes the master (a tty hangup, as a
// USB unplug), Replug() makes a new pty and repoints the link.
class FakeSerial {
 public:
  explicit FakeSerial(std::string link);
  ~FakeSerial();
  const std::string& link() const { return link_; }
  const std::string& device() const { return device_; }  // /dev/pts/N
  bool Write(const std::string& bytes);
  void Unplug();
  void Replug();

 private:
  void Open();
  std::string link_;
  std::string device_;
  int master_ = -1;
};

std::string TempPath(const std::string& stem);  // unique path in $TMPDIR

}  // namespace p1::testing

#endif  // P1GW_TESTS_SUPPORT_LOOP_HELPERS_H_
