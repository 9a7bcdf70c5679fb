// Source: where a meter's bytes come from (serial port, TCP peer, simulator).
// A source runs on the loop and reports to its SourceListener; it reconnects
// by itself with capped backoff and never writes to the meter.
#ifndef P1GW_GATEWAY_RUNTIME_SOURCE_H_
#define P1GW_GATEWAY_RUNTIME_SOURCE_H_

#include <uv.h>

#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"

namespace p1 {

class SourceListener {
 public:
  virtual ~SourceListener() = default;
  virtual void OnSourceData(std::string_view bytes) = 0;
  // connected=false after a loss (the source retries on its own); `reason`
  // is a short text for the log.
  virtual void OnSourceState(bool connected, std::string_view reason) = 0;
  // A connected source closes itself because its peer sent nothing for too
  // long; OnSourceState(false, ...) follows.
  virtual void OnSourceSilent() {}
};

class Source {
 public:
  virtual ~Source() = default;  // closes every handle
  virtual void Start() = 0;
  // One line for logs: "serial /dev/ttyUSB0 (termios) 115200 8N1".
  virtual std::string Describe() const = 0;
  // Serial sources reopen with new settings (preset = "auto"); others ignore it.
  virtual void Reconfigure(const SerialSettings& /*settings*/) {}
};

// Builds the source a meter config names. *loop and *listener must outlive it.
std::unique_ptr<Source> MakeSource(uv_loop_t* loop, const MeterConfig& config,
                                   SourceListener* listener);

}  // namespace p1

#endif  // P1GW_GATEWAY_RUNTIME_SOURCE_H_
