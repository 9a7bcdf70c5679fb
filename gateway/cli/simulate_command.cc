#include "gateway/cli/simulate_command.h"

#include <fcntl.h>
#include <pty.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <list>
#include <memory>

#include "config/config.h"
#include "gateway/loop/acceptor.h"
#include "gateway/loop/signal_watcher.h"
#include "gateway/loop/uv_handle.h"
#include "gateway/loop/uv_loop.h"
#include "gateway/loop/uv_request.h"
#include "gateway/loop/wall_clock.h"
#include "gateway/sim/simulator.h"

namespace p1 {
namespace {

constexpr size_t kClientQueueBytes = 64 * 1024;

// One simulate run: a timer producing telegrams and one output.
class SimulateRun {
 public:
  SimulateRun(uv_loop_t* loop, const SimulateOptions& o, std::unique_ptr<Simulator> sim)
      : loop_(loop), options_(o), sim_(std::move(sim)) {}

  ~SimulateRun() {
    clients_.clear();
    acceptor_.Close();
    if (fd_ >= 0 && fd_ != STDOUT_FILENO) close(fd_);
    if (slave_fd_ >= 0) close(slave_fd_);
    if (!link_.empty()) unlink(link_.c_str());
  }

  bool Open(std::string* err) {
    const std::string& out = options_.out;
    if (out == "-") {
      fd_ = STDOUT_FILENO;
    } else if (out.rfind("tcp-listen:", 0) == 0) {
      SocketAddress addr;
      if (!ParseSocketAddress(out.substr(11), true, &addr, err)) return false;
      sockaddr_storage ss{};
      int r = NumericSocketAddress(addr.host, addr.port, &ss);
      if (r == 0) r = acceptor_.Listen(ss);
      if (r != 0) {
        *err = "listen " + addr.ToString() + ": " + uv_strerror(r);
        return false;
      }
    } else {
      struct stat st;
      if (stat(out.c_str(), &st) == 0 && S_ISCHR(st.st_mode)) {
        fd_ = open(out.c_str(), O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd_ < 0) {
          *err = out + ": " + std::strerror(errno);
          return false;
        }
      } else if (!OpenPty(out, err)) {
        return false;
      }
    }
    return true;
  }

  void Start() {
    timer_.Init(uv_timer_init, loop_, this);
    uint64_t interval = options_.rate_hz > 0 ? static_cast<uint64_t>(1000.0 / options_.rate_hz)
                                             : static_cast<uint64_t>(sim_->interval_ms());
    uv_timer_start(timer_.get(), OnTick, 0, interval > 0 ? interval : 1);
    signals_.Start(loop_, this, OnStopSignal);
  }

  void Stop() {
    timer_.Reset();
    signals_.Reset();
    clients_.clear();
    acceptor_.Close();
  }

 private:
  // A pty whose slave end is published at `link`, like socat's
  // PTY,link=PATH: readers open the link as if it were a serial port.
  bool OpenPty(const std::string& link, std::string* err) {
    int master = -1, slave = -1;
    char name[128];
    if (openpty(&master, &slave, name, nullptr, nullptr) != 0) {
      *err = std::string("openpty: ") + std::strerror(errno);
      return false;
    }
    struct termios t;
    tcgetattr(slave, &t);
    cfmakeraw(&t);
    tcsetattr(slave, TCSANOW, &t);
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    unlink(link.c_str());
    if (symlink(name, link.c_str()) != 0) {
      *err = link + ": " + std::strerror(errno);
      close(master);
      close(slave);
      return false;
    }
    // Keeping a slave fd open means a reader that reopens never sees EIO
    // from a pty without any open slave.
    fd_ = master;
    slave_fd_ = slave;
    link_ = link;
    spdlog::info("simulate: {} -> {}", link, name);
    return true;
  }

  static void OnTick(uv_timer_t* t) {
    auto* self = static_cast<SimulateRun*>(t->data);
    if (self != nullptr) self->Emit();
  }

  void Emit() {
    auto bytes = std::make_shared<const std::string>(sim_->Next(WallClockMs()));
    if (fd_ >= 0) {
      // Drop a telegram rather than block when nobody reads (pty buffer full).
      ssize_t n = write(fd_, bytes->data(), bytes->size());
      if (n < 0 && errno != EAGAIN) spdlog::warn("simulate: write: {}", std::strerror(errno));
    }
    for (auto& c : clients_) {
      uv_stream_t* s = reinterpret_cast<uv_stream_t*>(c.get());
      if (uv_stream_get_write_queue_size(s) > kClientQueueBytes) continue;
      uv_buf_t buf = uv_buf_init(const_cast<char*>(bytes->data()), bytes->size());
      WriteReq::Start(WriteReq::Make(bytes),
                      [&](uv_write_t* req) { return uv_write(req, s, &buf, 1, OnWrite); });
    }
    if (options_.count > 0 && ++sent_ >= options_.count) Stop();
  }

  // Each write holds a reference to the one shared telegram until it is done.
  using WriteReq = UvRequest<uv_write_t, std::shared_ptr<const std::string>>;
  static void OnWrite(uv_write_t* req, int) { WriteReq::Adopt(req); }  // frees it

  void Accepted(int fd) {
    UvHandle<uv_tcp_t> client;
    int r = client.Init(uv_tcp_init, loop_, this);
    if (r == 0) r = uv_tcp_open(client.get(), fd);
    if (r != 0) {
      ::close(fd);  // uv_tcp_open takes the fd only when it succeeds
      return;
    }
    uv_read_start(reinterpret_cast<uv_stream_t*>(client.get()), OnAlloc, OnRead);
    clients_.push_back(std::move(client));
  }
  static void OnAlloc(uv_handle_t*, size_t, uv_buf_t* buf) {
    static char discard[4096];
    *buf = uv_buf_init(discard, sizeof discard);
  }
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
    auto* self = static_cast<SimulateRun*>(stream->data);
    if (self == nullptr || nread >= 0) return;
    self->clients_.remove_if([stream](const UvHandle<uv_tcp_t>& c) {
      return reinterpret_cast<uv_stream_t*>(c.get()) == stream;
    });
  }

  static void OnStopSignal(void* self, int) { static_cast<SimulateRun*>(self)->Stop(); }

  uv_loop_t* loop_;
  SimulateOptions options_;
  std::unique_ptr<Simulator> sim_;
  int fd_ = -1;
  int slave_fd_ = -1;
  std::string link_;
  uint64_t sent_ = 0;
  UvHandle<uv_timer_t> timer_;
  SignalWatcher signals_;
  Acceptor acceptor_{loop_,
                     {[this](int fd, const sockaddr_storage&) { Accepted(fd); }, nullptr, nullptr}};
  std::list<UvHandle<uv_tcp_t>> clients_;
};

}  // namespace

int RunSimulate(const SimulateOptions& options) {
  std::string err;
  auto sim = Simulator::Create(options.variant, options.seed, options.key, options.aad_key, &err);
  if (!sim) {
    std::fprintf(stderr, "simulate: %s\n", err.c_str());
    return 2;
  }
  UvLoop loop;
  int rc = 0;
  {
    SimulateRun run(loop.get(), options, std::move(sim));
    if (!run.Open(&err)) {
      std::fprintf(stderr, "simulate: %s\n", err.c_str());
      rc = 1;
    } else {
      run.Start();
      loop.Run();
    }
  }
  if (!loop.Close()) {
    std::fprintf(stderr, "simulate: handles left open at exit\n");
    rc = 1;
  }
  return rc;
}

}  // namespace p1
