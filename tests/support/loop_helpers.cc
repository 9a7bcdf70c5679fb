#include "tests/support/loop_helpers.h"

#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace p1::testing {

bool RunUntil(uv_loop_t* loop, const std::function<bool()>& done, int timeout_ms) {
  uv_timer_t tick;
  uv_timer_init(loop, &tick);
  uv_timer_start(
      &tick, [](uv_timer_t*) {}, 10, 10);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool ok = done();
  while (!ok && std::chrono::steady_clock::now() < deadline) {
    uv_run(loop, UV_RUN_ONCE);
    ok = done();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return ok;
}

int DrainAndClose(uv_loop_t* loop) {
  for (int i = 0; i < 1000 && uv_loop_alive(loop); ++i) uv_run(loop, UV_RUN_NOWAIT);
  return uv_loop_close(loop);
}

LoopFixture::LoopFixture() {
  if (uv_loop_init(&loop_) != 0) throw std::runtime_error("uv_loop_init");
}

LoopFixture::~LoopFixture() {
  // Everything the test created is destroyed by now; let the closes finish.
  if (DrainAndClose(&loop_) != 0) {
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

FakeSerial::FakeSerial(std::string link) : link_(std::move(link)) { Open(); }

FakeSerial::~FakeSerial() {
  if (master_ >= 0) close(master_);
  unlink(link_.c_str());
}

void FakeSerial::Open() {
  int slave = -1;
  char name[128];
  if (openpty(&master_, &slave, name, nullptr, nullptr) != 0) return;
  struct termios t;
  tcgetattr(slave, &t);
  cfmakeraw(&t);
  tcsetattr(slave, TCSANOW, &t);
  close(slave);
  device_ = name;
  unlink(link_.c_str());
  if (symlink(name, link_.c_str()) != 0) {
    close(master_);
    master_ = -1;
  }
}

bool FakeSerial::Write(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = write(master_, bytes.data() + off, bytes.size() - off);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

void FakeSerial::Unplug() {
  if (master_ >= 0) close(master_);
  master_ = -1;
}

void FakeSerial::Replug() {
  Unplug();
  Open();
}

std::string TempPath(const std::string& stem) {
  static std::atomic<int> counter{0};
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp ? tmp : "/tmp") + "/p1gw-test-" + std::to_string(getpid()) + "-" +
         std::to_string(counter++) + "-" + stem;
}

}  // namespace p1::testing
