// UvHandle<T>: owns one libuv handle in its own heap block. Destroying or
// resetting the wrapper nulls `data` and uv_close()s the handle; the close
// callback frees the block, so the owner's lifetime is ordinary C++ and the
// loop may finish the close later. Trampolines must check `data` for null.
#ifndef P1GW_GATEWAY_LOOP_UV_HANDLE_H_
#define P1GW_GATEWAY_LOOP_UV_HANDLE_H_

#include <uv.h>

#include <cstdint>
#include <utility>

namespace p1 {

template <typename T>
class UvHandle {
 public:
  UvHandle() = default;
  ~UvHandle() { Reset(); }
  UvHandle(UvHandle&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  UvHandle& operator=(UvHandle&& other) noexcept {
    if (this != &other) {
      Reset();
      h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
  }
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;

  // Allocates and initialises the handle with `init(loop, handle, args...)`
  // (uv_timer_init, uv_poll_init, uv_tcp_init...). Returns the libuv status.
  template <typename InitFn, typename... Args>
  int Init(InitFn init, uv_loop_t* loop, void* owner, Args... args) {
    Reset();
    T* h = new T;
    int r = init(loop, h, args...);
    if (r != 0) {
      delete h;
      return r;
    }
    h->data = owner;
    h_ = h;
    return 0;
  }

  void Reset() {
    if (h_ == nullptr) return;
    h_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(std::exchange(h_, nullptr)), OnClose);
  }

  T* get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }

 private:
  static void OnClose(uv_handle_t* h) { delete reinterpret_cast<T*>(h); }
  T* h_ = nullptr;
};

// Capped exponential backoff for reconnects: 0.5 s, 1 s, 2 s ... 30 s.
class Backoff {
 public:
  Backoff(uint64_t first_ms = 500, uint64_t max_ms = 30000) : first_(first_ms), max_(max_ms) {}
  uint64_t Next() {
    uint64_t d = next_ == 0 ? first_ : next_;
    next_ = d * 2 > max_ ? max_ : d * 2;
    return d;
  }
  void Reset() { next_ = 0; }

 private:
  uint64_t first_, max_, next_ = 0;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_LOOP_UV_HANDLE_H_
