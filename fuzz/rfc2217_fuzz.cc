// libFuzzer target: Rfc2217Responder::Answer on arbitrary COM-PORT-OPTION
// subnegotiation payloads, many per responder, as one client session sends
// them (input: one byte picks the meter port's settings and the
// PortSettings mode, then [length][payload] records). Every reply is empty
// or starts with the request's command + 100 and is small. Queries (value 0)
// report the real port. A fixed port answers every set request with the real
// value; a virtual port echoes a valid set request and answers an invalid
// one with the client's last accepted value.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/telnet/rfc2217.h"

namespace {

using R = p1::Rfc2217Responder;

constexpr size_t kMaxReply = 16;

std::string Baud(uint32_t b) {
  const char be[4] = {static_cast<char>(b >> 24), static_cast<char>(b >> 16),
                      static_cast<char>(b >> 8), static_cast<char>(b)};
  return std::string(be, 4);
}

// The fuzzer's own model of one port's baud, data size, parity and stop size
// (RFC 2217 encodings); control lines are checked by their value sets.
struct Model {
  uint32_t baud;
  uint8_t datasize, parity, stopsize;
};

Model RealPort(const p1::SerialSettings& s) {
  const uint8_t parity = s.parity == p1::Parity::kOdd ? 2 : s.parity == p1::Parity::kEven ? 3 : 1;
  return {static_cast<uint32_t>(s.baud), static_cast<uint8_t>(s.data_bits), parity,
          static_cast<uint8_t>(s.stop_bits == 2 ? 2 : 1)};
}

// Checks one byte-valued set/query and updates the model.
void CheckByte(bool fixed, uint8_t asked, bool valid, uint8_t real, uint8_t* model,
               std::string_view got) {
  if (got.size() != 1) std::abort();
  const auto g = static_cast<uint8_t>(got[0]);
  if (asked == 0) {
    if (g != real) std::abort();
  } else if (!fixed && valid) {
    if (g != asked) std::abort();
    *model = asked;
  } else if (g != (fixed ? real : *model)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 1) return 0;
  static constexpr int kBauds[] = {115200, 9600, 300, 4'000'000};
  p1::SerialSettings settings;
  settings.baud = kBauds[bytes[0] & 3];
  settings.data_bits = 5 + ((bytes[0] >> 2) & 3);
  settings.parity = static_cast<p1::Parity>(((bytes[0] >> 4) & 3) % 3);
  settings.stop_bits = (bytes[0] & 0x40) ? 2 : 1;
  const bool fixed = (bytes[0] & 0x80) != 0;
  R responder(settings, fixed ? p1::PortSettings::kFixed : p1::PortSettings::kVirtual);
  const Model real = RealPort(settings);
  Model model = real;
  const std::string initial = responder.Describe();
  if (initial.empty()) std::abort();

  uint64_t requests = 0, set_requests = 0;
  std::string_view rest(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  while (!rest.empty()) {
    const size_t n = std::min<size_t>(static_cast<uint8_t>(rest[0]), rest.size() - 1);
    const std::string_view request = rest.substr(1, n);
    rest.remove_prefix(1 + n);
    ++requests;
    const std::string reply = responder.Answer(request);
    if (responder.set_requests() < set_requests || responder.set_requests() > requests) {
      std::abort();
    }
    set_requests = responder.set_requests();
    if (fixed && responder.Describe() != initial) std::abort();  // nothing changes
    if (reply.empty()) continue;
    if (request.empty() || reply.size() > kMaxReply) std::abort();
    const auto command = static_cast<uint8_t>(request[0]);
    if (command > R::kPurgeData) std::abort();  // unknown codes get no answer
    if (static_cast<uint8_t>(reply[0]) != command + R::kServerOffset) std::abort();
    const std::string_view value = request.substr(1);
    const std::string_view got = std::string_view(reply).substr(1);
    const uint8_t v = value.empty() ? 0 : static_cast<uint8_t>(value[0]);
    switch (command) {
      case R::kSignature:
        if (!value.empty() || got != "p1gateway") std::abort();
        break;
      case R::kSetBaudrate: {
        if (got.size() != 4) std::abort();
        if (value.size() < 4) {
          if (got != Baud(model.baud)) std::abort();  // the client's current port
          break;
        }
        const std::string asked(value.substr(0, 4));
        if (asked == Baud(0)) {
          if (got != Baud(real.baud)) std::abort();
        } else if (fixed) {
          if (got != Baud(real.baud)) std::abort();
        } else {
          if (got != asked) std::abort();
          model.baud = static_cast<uint32_t>(static_cast<uint8_t>(asked[0])) << 24 |
                       static_cast<uint32_t>(static_cast<uint8_t>(asked[1])) << 16 |
                       static_cast<uint32_t>(static_cast<uint8_t>(asked[2])) << 8 |
                       static_cast<uint8_t>(asked[3]);
        }
        break;
      }
      case R::kSetDatasize:
        CheckByte(fixed, v, v >= 5 && v <= 8, real.datasize, &model.datasize, got);
        break;
      case R::kSetParity:
        CheckByte(fixed, v, v >= 1 && v <= 5, real.parity, &model.parity, got);
        break;
      case R::kSetStopsize:
        CheckByte(fixed, v, v >= 1 && v <= 3, real.stopsize, &model.stopsize, got);
        break;
      case R::kSetControl: {
        if (value.empty() || got.size() != 1) std::abort();
        const auto g = static_cast<uint8_t>(got[0]);
        // Fixed: always the meter port's lines (no flow, no break, DTR and
        // RTS on) or "no flow control"; virtual: a valid setting is echoed.
        const bool real_line = g == 1 || g == 6 || g == 8 || g == 11 || g == 14;
        const bool settable = (v >= 1 && v <= 3) || v == 5 || v == 6 || v == 8 || v == 9 ||
                              v == 11 || v == 12 || (v >= 14 && v <= 19);
        if (fixed && !real_line) std::abort();
        if (!fixed && settable && g != v) std::abort();
        if (g == 0 || g > 19) std::abort();
        break;
      }
      case R::kNotifyModemstate:
        if (got.size() != 1) std::abort();
        break;
      case R::kSetLinestateMask:
      case R::kSetModemstateMask:
      case R::kPurgeData:
        if (got != value.substr(0, 1)) std::abort();
        break;
      default:
        std::abort();  // other codes (NOTIFY-LINESTATE, flow control) get no answer
    }
  }
  if (responder.Describe().empty()) std::abort();
  return 0;
}
