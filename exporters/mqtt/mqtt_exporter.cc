#include "exporters/mqtt/mqtt_exporter.h"

#include <spdlog/spdlog.h>

#include <fstream>

namespace p1 {

MqttExporter::MqttExporter(uv_loop_t* loop, MqttConfig config, std::string version,
                           std::string hostname)
    : loop_(loop),
      config_(std::move(config)),
      version_(std::move(version)),
      hostname_(std::move(hostname)),
      gateway_id_(TopicId(config_.topic_prefix)),
      dsmr_reader_meter_(config_.dsmr_reader_topics ? config_.dsmr_reader_meter : "") {}

MqttExporter::~MqttExporter() {
  if (client_ && client_->connected()) {
    // A clean DISCONNECT discards the will, so say it ourselves.
    client_->Publish(config_.topic_prefix + "/status", "offline", 1, true);
  }
}

bool MqttExporter::ReadPassword(const MqttConfig& config, std::string* password,
                                std::string* err) {
  password->clear();
  if (config.password_file.empty()) return true;
  std::ifstream in(config.password_file);
  if (!in || !std::getline(in, *password)) {
    *err = "mqtt: cannot read password_file " + config.password_file;
    return false;
  }
  if (!password->empty() && password->back() == '\r') password->pop_back();
  return true;
}

bool MqttExporter::Prepare(std::string* err) {
  MqttClient::Options o;
  o.host = config_.host;
  o.port = config_.port;
  o.tls = config_.tls;
  o.tls_ca = config_.tls_ca;
  o.tls_cert = config_.tls_cert;
  o.tls_key = config_.tls_key;
  o.username = config_.username;
  if (!ReadPassword(config_, &password_, err)) return false;
  o.password = password_;
  o.client_id = config_.client_id.empty() ? "p1gateway-" + TopicId(hostname_) : config_.client_id;
  if (o.client_id.size() > 64) o.client_id.resize(64);
  o.keepalive_s = static_cast<int>(config_.keepalive.count() / 1000);
  o.protocol = config_.protocol;
  o.will_topic = config_.topic_prefix + "/status";
  o.will_payload = "offline";
  auto client = std::make_unique<MqttClient>(loop_, std::move(o), this);
  if (!client->Prepare(err)) return false;
  client_ = std::move(client);
  return true;
}

void MqttExporter::Start() {
  spdlog::info("mqtt: publishing to {} under {}/", client_->Describe(), config_.topic_prefix);
  client_->Start();
}

std::string MqttExporter::MeterTopic(const std::string& name, const char* leaf) const {
  return config_.topic_prefix + "/" + name + "/" + leaf;
}

std::string MqttExporter::NodeId(const std::string& name) const {
  return gateway_id_ + "_" + TopicId(name);
}

std::string MqttExporter::DiscoveryTopic(const std::string& node_id) const {
  return config_.discovery_prefix + "/device/" + node_id + "/config";
}

void MqttExporter::Queue(std::string topic, std::string payload, bool retain, bool droppable,
                         bool front) {
  auto it = by_topic_.find(topic);
  if (it != by_topic_.end()) {
    // The unsent message for this topic is out of date: the newer one takes
    // its place (and, asked to, moves to the front).
    if (it->second->droppable) ++dropped_;
    it->second->payload = std::move(payload);
    it->second->retain = retain;
    it->second->droppable = droppable;
    if (front) outbox_.splice(outbox_.begin(), outbox_, it->second);
  } else {
    auto pos = front ? outbox_.begin() : outbox_.end();
    auto added = outbox_.insert(pos, Message{topic, std::move(payload), retain, droppable});
    by_topic_.emplace(std::move(topic), added);
  }
  Flush();
}

void MqttExporter::Flush() {
  if (!client_) return;
  while (!outbox_.empty() && client_->CanPublish()) {
    Message& m = outbox_.front();
    if (!client_->Publish(m.topic, m.payload, config_.qos, m.retain)) return;
    by_topic_.erase(m.topic);
    outbox_.pop_front();
  }
}

void MqttExporter::QueueGatewayDiscovery(bool front) {
  if (!config_.discovery) return;
  Queue(DiscoveryTopic(gateway_id_),
        RenderGatewayDiscovery(gateway_id_, config_.topic_prefix + "/status", hostname_, version_),
        true, false, front);
}

void MqttExporter::QueueDiscovery(const std::string& name, MeterState& m, bool front) {
  if (!config_.discovery || m.seen.none()) return;
  DiscoveryContext c;
  c.meter = name;
  c.node_id = NodeId(name);
  c.gateway_id = gateway_id_;
  c.state_topic = MeterTopic(name, "state");
  c.gateway_status = config_.topic_prefix + "/status";
  c.meter_status = MeterTopic(name, "status");
  c.version = version_;
  c.qos = config_.qos;
  Queue(DiscoveryTopic(c.node_id), RenderMeterDiscovery(c, m.identity, m.seen), true, false, front);
  m.announced = m.seen;
  // Home Assistant (re)created the entities: give them a value at the next
  // telegram instead of after min_interval.
  m.last_state_ms = INT64_MIN;
}

void MqttExporter::OnConnected() {
  // Retained messages first, at the front: a broker that restarted without
  // persistence lost them. The unsent states wait behind them.
  for (auto& [name, m] : meters_) {
    if (m.status_known) {
      Queue(MeterTopic(name, "status"), m.up ? "online" : "offline", true, false, true);
    }
    QueueDiscovery(name, m, true);
  }
  QueueGatewayDiscovery(true);
  Queue(config_.topic_prefix + "/status", "online", true, false, true);
  if (config_.discovery) client_->Subscribe(config_.discovery_prefix + "/status", 0);
  Flush();
}

void MqttExporter::OnMessage(const std::string& topic, const std::string& payload) {
  if (!config_.discovery || topic != config_.discovery_prefix + "/status" || payload != "online") {
    return;
  }
  // Home Assistant (re)started: it forgets whatever it did not get retained.
  spdlog::info("mqtt: Home Assistant is online: sending discovery");
  QueueGatewayDiscovery(false);
  for (auto& [name, m] : meters_) {
    QueueDiscovery(name, m, false);
    if (m.status_known) Queue(MeterTopic(name, "status"), m.up ? "online" : "offline", true, false);
  }
}

void MqttExporter::OnMeterUpdate(const MeterUpdate& u) {
  MeterState& m = meters_[u.name];
  if (!m.status_known || m.up != u.up) {
    m.status_known = true;
    m.up = u.up;
    Queue(MeterTopic(u.name, "status"), u.up ? "online" : "offline", true, false);
  }
  if (!u.latest || u.latest == m.last) return;
  const Telegram& t = *u.latest;
  if (m.last) m.period_ms = t.received_unix_ms - m.last->received_unix_ms;
  m.last = u.latest;

  MqttState state = RenderMqttState(t.reading, u.crc_errors);
  if (m.seen.none() || (state.fields & ~m.seen).any()) m.identity = IdentifyMeter(t.reading);
  m.seen |= state.fields;
  if ((m.seen & ~m.announced).any()) QueueDiscovery(u.name, m);

  const int64_t now = static_cast<int64_t>(uv_now(loop_));
  const int64_t interval = u.min_interval.count();
  // Half a telegram period of slack: 10 s with telegrams every second
  // publishes every tenth, not every eleventh, whatever the jitter.
  if (m.last_state_ms != INT64_MIN && now - m.last_state_ms < interval - m.period_ms / 2) return;
  m.last_state_ms = now;
  Queue(MeterTopic(u.name, "state"), std::move(state.json), config_.retain_state, true);
  if (config_.raw_telegram) Queue(MeterTopic(u.name, "telegram"), t.plaintext, false, true);
  if (u.name == dsmr_reader_meter_) {
    for (auto& [topic, value] : DsmrReaderTopics(t.reading, u.rejected)) {
      Queue(std::move(topic), std::move(value), config_.retain_state, true);
    }
  }
}

void MqttExporter::RemoveMeter(const std::string& name) {
  auto it = meters_.find(name);
  if (it == meters_.end()) return;
  meters_.erase(it);
  // Unsent messages of the meter go; empty retained payloads delete what
  // the broker keeps (and, for discovery, the device in Home Assistant).
  const std::string base = config_.topic_prefix + "/" + name + "/";
  for (auto m = outbox_.begin(); m != outbox_.end();) {
    if (m->topic.rfind(base, 0) == 0 || m->topic == DiscoveryTopic(NodeId(name))) {
      by_topic_.erase(m->topic);
      m = outbox_.erase(m);
    } else {
      ++m;
    }
  }
  if (config_.discovery) Queue(DiscoveryTopic(NodeId(name)), "", true, false);
  Queue(MeterTopic(name, "status"), "", true, false);
  if (config_.retain_state) Queue(MeterTopic(name, "state"), "", true, false);
}

MqttExporter::Stats MqttExporter::stats() const {
  Stats s;
  if (client_) {
    const MqttClient::Stats& c = client_->stats();
    s.connected = c.connected;
    s.published = c.published;
    s.reconnects = c.connects > 0 ? c.connects - 1 : 0;
    s.connect_failures = c.connect_failures;
  }
  s.dropped = dropped_;
  s.queued = outbox_.size();
  return s;
}

}  // namespace p1
