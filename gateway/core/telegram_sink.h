// What a Meter (gateway/runtime/) feeds: the interface proxy/ and exporters/
// implement. Sinks run on the loop thread and never talk back.
#ifndef P1GW_GATEWAY_CORE_TELEGRAM_SINK_H_
#define P1GW_GATEWAY_CORE_TELEGRAM_SINK_H_

#include <memory>
#include <string>

#include "gateway/core/telegram.h"

namespace p1 {

class TelegramSink {
 public:
  virtual ~TelegramSink() = default;
  // A complete telegram whose CRC is valid or absent (never invalid).
  virtual void OnTelegram(const TelegramPtr& telegram) = 0;
  // Every chunk exactly as read from the source, for transparent byte mode.
  // The buffer is shared and immutable; keep the pointer to keep the bytes.
  // Only called when WantsBytes(): a serial port delivers many small chunks
  // per telegram, and nobody should pay for copying them unless asked.
  virtual void OnBytes(const std::shared_ptr<const std::string>& /*bytes*/) {}
  virtual bool WantsBytes() const { return false; }
};

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_TELEGRAM_SINK_H_
