#include "proxy/telnet/rfc2217.h"

namespace p1 {
namespace {

// RFC 2217 value encodings.
constexpr uint8_t kParityNone = 1, kParityOdd = 2, kParityEven = 3, kParitySpace = 5;
constexpr uint8_t kStop1 = 1, kStop2 = 2, kStop15 = 3;
// SET-CONTROL values.
constexpr uint8_t kCtlReqFlow = 0, kCtlFlowNone = 1, kCtlFlowXonXoff = 2, kCtlFlowHardware = 3;
constexpr uint8_t kCtlReqBreak = 4, kCtlBreakOn = 5, kCtlBreakOff = 6;
constexpr uint8_t kCtlReqDtr = 7, kCtlDtrOn = 8, kCtlDtrOff = 9;
constexpr uint8_t kCtlReqRts = 10, kCtlRtsOn = 11, kCtlRtsOff = 12;
constexpr uint8_t kCtlReqFlowIn = 13, kCtlFlowInNone = 14, kCtlFlowInXonXoff = 15,
                  kCtlFlowInHardware = 16;
constexpr uint8_t kCtlFlowDcd = 17, kCtlFlowInDtr = 18, kCtlFlowDsr = 19;
// Modem state as a "local" port reports it: carrier, DSR and CTS asserted.
constexpr uint8_t kModemState = 0x80 | 0x20 | 0x10;

std::string Reply(uint8_t command, std::string_view value) {
  std::string out(1, static_cast<char>(command + Rfc2217Responder::kServerOffset));
  out.append(value);
  return out;
}

std::string Byte(uint8_t v) { return std::string(1, static_cast<char>(v)); }

std::string Baud(uint32_t b) {
  const char be[4] = {static_cast<char>(b >> 24), static_cast<char>(b >> 16),
                      static_cast<char>(b >> 8), static_cast<char>(b)};
  return std::string(be, 4);
}

const char* FlowName(uint8_t v) {
  switch (v) {
    case kCtlFlowXonXoff:
    case kCtlFlowInXonXoff:
      return "xonxoff";
    case kCtlFlowHardware:
    case kCtlFlowInHardware:
      return "hardware";
    case kCtlFlowDcd:
      return "dcd";
    case kCtlFlowInDtr:
      return "dtr";
    case kCtlFlowDsr:
      return "dsr";
    default:
      return "none";
  }
}

}  // namespace

Rfc2217Responder::Rfc2217Responder(SerialSettings settings, PortSettings mode) : mode_(mode) {
  uint8_t parity = kParityNone;
  if (settings.parity == Parity::kOdd) parity = kParityOdd;
  if (settings.parity == Parity::kEven) parity = kParityEven;
  // The meter port: no flow control, no break, DTR and RTS asserted (the P1
  // request line stays active).
  real_ = Port{static_cast<uint32_t>(settings.baud),
               static_cast<uint8_t>(settings.data_bits),
               parity,
               settings.stop_bits == 2 ? kStop2 : kStop1,
               kCtlFlowNone,
               kCtlBreakOff,
               kCtlDtrOn,
               kCtlRtsOn,
               kCtlFlowInNone};
  port_ = real_;
}

uint8_t Rfc2217Responder::SetByte(uint8_t value, bool ok, uint8_t* field) {
  ++set_requests_;
  if (ok && mode_ == PortSettings::kVirtual) *field = value;
  return *field;
}

// A client that asked for a value sees it echoed (virtual) or sees the real
// value instead (fixed: pyserial reports that as a refusal); a client that
// asked with 0 = "tell me" sees the meter port's real setting.
std::string Rfc2217Responder::Answer(std::string_view request) {
  if (request.empty()) return {};
  const auto command = static_cast<uint8_t>(request[0]);
  const std::string_view value = request.substr(1);
  const uint8_t v = value.empty() ? 0 : static_cast<uint8_t>(value[0]);
  switch (command) {
    case kSignature:
      // A client sending its own signature expects no answer; an empty one asks for ours.
      return value.empty() ? Reply(command, "p1gateway") : std::string();
    case kSetBaudrate: {
      if (value.size() < 4) return Reply(command, Baud(port_.baud));
      const uint32_t b = static_cast<uint32_t>(static_cast<uint8_t>(value[0])) << 24 |
                         static_cast<uint32_t>(static_cast<uint8_t>(value[1])) << 16 |
                         static_cast<uint32_t>(static_cast<uint8_t>(value[2])) << 8 |
                         static_cast<uint32_t>(static_cast<uint8_t>(value[3]));
      if (b == 0) return Reply(command, Baud(real_.baud));
      ++set_requests_;
      if (mode_ == PortSettings::kVirtual) port_.baud = b;
      return Reply(command, Baud(port_.baud));
    }
    case kSetDatasize:
      if (v == 0) return Reply(command, Byte(real_.datasize));
      return Reply(command, Byte(SetByte(v, v >= 5 && v <= 8, &port_.datasize)));
    case kSetParity:
      if (v == 0) return Reply(command, Byte(real_.parity));
      return Reply(command, Byte(SetByte(v, v <= kParitySpace, &port_.parity)));
    case kSetStopsize:
      if (v == 0) return Reply(command, Byte(real_.stopsize));
      return Reply(command,
                   Byte(SetByte(v, v == kStop1 || v == kStop2 || v == kStop15, &port_.stopsize)));
    case kSetControl:
      return value.empty() ? std::string() : Reply(command, ControlAnswer(v));
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

std::string Rfc2217Responder::ControlAnswer(uint8_t value) {
  switch (value) {
    case kCtlReqFlow:
      return Byte(real_.flow_out);
    case kCtlReqBreak:
      return Byte(real_.brk);
    case kCtlReqDtr:
      return Byte(real_.dtr);
    case kCtlReqRts:
      return Byte(real_.rts);
    case kCtlReqFlowIn:
      return Byte(real_.flow_in);
    case kCtlFlowNone:
    case kCtlFlowXonXoff:
    case kCtlFlowHardware:
    case kCtlFlowDcd:
    case kCtlFlowDsr:
      return Byte(SetByte(value, true, &port_.flow_out));
    case kCtlBreakOn:
    case kCtlBreakOff:
      return Byte(SetByte(value, true, &port_.brk));
    case kCtlDtrOn:
    case kCtlDtrOff:
      return Byte(SetByte(value, true, &port_.dtr));
    case kCtlRtsOn:
    case kCtlRtsOff:
      return Byte(SetByte(value, true, &port_.rts));
    case kCtlFlowInNone:
    case kCtlFlowInXonXoff:
    case kCtlFlowInHardware:
    case kCtlFlowInDtr:
      return Byte(SetByte(value, true, &port_.flow_in));
    default:
      return Byte(kCtlFlowNone);  // unknown values: as before, "no flow control"
  }
}

std::string Rfc2217Responder::Describe() const {
  static constexpr char kParity[] = "?NOEMS";
  std::string s = std::to_string(port_.baud) + " " + std::to_string(port_.datasize);
  s += port_.parity < sizeof(kParity) - 1 ? kParity[port_.parity] : '?';
  s += port_.stopsize == kStop15 ? "1.5" : port_.stopsize == kStop2 ? "2" : "1";
  s += std::string(" flow=") + FlowName(port_.flow_out);
  if (port_.flow_in != kCtlFlowInNone) s += std::string(" inflow=") + FlowName(port_.flow_in);
  s += port_.dtr == kCtlDtrOn ? " dtr=on" : " dtr=off";
  s += port_.rts == kCtlRtsOn ? " rts=on" : " rts=off";
  if (port_.brk == kCtlBreakOn) s += " break=on";
  return s;
}

}  // namespace p1
