// TraceWriter: appends a meter's raw bytes to a file without blocking the
// loop (uv_fs_write, one request in flight). Pending bytes are bounded;
// beyond the bound bytes are dropped and counted.
#ifndef P1GW_GATEWAY_RUNTIME_TRACE_WRITER_H_
#define P1GW_GATEWAY_RUNTIME_TRACE_WRITER_H_

#include <uv.h>

#include <string>
#include <string_view>

#include "gateway/loop/uv_request.h"

namespace p1 {

class TraceWriter {
 public:
  static constexpr size_t kMaxPending = 1 << 20;

  explicit TraceWriter(uv_loop_t* loop);
  ~TraceWriter();  // an in-flight write finishes on its own and frees itself
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  bool Open(const std::string& path, std::string* err);
  void Append(std::string_view bytes);
  uint64_t dropped_bytes() const { return dropped_; }

 private:
  // A write request owns its bytes and, once orphaned by the writer's
  // destruction, the fd as well.
  struct WriteState {
    std::string bytes;
    TraceWriter* owner;
    int fd;
  };
  using Write = UvRequest<uv_fs_t, WriteState>;
  static void OnWrite(uv_fs_t* req);
  void Flush();

  uv_loop_t* loop_;
  int fd_ = -1;
  std::string pending_;
  Write* in_flight_ = nullptr;
  uint64_t dropped_ = 0;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_RUNTIME_TRACE_WRITER_H_
