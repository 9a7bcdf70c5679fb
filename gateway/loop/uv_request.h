// UvRequest<T, Extra>: one libuv request (uv_write_t, uv_connect_t,
// uv_getaddrinfo_t, uv_fs_t...) in its own heap block, together with what
// must stay alive until its callback runs (`Extra`: the bytes being written,
// a back-pointer the owner clears). Made and held by a unique_ptr; Start()
// hands it to libuv when the start call succeeds and frees it when it fails;
// the callback takes it back with Adopt(), so it is freed exactly once.
#ifndef P1GW_GATEWAY_LOOP_UV_REQUEST_H_
#define P1GW_GATEWAY_LOOP_UV_REQUEST_H_

#include <uv.h>

#include <memory>
#include <type_traits>
#include <utility>
#include <variant>

namespace p1 {

template <typename T, typename Extra = std::monostate>
class UvRequest {
 public:
  using Ptr = std::unique_ptr<UvRequest>;

  template <typename... Args>
  static Ptr Make(Args&&... extra) {
    return Ptr(new UvRequest(std::forward<Args>(extra)...));
  }

  // Runs `start(T*)` (a lambda calling uv_write, uv_fs_write...). On 0 libuv
  // owns the request until its callback Adopt()s it; otherwise it is freed
  // here. Returns the libuv status.
  template <typename StartFn>
  static int Start(Ptr request, StartFn start) {
    const int r = start(&request->req_);
    if (r == 0) (void)request.release();
    return r;
  }

  // In the callback: ownership back from libuv.
  static Ptr Adopt(T* req) { return Ptr(static_cast<UvRequest*>(req->data)); }

  ~UvRequest() {
    if constexpr (std::is_same_v<T, uv_fs_t>) uv_fs_req_cleanup(&req_);
  }
  UvRequest(const UvRequest&) = delete;
  UvRequest& operator=(const UvRequest&) = delete;

  T* get() { return &req_; }
  Extra& extra() { return extra_; }

 private:
  template <typename... Args>
  explicit UvRequest(Args&&... extra) : extra_{std::forward<Args>(extra)...} {
    req_.data = this;
  }

  T req_{};
  Extra extra_;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_LOOP_UV_REQUEST_H_
