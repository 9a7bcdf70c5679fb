// TelnetCodec: the telnet side of one client session (plain telnet or RFC
// 2217). It produces the greeting, consumes everything the client sends
// (negotiation is answered, data is discarded) and escapes outgoing data.
// Pure: no sockets; bytes to send accumulate in an internal buffer the caller
// takes with TakeOutput(). Not movable: libtelnet keeps a pointer to it.
#ifndef P1GW_PROXY_TELNET_TELNET_CODEC_H_
#define P1GW_PROXY_TELNET_TELNET_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "proxy/telnet/rfc2217.h"

struct telnet_t;
union telnet_event_t;

namespace p1 {

class TelnetCodec {
 public:
  enum class Mode { kTelnet, kRfc2217 };
  // Pending output beyond this is dropped: a client that floods requests and
  // never reads the answers must not grow memory.
  static constexpr size_t kMaxOutput = 16 * 1024;

  // `port` applies to kRfc2217: whether the client's port settings are
  // accepted on a virtual port of its own or refused.
  TelnetCodec(Mode mode, SerialSettings settings, PortSettings port = PortSettings::kVirtual);
  ~TelnetCodec();
  TelnetCodec(const TelnetCodec&) = delete;
  TelnetCodec& operator=(const TelnetCodec&) = delete;

  // Feeds bytes received from the client.
  void Receive(std::string_view in);
  // Bytes to send to the client: the greeting first, then answers.
  std::string TakeOutput();

  uint64_t discarded_data_bytes() const { return discarded_; }
  // RFC 2217 requests to set a port parameter so far (0 in telnet mode).
  uint64_t port_requests() const { return rfc2217_ ? rfc2217_->set_requests() : 0; }
  // The client's virtual port settings, for logs (empty in telnet mode).
  std::string PortSummary() const { return rfc2217_ ? rfc2217_->Describe() : std::string(); }
  // libtelnet reported a fatal protocol error; the session should close.
  bool failed() const { return failed_; }

  static bool NeedsEscape(std::string_view data);
  // Doubles every 0xFF (IAC) so data passes through a telnet stream intact.
  static std::string Escape(std::string_view data);

 private:
  static void OnEvent(telnet_t* telnet, telnet_event_t* event, void* user_data);
  void Append(const char* data, size_t size);

  Mode mode_;
  std::optional<Rfc2217Responder> rfc2217_;
  telnet_t* telnet_ = nullptr;
  std::string output_;
  uint64_t discarded_ = 0;
  bool failed_ = false;
};

}  // namespace p1

#endif  // P1GW_PROXY_TELNET_TELNET_CODEC_H_
