// SignalWatcher: watches a few signals (SIGINT and SIGTERM by default) on a
// loop and calls `callback(owner, signum)` on the loop for each delivery.
// *owner must outlive the watcher; Reset() or destruction stops watching.
// Not movable: the handles point back at it.
#ifndef P1GW_GATEWAY_LOOP_SIGNAL_WATCHER_H_
#define P1GW_GATEWAY_LOOP_SIGNAL_WATCHER_H_

#include <uv.h>

#include <csignal>
#include <initializer_list>
#include <vector>

#include "gateway/loop/uv_handle.h"

namespace p1 {

class SignalWatcher {
 public:
  using Callback = void (*)(void* owner, int signum);

  SignalWatcher() = default;
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Returns the first libuv error; then nothing is watched.
  int Start(uv_loop_t* loop, void* owner, Callback callback,
            std::initializer_list<int> signals = {SIGINT, SIGTERM}) {
    Reset();
    owner_ = owner;
    callback_ = callback;
    for (int signum : signals) {
      UvHandle<uv_signal_t> h;
      int r = h.Init(uv_signal_init, loop, this);
      if (r == 0) r = uv_signal_start(h.get(), OnSignal, signum);
      if (r != 0) {
        Reset();
        return r;
      }
      handles_.push_back(std::move(h));
    }
    return 0;
  }

  void Reset() { handles_.clear(); }

 private:
  static void OnSignal(uv_signal_t* handle, int signum) {
    auto* self = static_cast<SignalWatcher*>(handle->data);
    if (self != nullptr) self->callback_(self->owner_, signum);
  }

  std::vector<UvHandle<uv_signal_t>> handles_;
  void* owner_ = nullptr;
  Callback callback_ = nullptr;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_LOOP_SIGNAL_WATCHER_H_
