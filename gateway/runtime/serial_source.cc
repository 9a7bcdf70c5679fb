#include "gateway/runtime/serial_source.h"

#include <errno.h>
#include <fcntl.h>
#include <libserialport.h>
#include <spdlog/spdlog.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

namespace p1 {
namespace {

speed_t BaudConstant(int baud) {
  switch (baud) {
    case 1200:
      return B1200;
    case 2400:
      return B2400;
    case 4800:
      return B4800;
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    case 230400:
      return B230400;
    case 460800:
      return B460800;
    default:
      return 0;
  }
}

// VMIN=1/VTIME=0 so an empty non-blocking read is EAGAIN, not an ambiguous 0
// (libserialport leaves VMIN=0).
void SetVmin1(int fd) {
  struct termios t;
  if (tcgetattr(fd, &t) == 0) {
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(fd, TCSANOW, &t);
  }
}

int OpenTermios(const std::string& path, const SerialSettings& s, std::string* err) {
  int fd = open(path.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *err = std::strerror(errno);
    return -1;
  }
  struct termios t;
  if (tcgetattr(fd, &t) != 0) {
    *err = std::string("not a terminal: ") + std::strerror(errno);
    close(fd);
    return -1;
  }
  cfmakeraw(&t);
  speed_t speed = BaudConstant(s.baud);
  if (speed == 0) {
    *err = "unsupported baud rate " + std::to_string(s.baud);
    close(fd);
    return -1;
  }
  cfsetispeed(&t, speed);
  cfsetospeed(&t, speed);
  t.c_cflag &= ~(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
  t.c_cflag |= (s.data_bits == 7 ? CS7 : CS8) | CLOCAL | CREAD;
  if (s.parity != Parity::kNone) t.c_cflag |= PARENB;
  if (s.parity == Parity::kOdd) t.c_cflag |= PARODD;
  if (s.stop_bits == 2) t.c_cflag |= CSTOPB;
  t.c_iflag &= ~(IXON | IXOFF | IXANY);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  if (tcsetattr(fd, TCSANOW, &t) != 0) {
    *err = std::string("tcsetattr: ") + std::strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

int OpenLibserialport(const std::string& path, const SerialSettings& s, sp_port** out,
                      std::string* err) {
  sp_port* port = nullptr;
  if (sp_get_port_by_name(path.c_str(), &port) != SP_OK) {
    *err = "libserialport does not know the port";
    return -1;
  }
  sp_port_config* cfg = nullptr;
  int fd = -1;
  bool ok = sp_open(port, SP_MODE_READ) == SP_OK;
  if (ok && sp_new_config(&cfg) == SP_OK) {
    sp_set_config_baudrate(cfg, s.baud);
    sp_set_config_bits(cfg, s.data_bits);
    sp_set_config_parity(cfg, s.parity == Parity::kNone   ? SP_PARITY_NONE
                              : s.parity == Parity::kEven ? SP_PARITY_EVEN
                                                          : SP_PARITY_ODD);
    sp_set_config_stopbits(cfg, s.stop_bits);
    sp_set_config_flowcontrol(cfg, SP_FLOWCONTROL_NONE);
    ok = sp_set_config(port, cfg) == SP_OK;
    sp_free_config(cfg);
  } else {
    ok = false;
  }
  if (ok) ok = sp_get_port_handle(port, &fd) == SP_OK && fd >= 0;
  if (!ok) {
    char* msg = sp_last_error_message();
    *err = msg ? msg : "open failed";
    sp_free_error_message(msg);
    sp_close(port);
    sp_free_port(port);
    return -1;
  }
  SetVmin1(fd);
  *out = port;
  return fd;
}

}  // namespace

int OpenSerial(const std::string& path, const SerialSettings& settings, sp_port** port,
               std::string* err) {
  *port = nullptr;
  std::string sp_err;
  int fd = OpenLibserialport(path, settings, port, &sp_err);
  if (fd >= 0) return fd;
  // libserialport 0.1.1 refuses pseudo-terminals and other devices without
  // a sysfs entry; users do point gateways at socat links, so fall back.
  std::string tio_err;
  fd = OpenTermios(path, settings, &tio_err);
  if (fd >= 0) {
    spdlog::debug("{}: libserialport refused ({}); using termios", path, sp_err);
    return fd;
  }
  *err = tio_err;
  return -1;
}

void CloseSerial(int fd, sp_port* port) {
  if (port != nullptr) {
    sp_close(port);
    sp_free_port(port);
  } else if (fd >= 0) {
    close(fd);
  }
}

SerialSource::SerialSource(uv_loop_t* loop, std::string path, SerialSettings settings,
                           SourceListener* listener)
    : loop_(loop), path_(std::move(path)), settings_(settings), listener_(listener) {}

SerialSource::~SerialSource() {
  // The poll handle must stop watching the fd before the fd is closed.
  if (poll_) uv_poll_stop(poll_.get());
  poll_.Reset();
  retry_.Reset();
  CloseSerial(fd_, port_);
}

std::string SerialSource::Describe() const {
  return "serial " + path_ + " " + SerialSettingsString(settings_) +
         (fd_ < 0        ? ""
          : via_termios_ ? " (termios)"
                         : " (libserialport)");
}

void SerialSource::Start() {
  if (retry_.Init(uv_timer_init, loop_, this) != 0) return;
  Open();
}

void SerialSource::Open() {
  std::string err;
  fd_ = OpenSerial(path_, settings_, &port_, &err);
  if (fd_ < 0) {
    Lost("open " + path_ + ": " + err);
    return;
  }
  via_termios_ = port_ == nullptr;
  int r = poll_.Init(uv_poll_init, loop_, this, fd_);
  if (r == 0) r = uv_poll_start(poll_.get(), UV_READABLE | UV_DISCONNECT, OnPoll);
  if (r != 0) {
    Lost(std::string("poll ") + path_ + ": " + uv_strerror(r));
    return;
  }
  spdlog::info("{}: opened {} via {}", path_, SerialSettingsString(settings_),
               via_termios_ ? "termios (libserialport refused the device)" : "libserialport");
  backoff_.Reset();
  reported_down_ = false;
  listener_->OnSourceState(true, "opened");
}

void SerialSource::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<SerialSource*>(handle->data);
  if (self == nullptr) return;
  if (status < 0) {
    // libuv reports POLLERR (a tty hangup: unplugged adapter) as UV_EBADF.
    self->Lost(self->path_ + ": " +
               (status == UV_EBADF ? std::string("device gone (hangup)") : uv_strerror(status)));
    return;
  }
  // Bounded work per callback: at most 16 reads, the rest on the next turn.
  char buf[4096];
  for (int i = 0; i < 16; ++i) {
    ssize_t n = read(self->fd_, buf, sizeof buf);
    if (n > 0) {
      self->listener_->OnSourceData(std::string_view(buf, static_cast<size_t>(n)));
      if (self->fd_ < 0) return;  // the listener cannot close us, but stay safe
      // A short read drained the tty; the poll is level-triggered, so a
      // second read would only return EAGAIN. At 115200 baud the line
      // discipline hands over ~32 bytes at a time, so this saves one syscall
      // in three on the serial path.
      if (static_cast<size_t>(n) < sizeof buf) break;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    // 0 with VMIN=1 is a hangup; EIO is an unplugged USB adapter.
    self->Lost(self->path_ + ": " + (n == 0 ? std::string("hangup") : std::strerror(errno)));
    return;
  }
  if (events & UV_DISCONNECT) self->Lost(self->path_ + ": disconnected");
}

void SerialSource::Close() {
  if (poll_) uv_poll_stop(poll_.get());
  poll_.Reset();
  CloseSerial(fd_, port_);
  fd_ = -1;
  port_ = nullptr;
}

void SerialSource::Reconfigure(const SerialSettings& settings) {
  settings_ = settings;
  if (fd_ < 0) return;  // the pending retry opens with the new settings
  // Not a loss: the listener sees no down/up pair, so no reconnect is counted.
  Close();
  Open();
}

void SerialSource::Lost(const std::string& reason) {
  Close();
  if (!reported_down_) {
    spdlog::warn("{}; retrying", reason);
    reported_down_ = true;
  } else {
    spdlog::debug("{}", reason);
  }
  listener_->OnSourceState(false, reason);
  ScheduleRetry();
}

void SerialSource::ScheduleRetry() {
  if (retry_) uv_timer_start(retry_.get(), OnRetry, backoff_.Next(), 0);
}

void SerialSource::OnRetry(uv_timer_t* timer) {
  auto* self = static_cast<SerialSource*>(timer->data);
  if (self != nullptr) self->Open();
}

}  // namespace p1
