#include "gateway/runtime/trace_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace p1 {

TraceWriter::TraceWriter(uv_loop_t* loop) : loop_(loop) {}

TraceWriter::~TraceWriter() {
  if (in_flight_ != nullptr) {
    in_flight_->extra().owner = nullptr;  // the callback closes the fd
  } else if (fd_ >= 0) {
    close(fd_);
  }
}

bool TraceWriter::Open(const std::string& path, std::string* err) {
  // Opened once at startup, synchronously: not on the hot path.
  fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    *err = "trace_file " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

void TraceWriter::Append(std::string_view bytes) {
  if (fd_ < 0) return;
  if (pending_.size() + bytes.size() > kMaxPending) {
    dropped_ += bytes.size();
    return;
  }
  pending_.append(bytes);
  if (in_flight_ == nullptr) Flush();
}

void TraceWriter::Flush() {
  if (pending_.empty()) return;
  auto w = Write::Make(WriteState{std::move(pending_), this, fd_});
  pending_.clear();
  Write* pending = w.get();
  std::string& bytes = w->extra().bytes;
  const size_t size = bytes.size();
  uv_buf_t buf = uv_buf_init(bytes.data(), static_cast<unsigned>(size));
  if (Write::Start(std::move(w), [&](uv_fs_t* req) {
        return uv_fs_write(loop_, req, fd_, &buf, 1, -1, OnWrite);
      }) != 0) {
    dropped_ += size;
    return;
  }
  in_flight_ = pending;
}

void TraceWriter::OnWrite(uv_fs_t* req) {
  const Write::Ptr w = Write::Adopt(req);
  const WriteState& state = w->extra();
  TraceWriter* self = state.owner;
  if (self == nullptr) {
    close(state.fd);
  } else {
    if (req->result < 0) self->dropped_ += state.bytes.size();
    self->in_flight_ = nullptr;
    self->Flush();
  }
}

}  // namespace p1
