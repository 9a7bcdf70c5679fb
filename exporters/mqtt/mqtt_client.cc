#include "exporters/mqtt/mqtt_client.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

#include "exporters/mqtt/mosquitto_api.h"
#include "gateway/loop/uv_request.h"

namespace p1 {

// Owned jointly by the client and a connect running in the thread pool, so
// a client destroyed meanwhile never frees what the worker still uses.
struct MqttClient::Shared {
  mosquitto* mosq = nullptr;
  std::string host;  // copies: the client may be gone while a connect runs
  uint16_t port = 0;
  int keepalive_s = 60;
  bool connected_once = false;  // reconnect_async from the second attempt on
  bool orphaned = false;        // the client is gone: the finished work just frees
  MqttClient* owner = nullptr;  // callbacks on the loop thread reach the client through it
  std::mutex log_mu;            // libmosquitto also logs from the connect in the pool
  std::string last_log_error;   // its latest error line (TLS details)
  int rc = 0;
  int err = 0;
  ~Shared() {
    if (mosq != nullptr) Mosquitto().destroy(mosq);
  }
};

namespace {

using WorkRequest = UvRequest<uv_work_t, std::shared_ptr<void>>;

std::string ErrorText(int rc, int err) {
  if (rc == MOSQ_ERR_ERRNO) return std::strerror(err);
  return Mosquitto().strerror(rc);
}

}  // namespace

MqttClient::MqttClient(uv_loop_t* loop, Options options, Handler* handler)
    : loop_(loop), options_(std::move(options)), handler_(handler) {}

MqttClient::~MqttClient() {
  handler_ = nullptr;
  poll_.Reset();
  if (fd_ >= 0) close(fd_);
  if (!shared_) return;
  if (state_ == State::kConnecting) {
    shared_->orphaned = true;  // the worker's completion frees it
    shared_->owner = nullptr;
    return;
  }
  if (state_ == State::kConnected) {
    Mosquitto().disconnect(shared_->mosq);
  }
}

bool MqttClient::Prepare(std::string* err) {
  if (const std::string& e = Mosquitto().error; !e.empty()) {
    *err = "mqtt: libmosquitto: " + e;
    return false;
  }
  auto shared = std::make_shared<Shared>();
  shared->owner = this;
  shared->mosq = Mosquitto().new_client(options_.client_id.c_str(), true, shared.get());
  if (shared->mosq == nullptr) {
    *err = std::string("mqtt: cannot create a client: ") + std::strerror(errno);
    return false;
  }
  shared->host = options_.host;
  shared->port = options_.port;
  shared->keepalive_s = options_.keepalive_s;
  mosquitto* m = shared->mosq;
  Mosquitto().int_option(m, MOSQ_OPT_PROTOCOL_VERSION,
                         options_.protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
  Mosquitto().int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
  auto check = [&](int rc, const std::string& what) {
    if (rc == MOSQ_ERR_SUCCESS) return true;
    *err = "mqtt: " + what + ": " + Mosquitto().strerror(rc);
    return false;
  };
  if (!options_.username.empty() &&
      !check(Mosquitto().username_pw_set(
                 m, options_.username.c_str(),
                 options_.password.empty() ? nullptr : options_.password.c_str()),
             "username")) {
    return false;
  }
  if (!options_.will_topic.empty() &&
      !check(Mosquitto().will_set(m, options_.will_topic.c_str(),
                                  static_cast<int>(options_.will_payload.size()),
                                  options_.will_payload.data(), 1, true),
             "will")) {
    return false;
  }
  if (options_.tls) {
    if (options_.tls_ca.empty()) {
      if (!check(Mosquitto().int_option(m, MOSQ_OPT_TLS_USE_OS_CERTS, 1), "system CAs")) {
        return false;
      }
    }
    if (!options_.tls_ca.empty() || !options_.tls_cert.empty()) {
      auto opt = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
      // Checks that the files can be opened (the key is loaded on connect).
      if (!check(Mosquitto().tls_set(m, opt(options_.tls_ca), nullptr, opt(options_.tls_cert),
                                     opt(options_.tls_key), nullptr),
                 "tls_ca/tls_cert/tls_key " + options_.tls_ca + " " + options_.tls_cert)) {
        return false;
      }
    }
  }
  Mosquitto().connect_callback_set(m, OnConnack);
  Mosquitto().disconnect_callback_set(m, OnMosqDisconnect);
  Mosquitto().publish_callback_set(m, OnMosqPublish);
  Mosquitto().message_callback_set(m, OnMosqMessage);
  Mosquitto().log_callback_set(m, OnMosqLog);
  shared_ = std::move(shared);
  return true;
}

void MqttClient::Start() {
  if (!shared_ || state_ != State::kIdle) return;
  tick_.Init(uv_timer_init, loop_, this);
  retry_.Init(uv_timer_init, loop_, this);
  uv_timer_start(tick_.get(), OnTick, 1000, 1000);
  Connect();
}

std::string MqttClient::Describe() const {
  const bool v6 = options_.host.find(':') != std::string::npos;
  return std::string(options_.tls ? "mqtts://" : "mqtt://") + (v6 ? "[" : "") + options_.host +
         (v6 ? "]" : "") + ":" + std::to_string(options_.port);
}

void MqttClient::Connect() {
  state_ = State::kConnecting;
  auto req = WorkRequest::Make(std::static_pointer_cast<void>(shared_));
  req->get()->data = req.get();
  int r = WorkRequest::Start(std::move(req), [&](uv_work_t* w) {
    return uv_queue_work(loop_, w, OnWork, OnWorkDone);
  });
  if (r != 0) ConnectStarted(MOSQ_ERR_ERRNO, ENOMEM);
}

// In the thread pool: nothing else touches the client while this runs.
void MqttClient::OnWork(uv_work_t* req) {
  auto* r = static_cast<WorkRequest*>(req->data);
  auto* shared = static_cast<Shared*>(r->extra().get());
  errno = 0;
  shared->rc = shared->connected_once
                   ? Mosquitto().reconnect_async(shared->mosq)
                   : Mosquitto().connect_async(shared->mosq, shared->host.c_str(), shared->port,
                                               shared->keepalive_s);
  shared->err = errno;
  shared->connected_once = true;
}

void MqttClient::OnWorkDone(uv_work_t* req, int) {
  WorkRequest::Ptr r = WorkRequest::Adopt(req);
  auto shared = std::static_pointer_cast<Shared>(r->extra());
  if (shared->orphaned) return;  // freed with the last reference
  shared->owner->ConnectStarted(shared->rc, shared->err);
}

void MqttClient::ConnectStarted(int rc, int err) {
  const int sock = Mosquitto().socket(shared_->mosq);
  if ((rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_CONN_PENDING) || sock < 0) {
    const std::string detail = TakeLogError();
    Fail("cannot connect: " + ErrorText(rc, err) + (detail.empty() ? "" : " (" + detail + ")"));
    return;
  }
  fd_ = dup(sock);
  if (fd_ >= 0) {
    // The kernel's send buffer is the one queue here that is not ours:
    // autotuning lets it grow to 4 MB of stale states for a broker that
    // stopped reading. A fixed size keeps it bounded and the drops (newest
    // state wins) in the exporter, where they are counted.
    int sndbuf = kSendBufferBytes;
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  }
  if (fd_ < 0 || poll_.Init(uv_poll_init_socket, loop_, this, fd_) != 0) {
    Fail(std::string("cannot watch the socket: ") + std::strerror(errno));
    return;
  }
  state_ = State::kHandshake;
  tcp_up_ = false;
  armed_ = 0;
  handshake_deadline_ = uv_now(loop_) + options_.handshake_timeout_ms;
  (void)TakeLogError();
  Arm();
}

std::string MqttClient::TakeLogError() {
  std::lock_guard<std::mutex> lock(shared_->log_mu);
  return std::exchange(shared_->last_log_error, std::string());
}

// libmosquitto's TLS handshake is still running: it makes progress only
// from mosquitto_loop_read, and the CONNECT it has queued waits for it.
bool MqttClient::TlsHandshaking() const {
  auto* ssl = static_cast<SSL*>(Mosquitto().ssl_get(shared_->mosq));
  return ssl != nullptr && !Mosquitto().ssl_is_init_finished(ssl);
}

void MqttClient::Arm() {
  if (!poll_) return;
  int events = UV_READABLE;
  // Writable only when a write can make progress: while the TCP connect is
  // pending, while libmosquitto has bytes to send, and during the TLS
  // handshake only when OpenSSL asks to write (the queued CONNECT cannot go
  // yet: watching writability then would spin the loop).
  if (!tcp_up_) {
    events |= UV_WRITABLE;
  } else if (TlsHandshaking()) {
    const MosquittoApi& mq = Mosquitto();
    if (mq.ssl_want(static_cast<SSL*>(mq.ssl_get(shared_->mosq))) == SSL_WRITING) {
      events |= UV_WRITABLE;
    }
  } else if (Mosquitto().want_write(shared_->mosq)) {
    events |= UV_WRITABLE;
  }
  if (events == armed_) return;
  armed_ = events;
  uv_poll_start(poll_.get(), events, OnPoll);
}

void MqttClient::OnPoll(uv_poll_t* poll, int status, int events) {
  auto* self = static_cast<MqttClient*>(poll->data);
  if (self == nullptr) return;
  if (status < 0) {
    self->Lost(std::string("socket error: ") + uv_strerror(status));
    return;
  }
  mosquitto* m = self->shared_->mosq;
  int rc = MOSQ_ERR_SUCCESS;
  errno = 0;
  // Until the TCP connect completes only writability says so; libmosquitto
  // then finishes the connect (and TLS handshake) from its read path.
  if ((events & UV_READABLE) || (!self->tcp_up_ && (events & UV_WRITABLE)) ||
      self->TlsHandshaking()) {
    rc = Mosquitto().loop_read(m, 1);
  }
  if (events & UV_WRITABLE) self->tcp_up_ = true;
  if (rc == MOSQ_ERR_SUCCESS && Mosquitto().socket(m) >= 0 && Mosquitto().want_write(m)) {
    rc = Mosquitto().loop_write(m, 1);
  }
  self->AfterCall(rc, errno);
}

void MqttClient::AfterCall(int rc, int err) {
  mosquitto* m = shared_->mosq;
  const bool lost = rc != MOSQ_ERR_SUCCESS || mosq_disconnected_ || Mosquitto().socket(m) < 0;
  if (refused_ != 0) {
    const int code = refused_;
    refused_ = 0;
    const MosquittoApi& mq = Mosquitto();
    Lost(std::string("broker refused the connection: ") +
         (options_.protocol == 5 ? mq.reason_string(code) : mq.connack_string(code)));
    return;
  }
  if (lost) {
    mosq_disconnected_ = false;
    std::string why = rc != MOSQ_ERR_SUCCESS ? ErrorText(rc, err) : "connection closed";
    const std::string detail = TakeLogError();
    if (!detail.empty()) why += " (" + detail + ")";
    Lost(why);
    return;
  }
  if (connack_ok_) {
    connack_ok_ = false;
    state_ = State::kConnected;
    stats_.connected = true;
    ++stats_.connects;
    backoff_.Reset();
    inflight_.clear();
    spdlog::info("mqtt: connected to {}", Describe());
    last_failure_.clear();
    if (handler_ != nullptr) handler_->OnConnected();
  }
  if (!received_.empty() && handler_ != nullptr) {
    auto messages = std::move(received_);
    received_.clear();
    for (const auto& [topic, payload] : messages) handler_->OnMessage(topic, payload);
  }
  if (state_ != State::kConnected && state_ != State::kHandshake) return;
  Arm();
  if (state_ == State::kConnected && CanPublish() && handler_ != nullptr) handler_->OnWritable();
}

void MqttClient::Lost(const std::string& reason) {
  poll_.Reset();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  armed_ = 0;
  inflight_.clear();
  received_.clear();
  connack_ok_ = false;
  // A refusal also disconnects libmosquitto: that callback must not be
  // taken for the next attempt's.
  mosq_disconnected_ = false;
  refused_ = 0;
  const bool was_connected = state_ == State::kConnected;
  stats_.connected = false;
  if (was_connected) {
    ++stats_.disconnects;
    spdlog::warn("mqtt: connection to {} lost: {}", Describe(), reason);
    last_failure_.clear();
    if (handler_ != nullptr) handler_->OnDisconnected();
    // libmosquitto's own socket may still be open (a read error closes it,
    // a keepalive timeout too; a poll error does not).
    state_ = State::kBackoff;
    uv_timer_start(retry_.get(), OnRetry, backoff_.Next(), 0);
    return;
  }
  Fail(reason);
}

void MqttClient::Fail(const std::string& reason) {
  ++stats_.connect_failures;
  state_ = State::kBackoff;
  const uint64_t delay = backoff_.Next();
  if (reason != last_failure_) {
    spdlog::warn("mqtt: {}: {}; retrying with backoff (now {} ms)", Describe(), reason, delay);
    last_failure_ = reason;
  } else {
    spdlog::debug("mqtt: {}: {}; retry in {} ms", Describe(), reason, delay);
  }
  if (retry_) uv_timer_start(retry_.get(), OnRetry, delay, 0);
}

void MqttClient::OnRetry(uv_timer_t* timer) {
  auto* self = static_cast<MqttClient*>(timer->data);
  if (self != nullptr && self->state_ == State::kBackoff) self->Connect();
}

void MqttClient::OnTick(uv_timer_t* timer) {
  auto* self = static_cast<MqttClient*>(timer->data);
  if (self == nullptr) return;
  if (self->state_ == State::kHandshake) {
    if (uv_now(self->loop_) >= self->handshake_deadline_) {
      self->Lost("no CONNACK within " + std::to_string(self->options_.handshake_timeout_ms) + " ms");
    }
    return;
  }
  if (self->state_ != State::kConnected) return;
  errno = 0;
  int rc = Mosquitto().loop_misc(self->shared_->mosq);  // PINGREQ, keepalive timeout
  self->AfterCall(rc, errno);
}

bool MqttClient::CanPublish() const {
  return state_ == State::kConnected && !Mosquitto().want_write(shared_->mosq) &&
         inflight_.size() < kMaxInflight;
}

bool MqttClient::Publish(const std::string& topic, std::string_view payload, int qos, bool retain) {
  if (state_ != State::kConnected) return false;
  int mid = 0;
  int rc = Mosquitto().publish(shared_->mosq, &mid, topic.c_str(),
                               static_cast<int>(payload.size()), payload.data(), qos, retain);
  if (rc != MOSQ_ERR_SUCCESS) {
    // A broken socket shows on the next tick (loop_misc then fails).
    if (rc != MOSQ_ERR_NO_CONN && rc != MOSQ_ERR_CONN_LOST && rc != MOSQ_ERR_ERRNO) {
      spdlog::warn("mqtt: cannot publish to {}: {}", topic, Mosquitto().strerror(rc));
    }
    return false;
  }
  ++stats_.published;
  if (qos > 0) inflight_.insert(mid);
  Arm();
  return true;
}

bool MqttClient::Subscribe(const std::string& topic, int qos) {
  if (state_ != State::kConnected) return false;
  int rc = Mosquitto().subscribe(shared_->mosq, nullptr, topic.c_str(), qos);
  Arm();
  return rc == MOSQ_ERR_SUCCESS;
}

// libmosquitto callbacks: they only record; AfterCall acts.
void MqttClient::OnConnack(mosquitto*, void* self, int rc) {
  auto* c = static_cast<Shared*>(self)->owner;
  if (c == nullptr) return;
  if (rc == 0) {
    c->connack_ok_ = true;
  } else {
    c->refused_ = rc;
  }
}

void MqttClient::OnMosqDisconnect(mosquitto*, void* self, int) {
  if (auto* c = static_cast<Shared*>(self)->owner) c->mosq_disconnected_ = true;
}

void MqttClient::OnMosqPublish(mosquitto*, void* self, int mid) {
  if (auto* c = static_cast<Shared*>(self)->owner) c->inflight_.erase(mid);
}

void MqttClient::OnMosqMessage(mosquitto*, void* self, const mosquitto_message* msg) {
  auto* c = static_cast<Shared*>(self)->owner;
  if (c == nullptr || c->received_.size() >= 64 || msg->payloadlen > 4096) return;  // bounded; we expect few
  c->received_.emplace_back(msg->topic,
                            std::string(static_cast<const char*>(msg->payload),
                                        static_cast<size_t>(msg->payloadlen)));
}

void MqttClient::OnMosqLog(mosquitto*, void* self, int level, const char* text) {
  if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)) {
    auto* shared = static_cast<Shared*>(self);
    std::lock_guard<std::mutex> lock(shared->log_mu);
    shared->last_log_error = std::string(text).substr(0, 200);
    spdlog::debug("mqtt: libmosquitto: {}", text);
  }
}

}  // namespace p1
