// What p1gateway publishes over MQTT, as pure functions of a Reading: the
// state document (ESPHome `dsmr` key names, kWh/kW/V/A/m³), Home Assistant
// device-based discovery for a meter and for the gateway, and the
// DSMR-reader topics. No I/O; the MqttExporter decides when to send.
#ifndef P1GW_EXPORTERS_MQTT_MQTT_PAYLOADS_H_
#define P1GW_EXPORTERS_MQTT_MQTT_PAYLOADS_H_

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/core/reading.h"

namespace p1 {

// One value a meter may send, as a state key and a Home Assistant entity.
struct MqttField {
  const char* key;           // state document key (ESPHome dsmr name)
  const char* name;          // entity name in Home Assistant
  const char* device_class;  // "" for none
  const char* state_class;   // "" for none
  const char* unit;          // Home Assistant unit ("m³", not "m3"); "" for none
  bool diagnostic;           // entity_category: diagnostic
  int precision;             // suggested_display_precision; -1 for none
};

// Every field, in state-document order; a FieldSet indexes this table.
const std::vector<MqttField>& MqttFields();
using FieldSet = std::bitset<64>;

struct MqttState {
  std::string json;  // {"timestamp":"2024-03-17T14:15:23+01:00","energy_delivered_tariff1":...}
  FieldSet fields;   // which MqttFields() the document holds
};

// The state document of one telegram; `crc_errors` is the meter's count.
MqttState RenderMqttState(const Reading& r, uint64_t crc_errors);

// Who the meter is, from its telegram: what Home Assistant shows on the device.
struct MeterIdentity {
  std::string serial;        // equipment id, hex-decoded when it is ASCII; may be empty
  std::string manufacturer;  // from the header's vendor code ("ISk" -> "Iskra")
  std::string model;         // the header after its vendor code and baud character
  std::string protocol;      // "DSMR 5.0", "ESMR 5.0.2 (BE)", or empty
};
MeterIdentity IdentifyMeter(const Reading& r);

// What discovery needs beyond the reading. Topics are full topic names.
struct DiscoveryContext {
  std::string meter;           // configured name
  std::string node_id;         // unique among this gateway's devices, [a-zA-Z0-9_-]
  std::string gateway_id;      // the gateway device's identifier (via_device)
  std::string state_topic;     // <prefix>/<meter>/state
  std::string gateway_status;  // <prefix>/status
  std::string meter_status;    // <prefix>/<meter>/status
  std::string version;         // p1gateway version (origin and sw_version)
  int qos = 0;
};

// <discovery_prefix>/device/<node_id>/config payload: one device, one
// sensor per field in `fields`.
std::string RenderMeterDiscovery(const DiscoveryContext& c, const MeterIdentity& id,
                                 const FieldSet& fields);

// The gateway's own device: a connectivity binary sensor on its status topic.
std::string RenderGatewayDiscovery(const std::string& gateway_id, const std::string& status_topic,
                                   const std::string& hostname, const std::string& version);

// DSMR-reader's split topics (dsmr/reading/..., dsmr/meter-stats/...) and
// their plain-text values in DSMR-reader's units, for what the telegram has.
std::vector<std::pair<std::string, std::string>> DsmrReaderTopics(const Reading& r,
                                                                  uint64_t rejected_telegrams);

// A topic level made of [a-zA-Z0-9_-] (anything else becomes '_').
std::string TopicId(std::string_view s);

}  // namespace p1

#endif  // P1GW_EXPORTERS_MQTT_MQTT_PAYLOADS_H_
