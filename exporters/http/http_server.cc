#include "exporters/http/http_server.h"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "gateway/loop/uv_request.h"

namespace p1 {
namespace {

// Pipelined requests wait while this much of the answers is still unsent.
constexpr size_t kPipelineHighWater = 256 * 1024;
// A connection ending (write side shut) waits this long for the client's FIN.
constexpr uint64_t kLingerMs = 2000;
constexpr size_t kReadBufferSize = 16 * 1024;
constexpr char kBusy[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 19\r\nConnection: close\r\n\r\ntoo many connections";

uv_stream_t* Stream(uv_tcp_t* tcp) { return reinterpret_cast<uv_stream_t*>(tcp); }

// The client's address bytes: what the per-client limit counts by.
std::string ClientKey(const sockaddr_storage& peer) {
  if (peer.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(peer).sin_addr;
    return std::string(reinterpret_cast<const char*>(&a), sizeof a);
  }
  if (peer.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr;
    return std::string(reinterpret_cast<const char*>(&a), sizeof a);
  }
  return {};
}

// What one uv_write sends, owned until its callback: a head (or a
// chunk-size line) and a shared body.
struct Pending {
  std::string head;
  OutChunk body;
};
using WriteRequest = UvRequest<uv_write_t, Pending>;
using ShutdownRequest = UvRequest<uv_shutdown_t>;

}  // namespace

// One accepted connection. Owned by the server; Close() closes the socket
// at once and the server destroys the object after the current callback.
class HttpConnection {
 public:
  HttpConnection(HttpServer* server, UvHandle<uv_tcp_t> tcp, std::string client)
      : server_(server),
        tcp_(std::move(tcp)),
        client_(std::move(client)),
        reader_(server->options_.limits) {
    tcp_.get()->data = this;
    last_activity_ms_ = last_progress_ms_ = Now();
  }
  ~HttpConnection() { Close(); }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool Start() {
    uv_tcp_nodelay(tcp_.get(), 1);
    if (uv_read_start(Stream(tcp_.get()), OnAlloc, OnRead) != 0) Close();
    return state_ != State::kClosed;
  }

  bool closed() const { return state_ == State::kClosed; }
  // Answer bytes accepted but not yet taken by the kernel.
  size_t Queued() const { return tcp_ ? uv_stream_get_write_queue_size(Stream(tcp_.get())) : 0; }

  void Close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    if (stream_) {
      stream_->conn_ = nullptr;
      stream_.reset();
    }
    tcp_.Reset();  // pending writes complete with UV_ECANCELED and find data == nullptr
    server_->Release(client_);
    server_->RequestSweep();
  }

  // Timeouts, from the server's check timer.
  void Check(uint64_t now) {
    const HttpServer::Options& o = server_->options_;
    if (state_ == State::kClosed) return;
    if (Queued() > 0) {
      if (now - last_progress_ms_ >= o.write_timeout_ms) TimedOut();
      return;
    }
    if (state_ == State::kEnding) {
      if (now - ending_since_ms_ >= kLingerMs) Close();
    } else if (state_ == State::kRequests && !paused_) {
      if (reader_.in_progress()) {
        if (now - request_started_ms_ >= o.request_timeout_ms) {
          ++server_->stats_.timeouts;
          Answer(nullptr, HttpResponse::Text(408, "request timeout\n"), false);
        }
      } else if (now - last_activity_ms_ >= o.idle_timeout_ms) {
        TimedOut();
      }
    }
  }

  bool Send(HttpStream* stream, const OutChunk& chunk) {
    if (state_ != State::kStream) return false;
    const size_t queued = Queued();
    if (queued > 0 && queued + chunk.data.size() > server_->options_.stream_queue_bytes) {
      ++stream->dropped_;
      ++server_->stats_.stream_drops;
      return false;
    }
    return WriteChunk(chunk);
  }

 private:
  enum class State {
    kRequests,  // reading and answering requests
    kStream,    // a streaming response is open; input is discarded
    kEnding,    // the last answer is out or going; write side shut after it
    kClosed,
  };

  uint64_t Now() const { return uv_now(server_->loop_); }

  void TimedOut() {
    ++server_->stats_.timeouts;
    Close();
  }

  static void OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
    auto* self = static_cast<HttpConnection*>(handle->data);
    if (self == nullptr) {
      *buf = uv_buf_init(nullptr, 0);
      return;
    }
    std::string& scratch = self->server_->read_buffer_;
    *buf = uv_buf_init(scratch.data(), static_cast<unsigned int>(scratch.size()));
  }

  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* self = static_cast<HttpConnection*>(stream->data);
    if (self == nullptr || nread == 0) return;
    if (nread < 0) {
      self->Close();  // EOF, ECONNRESET...: the client is gone
      return;
    }
    self->last_activity_ms_ = self->Now();
    if (self->state_ == State::kRequests)
      self->Process(std::string_view(buf->base, static_cast<size_t>(nread)));
  }

  static void OnWrite(uv_write_t* req, int status) {
    const WriteRequest::Ptr w = WriteRequest::Adopt(req);
    auto* self = static_cast<HttpConnection*>(req->handle->data);
    if (self == nullptr) return;
    if (status != 0) {
      self->Close();  // EPIPE, ECONNRESET, ...
      return;
    }
    self->last_progress_ms_ = self->last_activity_ms_ = self->Now();
    if (self->paused_ && self->Queued() <= kPipelineHighWater / 2) self->Resume();
  }

  static void OnShutdown(uv_shutdown_t* req, int /*status*/) { ShutdownRequest::Adopt(req); }

  // Parses and answers what `in` holds, one request at a time.
  void Process(std::string_view in) {
    while (state_ == State::kRequests && !in.empty()) {
      const bool was_reading = reader_.in_progress();
      const size_t n = reader_.Feed(in);
      in.remove_prefix(n);
      if (!was_reading && (reader_.in_progress() || reader_.ready())) request_started_ms_ = Now();
      if (reader_.failed()) {
        ++server_->stats_.bad_requests;
        const int status = reader_.error_status();
        Answer(nullptr, HttpResponse::Text(status, std::string(HttpStatusText(status)) + "\n"),
               false);
        return;
      }
      if (!reader_.ready()) return;  // all consumed, or nothing more is read (no keep-alive)
      ++server_->stats_.requests;
      const HttpRequest& req = reader_.request();
      Answer(&req, server_->Dispatch(req), req.keep_alive);
      reader_.Next();
      if (state_ == State::kRequests && !in.empty() && Queued() > kPipelineHighWater) {
        // A client that pipelines without reading its answers waits for them.
        pending_.assign(in);
        paused_ = true;
        uv_read_stop(Stream(tcp_.get()));
        return;
      }
    }
  }

  void Resume() {
    paused_ = false;
    std::string held = std::move(pending_);
    pending_ = std::string();
    if (uv_read_start(Stream(tcp_.get()), OnAlloc, OnRead) != 0) {
      Close();
      return;
    }
    Process(held);
  }

  void Answer(const HttpRequest* req, HttpResponse resp, bool keep_alive) {
    const bool head_only = req != nullptr && req->method == "HEAD";
    const bool stream = resp.on_stream && !head_only;
    if (!stream) resp.on_stream = nullptr;
    std::string head = HttpResponseHead(req, &resp, keep_alive);
    if (stream) {
      chunked_ = req != nullptr && req->version_minor >= 1;
      // Cap the kernel's share of a stalled client's backlog so that
      // stream_queue_bytes is the real bound (autotuning would let it grow
      // to megabytes before a single event is dropped).
      int sndbuf =
          static_cast<int>(std::clamp<size_t>(server_->options_.stream_queue_bytes, 4096, 1 << 20));
      uv_send_buffer_size(reinterpret_cast<uv_handle_t*>(tcp_.get()), &sndbuf);
      if (!Write(std::move(head), {})) return;
      state_ = State::kStream;
      if (!resp.body.empty())
        WriteChunk(OutChunk::Of(std::make_shared<const std::string>(std::move(resp.body))));
      if (state_ != State::kStream) return;
      stream_ = std::make_shared<HttpStream>();
      stream_->conn_ = this;
      auto on_stream = std::move(resp.on_stream);
      on_stream(stream_);
      return;
    }
    OutChunk body;
    if (!head_only && resp.shared_body) {
      body = OutChunk::Of(std::move(resp.shared_body));
    } else if (!head_only && !resp.body.empty()) {
      body = OutChunk::Of(std::make_shared<const std::string>(std::move(resp.body)));
    }
    if (!Write(std::move(head), body)) return;
    if (!keep_alive) End();
  }

  // The write side is shut once the queued answers are out (uv_shutdown
  // waits for them); reading goes on until the client closes, because
  // closing with unread input resets the connection and can destroy the
  // answer before the client reads it.
  void End() {
    state_ = State::kEnding;
    ending_since_ms_ = Now();
    pending_ = std::string();
    if (paused_) {
      paused_ = false;
      uv_read_start(Stream(tcp_.get()), OnAlloc, OnRead);
    }
    if (ShutdownRequest::Start(ShutdownRequest::Make(), [&](uv_shutdown_t* req) {
          return uv_shutdown(req, Stream(tcp_.get()), OnShutdown);
        }) != 0) {
      Close();
    }
  }

  bool WriteChunk(const OutChunk& chunk) {
    if (chunk.data.empty()) return true;
    if (!chunked_) return Write({}, chunk);
    char size[24];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.data.size());
    return Write(size, chunk, /*crlf=*/true);
  }

  bool Write(std::string head, const OutChunk& body, bool crlf = false) {
    static const char kCrlf[] = "\r\n";
    if (Queued() == 0) last_progress_ms_ = Now();  // the write clock starts now
    auto w = WriteRequest::Make(Pending{std::move(head), body});
    Pending& p = w->extra();
    uv_buf_t bufs[3];
    unsigned n = 0;
    if (!p.head.empty())
      bufs[n++] = uv_buf_init(p.head.data(), static_cast<unsigned>(p.head.size()));
    // libuv never writes through the buffers; the casts only satisfy uv_buf_t.
    if (!body.empty()) {
      bufs[n++] =
          uv_buf_init(const_cast<char*>(body.data.data()), static_cast<unsigned>(body.data.size()));
    }
    if (crlf) bufs[n++] = uv_buf_init(const_cast<char*>(kCrlf), 2);
    if (n == 0) return true;
    if (WriteRequest::Start(std::move(w), [&](uv_write_t* req) {
          return uv_write(req, Stream(tcp_.get()), bufs, n, OnWrite);
        }) != 0) {
      Close();
      return false;
    }
    return true;
  }

  HttpServer* server_;
  UvHandle<uv_tcp_t> tcp_;
  std::string client_;
  HttpRequestReader reader_;
  State state_ = State::kRequests;
  bool paused_ = false;   // reading stopped until the answers drain
  bool chunked_ = false;  // the stream's chunks are framed (HTTP/1.1)
  std::string pending_;   // input held while paused
  std::shared_ptr<HttpStream> stream_;
  uint64_t last_activity_ms_ = 0;
  uint64_t last_progress_ms_ = 0;
  uint64_t request_started_ms_ = 0;
  uint64_t ending_since_ms_ = 0;
};

bool HttpStream::Send(const OutChunk& chunk) {
  return conn_ != nullptr && conn_->Send(this, chunk);
}

void HttpStream::Close() {
  if (conn_ != nullptr) conn_->Close();
}

HttpServer::HttpServer(uv_loop_t* loop, Options options)
    : loop_(loop),
      options_(options),
      acceptor_(loop, {[this](int fd, const sockaddr_storage& peer) { Admit(fd, peer); },
                       [this](uint64_t refused) {
                         stats_.rejected_fds += refused;
                         // 1, 10, 100, ... refusals: a flood must not flood the log.
                         if (stats_.rejected_fds >= fds_warn_at_) {
                           fds_warn_at_ = stats_.rejected_fds * 10;
                           spdlog::warn(
                               "http: out of file descriptors: {} connection(s) refused so far "
                               "(raise LimitNOFILE= / ulimit -n)",
                               stats_.rejected_fds);
                         }
                       },
                       [](int err) { spdlog::warn("http: accept: {}", uv_strerror(err)); }}),
      read_buffer_(kReadBufferSize, '\0') {}

HttpServer::~HttpServer() { Close(); }

void HttpServer::Handle(std::string path, Handler handler, bool any_method) {
  exact_[std::move(path)] = {std::move(handler), any_method};
}

void HttpServer::HandlePrefix(std::string prefix, Handler handler, bool any_method) {
  prefixes_[std::move(prefix)] = {std::move(handler), any_method};
}

int HttpServer::Listen(const sockaddr_storage& addr) {
  int r = acceptor_.Listen(addr);
  if (r == 0) r = sweep_timer_.Init(uv_timer_init, loop_, this);
  if (r == 0) r = check_timer_.Init(uv_timer_init, loop_, this);
  if (r == 0) {
    const uint64_t shortest = std::min({options_.request_timeout_ms, options_.idle_timeout_ms,
                                        options_.write_timeout_ms, kLingerMs});
    const uint64_t every = std::clamp<uint64_t>(shortest / 4, 10, 1000);
    r = uv_timer_start(check_timer_.get(), OnCheck, every, every);
  }
  if (r != 0) {
    Close();
    return r;
  }
  // The socket keeps the loop alive, not the timers.
  uv_unref(reinterpret_cast<uv_handle_t*>(sweep_timer_.get()));
  uv_unref(reinterpret_cast<uv_handle_t*>(check_timer_.get()));
  return 0;
}

void HttpServer::Close() {
  acceptor_.Close();
  connections_.clear();  // each closes its handle
  per_client_.clear();
  sweep_timer_.Reset();
  check_timer_.Reset();
  sweep_pending_ = false;
}

HttpServer::Stats HttpServer::stats() const {
  Stats s = stats_;
  s.connections = open_;
  for (const auto& c : connections_) s.queued_bytes += c->Queued();
  return s;
}

HttpResponse HttpServer::Dispatch(const HttpRequest& req) const {
  const Route* route = nullptr;
  if (auto it = exact_.find(req.path); it != exact_.end()) {
    route = &it->second;
  } else {
    size_t longest = 0;
    for (const auto& [prefix, r] : prefixes_) {
      if (prefix.size() >= longest && req.path.compare(0, prefix.size(), prefix) == 0) {
        route = &r;
        longest = prefix.size();
      }
    }
  }
  if (route == nullptr) return HttpResponse::Text(404, "not found\n");
  if (!route->any_method && req.method != "GET" && req.method != "HEAD") {
    HttpResponse r = HttpResponse::Text(405, "method not allowed\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  return route->handler(req);
}

void HttpServer::Admit(int fd, const sockaddr_storage& peer) {
  std::string client = ClientKey(peer);
  uint64_t* rejected = nullptr;
  if (open_ >= options_.max_connections) {
    rejected = &stats_.rejected_limit;
  } else if (per_client_[client] >= options_.max_per_client) {
    rejected = &stats_.rejected_per_client;
  }
  if (rejected != nullptr) {
    ++*rejected;
    // Best effort: a full socket buffer or a reset only loses the courtesy.
    (void)!::send(fd, kBusy, sizeof kBusy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    ::close(fd);
    return;
  }
  UvHandle<uv_tcp_t> tcp;
  int r = tcp.Init(uv_tcp_init, loop_, nullptr);
  if (r == 0) r = uv_tcp_open(tcp.get(), fd);
  if (r != 0) {
    ::close(fd);  // uv_tcp_open takes the fd only when it succeeds
    if (IsOutOfFds(r)) ++stats_.rejected_fds;
    return;
  }
  ++stats_.accepted;
  ++per_client_[client];
  ++open_;
  auto conn = std::make_unique<HttpConnection>(this, std::move(tcp), std::move(client));
  if (conn->Start()) connections_.push_back(std::move(conn));
}

void HttpServer::Release(const std::string& client) {
  --open_;
  auto it = per_client_.find(client);
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

void HttpServer::RequestSweep() {
  if (sweep_pending_ || !sweep_timer_) return;
  sweep_pending_ = true;
  uv_timer_start(sweep_timer_.get(), OnSweep, 0, 0);
}

void HttpServer::OnSweep(uv_timer_t* timer) {
  auto* self = static_cast<HttpServer*>(timer->data);
  if (self == nullptr) return;
  self->sweep_pending_ = false;
  std::erase_if(self->connections_, [](const auto& c) { return c->closed(); });
}

void HttpServer::OnCheck(uv_timer_t* timer) {
  auto* self = static_cast<HttpServer*>(timer->data);
  if (self == nullptr) return;
  const uint64_t now = uv_now(self->loop_);
  // Check() may close connections; they stay in the vector until the sweep.
  for (size_t i = 0; i < self->connections_.size(); ++i) self->connections_[i]->Check(now);
}

}  // namespace p1
