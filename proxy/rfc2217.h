// Rfc2217Responder: answers RFC 2217 COM-PORT-OPTION requests for a shared,
// read-only meter port. It reports the real serial settings and refuses every
// change by replying with the current value, so no client can reconfigure the
// meter port for the others. Pure: bytes in, bytes out.
#ifndef P1GW_PROXY_RFC2217_H_
#define P1GW_PROXY_RFC2217_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"

namespace p1 {

inline constexpr unsigned char kTelnetComPortOption = 44;

class Rfc2217Responder {
 public:
  // Client -> server command codes; the server answers with code + 100.
  enum Command : uint8_t {
    kSignature = 0,
    kSetBaudrate = 1,
    kSetDatasize = 2,
    kSetParity = 3,
    kSetStopsize = 4,
    kSetControl = 5,
    kNotifyLinestate = 6,
    kNotifyModemstate = 7,
    kFlowcontrolSuspend = 8,
    kFlowcontrolResume = 9,
    kSetLinestateMask = 10,
    kSetModemstateMask = 11,
    kPurgeData = 12,
  };
  static constexpr uint8_t kServerOffset = 100;

  explicit Rfc2217Responder(SerialSettings settings) : settings_(settings) {}

  // `request` is the subnegotiation payload after the option byte: command
  // code then value. Returns the reply payload (command + 100, value), or an
  // empty string when nothing is to be answered.
  std::string Answer(std::string_view request) const;

 private:
  std::string ControlAnswer(uint8_t value) const;
  SerialSettings settings_;
};

}  // namespace p1

#endif  // P1GW_PROXY_RFC2217_H_
