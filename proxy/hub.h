// Hub: all listeners of one meter. Receives the meter's telegrams and byte
// chunks on the loop thread and fans them out to every client session, one
// shared buffer per telegram (plus one telnet-escaped copy when needed).
// *loop must outlive the Hub. Destroying the Hub closes all its handles; the
// caller must keep running the loop afterwards until the closes complete.
#ifndef P1GW_PROXY_HUB_H_
#define P1GW_PROXY_HUB_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/core/listener_stats.h"
#include "gateway/core/telegram.h"
#include "gateway/core/telegram_sink.h"
#include "proxy/listener.h"

namespace p1 {

class Hub : public TelegramSink {
 public:
  // `batch` (null: plain writes) must outlive the Hub and its listeners.
  Hub(uv_loop_t* loop, std::string meter_name, std::vector<ListenerConfig> listeners,
      SerialSettings serial, SendBatch* batch = nullptr);
  ~Hub() override;
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Binds and listens on all listeners. On failure nothing stays listening
  // and *err names the address: "listen 0.0.0.0:2001: address already in use".
  bool Start(std::string* err);

  void OnTelegram(const TelegramPtr& telegram) override;
  void OnBytes(const std::shared_ptr<const std::string>& bytes) override;
  bool WantsBytes() const override { return wants_bytes_; }

  // Reload support: listeners are replaced one by one so that clients of an
  // unchanged listener keep their sessions.
  const std::vector<std::unique_ptr<Listener>>& listeners() const { return listeners_; }
  // Closes every listener not in `keep` (with its clients).
  void Retain(const std::vector<const Listener*>& keep);
  // Takes a started listener.
  void Add(std::unique_ptr<Listener> listener);

  std::vector<ListenerStats> Stats() const;
  // Actual ports in listener order (useful with port 0).
  std::vector<uint16_t> BoundPorts() const;

 private:
  void Deliver(const OutChunk& raw, Payload payload);
  void UpdateWantsBytes();

  uv_loop_t* loop_;
  SendBatch* batch_;
  std::string meter_name_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  bool wants_bytes_ = false;  // some listener has payload = "bytes"
};

}  // namespace p1

#endif  // P1GW_PROXY_HUB_H_
