// UvLoop: owns a uv_loop_t for a command's lifetime. Close() is the one
// shutdown sequence: once the owners of every handle are gone (their
// uv_close calls issued), run the loop until those closes and any request
// in flight have finished, then uv_loop_close it.
#ifndef P1GW_GATEWAY_LOOP_UV_LOOP_H_
#define P1GW_GATEWAY_LOOP_UV_LOOP_H_

#include <uv.h>

namespace p1 {

class UvLoop {
 public:
  UvLoop() { uv_loop_init(&loop_); }
  ~UvLoop() { Close(); }
  UvLoop(const UvLoop&) = delete;
  UvLoop& operator=(const UvLoop&) = delete;

  uv_loop_t* get() { return &loop_; }
  // Runs until no active handle or request is left.
  void Run() { uv_run(&loop_, UV_RUN_DEFAULT); }
  // Drains and closes the loop, once. False if a handle was left open (a
  // leak: its owner never closed it); the loop then stays open.
  bool Close() {
    if (!closing_) {
      closing_ = true;
      uv_run(&loop_, UV_RUN_DEFAULT);
      closed_ = uv_loop_close(&loop_) == 0;
    }
    return closed_;
  }

 private:
  uv_loop_t loop_;
  bool closing_ = false;  // Close() ran: never drain twice
  bool closed_ = false;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_LOOP_UV_LOOP_H_
