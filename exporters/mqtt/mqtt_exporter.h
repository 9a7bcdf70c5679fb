// MqttExporter: publishes every meter to an MQTT broker over one
// MqttClient: a retained gateway status (will: "offline"), per meter a
// retained status following dsmr_meter_up, a state document per published
// telegram (throttled to min_interval), optionally the plaintext telegram
// and DSMR-reader's topics, and Home Assistant device discovery, re-sent
// when Home Assistant announces itself (birth message) and when a meter's
// set of values grows.
//
// Bounded: messages wait in an outbox keyed by topic, so a newer message
// for a topic replaces the unsent one (state replacements count as drops);
// the outbox holds at most one message per topic, and topics per meter are
// fixed. Nothing is handed to libmosquitto unless it has written everything
// before (MqttClient::CanPublish), so a slow or dead broker costs a bounded
// amount of memory and never blocks the loop.
#ifndef P1GW_EXPORTERS_MQTT_MQTT_EXPORTER_H_
#define P1GW_EXPORTERS_MQTT_MQTT_EXPORTER_H_

#include <uv.h>

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "config/config.h"
#include "exporters/mqtt/mqtt_client.h"
#include "exporters/mqtt/mqtt_payloads.h"
#include "gateway/core/telegram.h"

namespace p1 {

// What the exporter is told about a meter, after every frame and state change.
struct MeterUpdate {
  std::string name;
  Millis min_interval{10000};
  TelegramPtr latest;  // a new pointer is a new telegram
  bool up = false;     // dsmr_meter_up
  uint64_t crc_errors = 0;
  uint64_t rejected = 0;  // every telegram error
};

class MqttExporter : public MqttClient::Handler {
 public:
  struct Stats {
    bool connected = false;
    uint64_t published = 0;
    uint64_t dropped = 0;
    uint64_t reconnects = 0;        // sessions after the first
    uint64_t connect_failures = 0;  // attempts refused or failed
    size_t queued = 0;  // messages in the outbox
  };

  MqttExporter(uv_loop_t* loop, MqttConfig config, std::string version, std::string hostname);
  ~MqttExporter() override;  // publishes "offline" to the gateway status, disconnects

  // Reads the password file and prepares the client (TLS files checked).
  // False with *err; then nothing was started.
  bool Prepare(std::string* err);
  void Start();

  // The first line of config.password_file ("" without one). False with *err.
  static bool ReadPassword(const MqttConfig& config, std::string* password, std::string* err);
  const std::string& password() const { return password_; }

  void OnMeterUpdate(const MeterUpdate& update);
  // The meter left the config: its discovery and retained status are cleared.
  void RemoveMeter(const std::string& name);

  Stats stats() const;
  const MqttConfig& config() const { return config_; }

  // MqttClient::Handler
  void OnConnected() override;
  void OnDisconnected() override {}
  void OnMessage(const std::string& topic, const std::string& payload) override;
  void OnWritable() override { Flush(); }

 private:
  struct MeterState {
    TelegramPtr last;
    int64_t last_state_ms = INT64_MIN;  // when a state was last queued
    int64_t period_ms = 0;              // gap between the two latest telegrams
    FieldSet seen;                      // every field the meter has sent
    FieldSet announced;                 // the fields of the last queued discovery
    MeterIdentity identity;
    bool up = false;
    bool status_known = false;
  };
  struct Message {
    std::string topic;
    std::string payload;
    bool retain = false;
    bool droppable = false;  // a replaced state counts as dropped
  };

  void Queue(std::string topic, std::string payload, bool retain, bool droppable, bool front = false);
  void Flush();
  void QueueDiscovery(const std::string& name, MeterState& m, bool front = false);
  void QueueGatewayDiscovery(bool front);
  std::string MeterTopic(const std::string& name, const char* leaf) const;
  std::string DiscoveryTopic(const std::string& node_id) const;
  std::string NodeId(const std::string& name) const;

  uv_loop_t* loop_;
  MqttConfig config_;
  std::string version_;
  std::string hostname_;
  std::string password_;
  std::string gateway_id_;
  std::string dsmr_reader_meter_;  // resolved: the configured one or the first updated
  std::unique_ptr<MqttClient> client_;
  std::map<std::string, MeterState> meters_;
  std::list<Message> outbox_;
  std::unordered_map<std::string, std::list<Message>::iterator> by_topic_;
  uint64_t dropped_ = 0;
};

}  // namespace p1

#endif  // P1GW_EXPORTERS_MQTT_MQTT_EXPORTER_H_
