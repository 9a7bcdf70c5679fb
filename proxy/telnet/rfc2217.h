// Rfc2217Responder: answers RFC 2217 COM-PORT-OPTION requests of one client
// of a shared, read-only meter port. Queries (value 0) report the meter
// port's real settings. Requests to set a parameter either change the
// client's own virtual port and are echoed (PortSettings::kVirtual: the bytes
// it receives do not depend on it, the meter port never changes), or are
// refused by answering with the real value (kFixed). Pure: bytes in, bytes out.
#ifndef P1GW_PROXY_TELNET_RFC2217_H_
#define P1GW_PROXY_TELNET_RFC2217_H_

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

  explicit Rfc2217Responder(SerialSettings settings, PortSettings mode = PortSettings::kVirtual);

  // `request` is the subnegotiation payload after the option byte: command
  // code then value. Returns the reply payload (command + 100, value), or an
  // empty string when nothing is to be answered.
  std::string Answer(std::string_view request);

  // Requests to set a port parameter (baud rate, data size, parity, stop
  // bits, a control line or flow control) seen so far, accepted or not.
  uint64_t set_requests() const { return set_requests_; }
  // The client's virtual port, e.g. "9600 7E1 flow=xonxoff dtr=on rts=on".
  std::string Describe() const;

 private:
  // RFC 2217 value encodings of one port, real or virtual.
  struct Port {
    uint32_t baud;
    uint8_t datasize;
    uint8_t parity;    // 1 none, 2 odd, 3 even, 4 mark, 5 space
    uint8_t stopsize;  // 1, 2, 3 (1.5)
    uint8_t flow_out;  // SET-CONTROL 1 none, 2 xon/xoff, 3 hardware, 17 DCD, 19 DSR
    uint8_t brk;       // 5 on, 6 off
    uint8_t dtr;       // 8 on, 9 off
    uint8_t rts;       // 11 on, 12 off
    uint8_t flow_in;   // 14 none, 15 xon/xoff, 16 hardware
  };

  std::string ControlAnswer(uint8_t value);
  // Set requests: `ok` says the value is valid; virtual ports keep and echo
  // it, fixed ports (and invalid values) answer with `*field` unchanged.
  uint8_t SetByte(uint8_t value, bool ok, uint8_t* field);

  PortSettings mode_;
  Port real_;
  Port port_;  // what this client set (virtual mode); starts as the real port
  uint64_t set_requests_ = 0;
};

}  // namespace p1

#endif  // P1GW_PROXY_TELNET_RFC2217_H_
