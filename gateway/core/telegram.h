// The immutable unit every sink shares: one telegram as received, its
// plaintext, CRC status and parsed Reading. Created once by a Meter, read by
// every proxy session and the exporter through std::shared_ptr<const Telegram>.
#ifndef P1GW_GATEWAY_CORE_TELEGRAM_H_
#define P1GW_GATEWAY_CORE_TELEGRAM_H_

#include <cstdint>
#include <memory>
#include <string>

#include "gateway/core/reading.h"

namespace p1 {

struct Telegram {
  Telegram() = default;
  Telegram(const Telegram&) = delete;  // reading's views point into plaintext
  Telegram& operator=(const Telegram&) = delete;

  std::string raw;        // encrypted only: the 0xDB frame as sent (else empty:
                          // plaintext is then the bytes as sent; no second copy per meter)
  std::string plaintext;  // '/'..CRC line
  bool encrypted = false;
  CrcStatus crc = CrcStatus::kAbsent;
  int64_t received_unix_ms = 0;  // wall clock at the moment the last byte arrived
  Reading reading;               // parsed from plaintext; views point into it
};

using TelegramPtr = std::shared_ptr<const Telegram>;

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_TELEGRAM_H_
