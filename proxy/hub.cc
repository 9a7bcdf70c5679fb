#include "proxy/hub.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "proxy/telnet/telnet_codec.h"

namespace p1 {

Hub::Hub(uv_loop_t* loop, std::string meter_name, std::vector<ListenerConfig> listeners,
         SerialSettings serial, SendBatch* batch)
    : loop_(loop), batch_(batch), meter_name_(std::move(meter_name)) {
  for (auto& config : listeners) {
    wants_bytes_ = wants_bytes_ || config.payload == Payload::kBytes;
    listeners_.push_back(std::make_unique<Listener>(loop_, std::move(config), serial, batch_));
  }
}

Hub::~Hub() = default;

bool Hub::Start(std::string* err) {
  for (auto& l : listeners_) {
    if (!l->Start(err)) {
      for (auto& other : listeners_) other->Stop();
      spdlog::error("meter {}: {}", meter_name_, *err);
      return false;
    }
  }
  return true;
}

void Hub::OnTelegram(const TelegramPtr& telegram) {
  if (!telegram || telegram->crc == CrcStatus::kInvalid) return;
  OutChunk raw;
  raw.data = telegram->plaintext;
  raw.owner = telegram;
  Deliver(raw, Payload::kTelegrams);
}

void Hub::OnBytes(const std::shared_ptr<const std::string>& bytes) {
  if (!bytes || bytes->empty()) return;
  Deliver(OutChunk::Of(bytes), Payload::kBytes);
}

// Raw listeners get the shared buffer itself; telnet listeners share one
// escaped copy, made only when the data holds an IAC byte at all. All of
// them go to the kernel in one batch.
void Hub::Deliver(const OutChunk& raw, Payload payload) {
  if (batch_ != nullptr) batch_->Begin();
  std::optional<OutChunk> escaped;
  for (auto& l : listeners_) {
    const ListenerConfig& c = l->config();
    if (c.payload != payload) continue;
    const OutChunk* chunk = &raw;
    if (c.protocol != ListenerProtocol::kRaw) {
      if (!escaped) {
        escaped = TelnetCodec::NeedsEscape(raw.data)
                      ? OutChunk::Of(std::make_shared<const std::string>(
                            TelnetCodec::Escape(raw.data)))
                      : raw;
      }
      chunk = &*escaped;
    }
    if (payload == Payload::kTelegrams) {
      l->DeliverTelegram(*chunk);
    } else {
      l->DeliverBytes(*chunk);
    }
  }
  if (batch_ != nullptr) batch_->End();
}

void Hub::Retain(const std::vector<const Listener*>& keep) {
  std::erase_if(listeners_, [&](const std::unique_ptr<Listener>& l) {
    return std::find(keep.begin(), keep.end(), l.get()) == keep.end();
  });
  UpdateWantsBytes();
}

void Hub::Add(std::unique_ptr<Listener> listener) {
  listeners_.push_back(std::move(listener));
  UpdateWantsBytes();
}

void Hub::UpdateWantsBytes() {
  wants_bytes_ = std::any_of(listeners_.begin(), listeners_.end(), [](const auto& l) {
    return l->config().payload == Payload::kBytes;
  });
}

std::vector<ListenerStats> Hub::Stats() const {
  std::vector<ListenerStats> out;
  out.reserve(listeners_.size());
  for (const auto& l : listeners_) out.push_back(l->Stats());
  return out;
}

std::vector<uint16_t> Hub::BoundPorts() const {
  std::vector<uint16_t> out;
  out.reserve(listeners_.size());
  for (const auto& l : listeners_) out.push_back(l->BoundPort());
  return out;
}

}  // namespace p1
