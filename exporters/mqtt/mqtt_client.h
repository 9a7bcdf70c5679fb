// MqttClient: one libmosquitto connection driven by the gateway's libuv
// loop. The connect (name lookup, non-blocking TCP connect, TLS set-up) runs
// in the libuv thread pool; then a uv_poll on a dup() of the client's socket
// drives mosquitto_loop_read/_write (writable only while libmosquitto has
// bytes to send), and a 1 s timer drives mosquitto_loop_misc (keepalive)
// and the handshake deadline. Because the poll watches its own descriptor,
// libmosquitto closing its socket inside a call never leaves the loop
// watching a closed or reused fd. A lost or refused connection is retried
// with capped exponential backoff (0.5 s .. 10 s: a broker that restarts,
// as Home Assistant's add-on does at every update, is back in use within
// 10 s; one connect attempt per 10 s costs a down broker nothing). Nothing
// here blocks the loop; nothing is queued here: the caller publishes only
// when CanPublish().
// *loop and *handler must outlive the client.
#ifndef P1GW_EXPORTERS_MQTT_MQTT_CLIENT_H_
#define P1GW_EXPORTERS_MQTT_MQTT_CLIENT_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "gateway/loop/uv_handle.h"

struct mosquitto;
struct mosquitto_message;

namespace p1 {

class MqttClient {
 public:
  struct Options {
    std::string host;
    uint16_t port = 1883;
    bool tls = false;
    std::string tls_ca, tls_cert, tls_key;  // empty ca with tls: the system's CAs
    std::string username, password;
    std::string client_id;
    int keepalive_s = 60;
    int protocol = 4;  // 4: MQTT 3.1.1, 5: MQTT 5
    std::string will_topic, will_payload;  // retained, QoS 1
    uint64_t handshake_timeout_ms = 10000;
  };

  class Handler {
   public:
    virtual ~Handler() = default;
    // CONNACK accepted: (re)send retained state, subscribe.
    virtual void OnConnected() = 0;
    // Called only after OnConnected.
    virtual void OnDisconnected() = 0;
    virtual void OnMessage(const std::string& topic, const std::string& payload) = 0;
    // CanPublish() may have become true again.
    virtual void OnWritable() = 0;
  };

  struct Stats {
    bool connected = false;
    uint64_t connects = 0;          // accepted CONNACKs
    uint64_t connect_failures = 0;  // attempts that ended without a session
    uint64_t disconnects = 0;       // sessions that ended
    uint64_t published = 0;
  };

  MqttClient(uv_loop_t* loop, Options options, Handler* handler);
  ~MqttClient();  // a clean DISCONNECT when connected (no will)
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Creates the libmosquitto client with every option (TLS files are checked
  // here). False with *err; nothing is connected yet.
  bool Prepare(std::string* err);
  // Starts connecting; reconnects by itself from then on.
  void Start();

  bool connected() const { return state_ == State::kConnected; }
  // Connected, libmosquitto has nothing left to write and fewer than
  // kMaxInflight QoS 1 messages are unacknowledged.
  bool CanPublish() const;
  bool Publish(const std::string& topic, std::string_view payload, int qos, bool retain);
  bool Subscribe(const std::string& topic, int qos);
  const Stats& stats() const { return stats_; }
  std::string Describe() const;  // "mqtt://host:1883"

  static constexpr size_t kMaxInflight = 20;
  // SO_SNDBUF of the connection (the kernel doubles it): a few seconds of
  // 8 meters' states, and 1 MB/s at a 100 ms round trip.
  static constexpr int kSendBufferBytes = 64 * 1024;

 private:
  enum class State { kIdle, kConnecting, kHandshake, kConnected, kBackoff };
  struct Shared;  // what a connect running in the thread pool needs

  static void OnWork(uv_work_t* req);
  static void OnWorkDone(uv_work_t* req, int status);
  static void OnPoll(uv_poll_t* poll, int status, int events);
  static void OnTick(uv_timer_t* timer);
  static void OnRetry(uv_timer_t* timer);
  static void OnConnack(mosquitto* m, void* self, int rc);
  static void OnMosqDisconnect(mosquitto* m, void* self, int rc);
  static void OnMosqPublish(mosquitto* m, void* self, int mid);
  static void OnMosqMessage(mosquitto* m, void* self, const mosquitto_message* msg);
  static void OnMosqLog(mosquitto* m, void* self, int level, const char* text);

  void Connect();
  void ConnectStarted(int rc, int err);
  void Arm();
  bool TlsHandshaking() const;
  // After every libmosquitto call: a lost socket ends the session; events
  // collected in callbacks reach the handler (never from inside libmosquitto).
  void AfterCall(int rc, int err);
  void Lost(const std::string& reason);
  void Fail(const std::string& reason);  // logs once per distinct reason
  std::string TakeLogError();

  uv_loop_t* loop_;
  Options options_;
  Handler* handler_;
  std::shared_ptr<Shared> shared_;
  State state_ = State::kIdle;
  UvHandle<uv_poll_t> poll_;
  int fd_ = -1;  // our dup() of the client's socket, watched by poll_
  int armed_ = 0;
  bool tcp_up_ = false;
  uint64_t handshake_deadline_ = 0;
  UvHandle<uv_timer_t> tick_;
  UvHandle<uv_timer_t> retry_;
  Backoff backoff_{500, 10000};
  std::unordered_set<int> inflight_;  // mids of QoS 1 messages not yet acknowledged
  Stats stats_;
  std::string last_failure_;
  // Collected during libmosquitto callbacks, handled in AfterCall.
  bool connack_ok_ = false;
  int refused_ = 0;
  bool mosq_disconnected_ = false;
  std::vector<std::pair<std::string, std::string>> received_;
};

}  // namespace p1

#endif  // P1GW_EXPORTERS_MQTT_MQTT_CLIENT_H_
