// SerialSource: a P1 port read through libserialport, or plain termios for
// devices libserialport refuses (pseudo-terminals, socat links). A vanished
// device is closed and reopened on a timer with capped backoff.
#ifndef P1GW_GATEWAY_RUNTIME_SERIAL_SOURCE_H_
#define P1GW_GATEWAY_RUNTIME_SERIAL_SOURCE_H_

#include <uv.h>

#include <string>

#include "config/config.h"
#include "gateway/loop/uv_handle.h"
#include "gateway/runtime/source.h"

struct sp_port;

namespace p1 {

// Opens `path` with `settings`, read-only and non-blocking. Returns the fd
// or -1 with *err set. *port is set when libserialport opened it (close with
// CloseSerial), else null (termios path).
int OpenSerial(const std::string& path, const SerialSettings& settings, sp_port** port,
               std::string* err);
void CloseSerial(int fd, sp_port* port);

class SerialSource : public Source {
 public:
  SerialSource(uv_loop_t* loop, std::string path, SerialSettings settings,
               SourceListener* listener);
  ~SerialSource() override;

  void Start() override;
  std::string Describe() const override;
  void Reconfigure(const SerialSettings& settings) override;

 private:
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnRetry(uv_timer_t* timer);
  void Open();
  void Lost(const std::string& reason);
  void Close();
  void ScheduleRetry();

  uv_loop_t* loop_;
  std::string path_;
  SerialSettings settings_;
  SourceListener* listener_;
  UvHandle<uv_poll_t> poll_;
  UvHandle<uv_timer_t> retry_;
  Backoff backoff_;
  int fd_ = -1;
  sp_port* port_ = nullptr;
  bool via_termios_ = false;
  bool reported_down_ = false;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_RUNTIME_SERIAL_SOURCE_H_
