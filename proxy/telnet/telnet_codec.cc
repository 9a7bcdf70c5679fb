#include "proxy/telnet/telnet_codec.h"

#include <libtelnet.h>

#include <algorithm>
#include <utility>

namespace p1 {
namespace {

// Options we agree to: libtelnet answers the client's DO/WILL with these.
// ECHO is "we will, you don't": the client stops echoing its own keystrokes,
// which we discard anyway.
constexpr telnet_telopt_t kTelnetOptions[] = {
    {TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO},
    {TELNET_TELOPT_ECHO, TELNET_WILL, TELNET_DONT},
    {TELNET_TELOPT_BINARY, TELNET_WILL, TELNET_DO},
    {-1, 0, 0}};
constexpr telnet_telopt_t kRfc2217Options[] = {
    {TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO},
    {TELNET_TELOPT_ECHO, TELNET_WILL, TELNET_DONT},
    {TELNET_TELOPT_BINARY, TELNET_WILL, TELNET_DO},
    {kTelnetComPortOption, TELNET_WILL, TELNET_DO},
    {-1, 0, 0}};

constexpr char kIac = static_cast<char>(0xFF);

}  // namespace

TelnetCodec::TelnetCodec(Mode mode, SerialSettings settings, PortSettings port) : mode_(mode) {
  if (mode_ == Mode::kRfc2217) rfc2217_.emplace(settings, port);
  telnet_ = telnet_init(mode_ == Mode::kRfc2217 ? kRfc2217Options : kTelnetOptions, &OnEvent, 0,
                        this);
  if (telnet_ == nullptr) {
    failed_ = true;
    return;
  }
  // The same greeting as ser2net's telnet accepter, so `telnet host port`
  // behaves as users know it: binary both ways, character mode, no local echo.
  telnet_negotiate(telnet_, TELNET_WILL, TELNET_TELOPT_SGA);
  telnet_negotiate(telnet_, TELNET_DO, TELNET_TELOPT_SGA);
  telnet_negotiate(telnet_, TELNET_WILL, TELNET_TELOPT_ECHO);
  telnet_negotiate(telnet_, TELNET_DO, TELNET_TELOPT_BINARY);
  telnet_negotiate(telnet_, TELNET_WILL, TELNET_TELOPT_BINARY);
  if (mode_ == Mode::kRfc2217) telnet_negotiate(telnet_, TELNET_WILL, kTelnetComPortOption);
}

TelnetCodec::~TelnetCodec() {
  if (telnet_ != nullptr) telnet_free(telnet_);
}

void TelnetCodec::Receive(std::string_view in) {
  if (telnet_ == nullptr || failed_ || in.empty()) return;
  telnet_recv(telnet_, in.data(), in.size());
}

std::string TelnetCodec::TakeOutput() { return std::exchange(output_, std::string()); }

void TelnetCodec::Append(const char* data, size_t size) {
  if (output_.size() + size > kMaxOutput) return;
  output_.append(data, size);
}

void TelnetCodec::OnEvent(telnet_t* telnet, telnet_event_t* event, void* user_data) {
  auto* self = static_cast<TelnetCodec*>(user_data);
  // After a fatal error libtelnet may still report the rest of the buffer
  // it was given (inflated, after COMPRESS2); none of it counts or is answered.
  if (self->failed_) return;
  switch (event->type) {
    case TELNET_EV_SEND:
      self->Append(event->data.buffer, event->data.size);
      break;
    case TELNET_EV_DATA:
      self->discarded_ += event->data.size;
      break;
    case TELNET_EV_SUBNEGOTIATION:
      if (self->rfc2217_ && event->sub.telopt == kTelnetComPortOption) {
        const std::string reply =
            self->rfc2217_->Answer(std::string_view(event->sub.buffer, event->sub.size));
        if (!reply.empty()) {
          telnet_subnegotiation(telnet, kTelnetComPortOption, reply.data(), reply.size());
        }
      }
      break;
    case TELNET_EV_ERROR:
      self->failed_ = true;
      break;
    case TELNET_EV_COMPRESS:
      // libtelnet starts inflating what the client sends when the client
      // sends IAC SB COMPRESS2 IAC SE, though we never agreed to it (MCCP
      // compresses server->client only): a zlib bomb would cost CPU per byte
      // received, and bytes after the end of the zlib stream in the same read
      // are lost. A client that does this is broken or hostile; close it.
      if (event->compress.state != 0) self->failed_ = true;
      break;
    default:
      break;
  }
}

bool TelnetCodec::NeedsEscape(std::string_view data) {
  return data.find(kIac) != std::string_view::npos;
}

std::string TelnetCodec::Escape(std::string_view data) {
  std::string out;
  out.reserve(data.size() + static_cast<size_t>(std::count(data.begin(), data.end(), kIac)));
  for (char c : data) {
    out.push_back(c);
    if (c == kIac) out.push_back(kIac);
  }
  return out;
}

}  // namespace p1
