#include "gateway/runtime/trace_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace p1 {

// A write request owns its bytes and, once orphaned by the writer's
// destruction, the fd as well.
struct TraceWriter::Write {
  uv_fs_t req;
  std::string bytes;
  TraceWriter* owner;
  int fd;
};

TraceWriter::TraceWriter(uv_loop_t* loop) : loop_(loop) {}

TraceWriter::~TraceWriter() {
  if (in_flight_ != nullptr) {
    in_flight_->owner = nullptr;  // the callback closes the fd
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
  auto* w = new Write{{}, std::move(pending_), this, fd_};
  pending_.clear();
  uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  if (uv_fs_write(loop_, &w->req, fd_, &buf, 1, -1, OnWrite) != 0) {
    dropped_ += w->bytes.size();
    delete w;
    return;
  }
  in_flight_ = w;
}

void TraceWriter::OnWrite(uv_fs_t* req) {
  auto* w = reinterpret_cast<Write*>(req);
  TraceWriter* self = w->owner;
  uv_fs_req_cleanup(req);
  if (self == nullptr) {
    close(w->fd);
  } else {
    if (req->result < 0) self->dropped_ += w->bytes.size();
    self->in_flight_ = nullptr;
    self->Flush();
  }
  delete w;
}

}  // namespace p1
