#include "proxy/rfc2217.h"

namespace p1 {
namespace {

// RFC 2217 value encodings.
constexpr uint8_t kParityNone = 1, kParityOdd = 2, kParityEven = 3;
constexpr uint8_t kStop1 = 1, kStop2 = 2;
// SET-CONTROL values.
constexpr uint8_t kCtlReqFlow = 0, kCtlFlowNone = 1, kCtlFlowHardware = 3;
constexpr uint8_t kCtlReqBreak = 4, kCtlBreakOff = 6;
constexpr uint8_t kCtlReqDtr = 7, kCtlDtrOff = 9;
constexpr uint8_t kCtlReqRts = 10, kCtlRtsOn = 11, kCtlRtsOff = 12;
constexpr uint8_t kCtlReqFlowIn = 13, kCtlFlowInNone = 14, kCtlFlowInHardware = 16;
constexpr uint8_t kCtlFlowDcd = 17, kCtlFlowDsr = 19;
constexpr uint8_t kCtlDtrOn = 8;
// Modem state as a "local" port reports it: carrier, DSR and CTS asserted.
constexpr uint8_t kModemState = 0x80 | 0x20 | 0x10;

std::string Reply(uint8_t command, std::string_view value) {
  std::string out(1, static_cast<char>(command + Rfc2217Responder::kServerOffset));
  out.append(value);
  return out;
}

std::string Byte(uint8_t v) { return std::string(1, static_cast<char>(v)); }

}  // namespace

// Every "set" request is answered with the current setting: a client that
// asked for something else sees the refusal (pyserial reports it), a client
// that asked for the real setting (or 0 = "tell me") sees it confirmed.
std::string Rfc2217Responder::Answer(std::string_view request) const {
  if (request.empty()) return {};
  const auto command = static_cast<uint8_t>(request[0]);
  const std::string_view value = request.substr(1);
  switch (command) {
    case kSignature:
      // A client sending its own signature expects no answer; an empty one asks for ours.
      return value.empty() ? Reply(command, "p1gateway") : std::string();
    case kSetBaudrate: {
      const auto b = static_cast<uint32_t>(settings_.baud);
      const char be[4] = {static_cast<char>(b >> 24), static_cast<char>(b >> 16),
                          static_cast<char>(b >> 8), static_cast<char>(b)};
      return Reply(command, std::string_view(be, 4));
    }
    case kSetDatasize:
      return Reply(command, Byte(static_cast<uint8_t>(settings_.data_bits)));
    case kSetParity: {
      uint8_t p = kParityNone;
      if (settings_.parity == Parity::kOdd) p = kParityOdd;
      if (settings_.parity == Parity::kEven) p = kParityEven;
      return Reply(command, Byte(p));
    }
    case kSetStopsize:
      return Reply(command, Byte(settings_.stop_bits == 2 ? kStop2 : kStop1));
    case kSetControl:
      return value.empty() ? std::string() : Reply(command, ControlAnswer(value[0]));
    case kNotifyModemstate:
      // pyserial's poll_modem mode asks with this code; answer with the state.
      return Reply(command, Byte(kModemState));
    case kSetLinestateMask:
    case kSetModemstateMask:
    case kPurgeData:
      // Harmless for a read-only port: acknowledge by echoing the value.
      return value.empty() ? std::string() : Reply(command, value.substr(0, 1));
    default:
      // NOTIFY-LINESTATE and flow control suspend/resume are server->client
      // or unnecessary over TCP; unknown codes get no answer.
      return {};
  }
}

// Control lines of the meter port are fixed: no flow control, no break,
// DTR and RTS asserted (the P1 request line stays active).
std::string Rfc2217Responder::ControlAnswer(uint8_t value) const {
  if (value == kCtlReqFlow || (value >= kCtlFlowNone && value <= kCtlFlowHardware) ||
      (value >= kCtlFlowDcd && value <= kCtlFlowDsr)) {
    return Byte(kCtlFlowNone);
  }
  if (value >= kCtlReqBreak && value <= kCtlBreakOff) return Byte(kCtlBreakOff);
  if (value >= kCtlReqDtr && value <= kCtlDtrOff) return Byte(kCtlDtrOn);
  if (value >= kCtlReqRts && value <= kCtlRtsOff) return Byte(kCtlRtsOn);
  if (value >= kCtlReqFlowIn && value <= kCtlFlowInHardware) return Byte(kCtlFlowInNone);
  return Byte(kCtlFlowNone);
}

}  // namespace p1
