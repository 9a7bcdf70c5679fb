#include "exporters/mqtt/mqtt_payloads.h"

#include <cctype>
#include <optional>

#include "exporters/json/register_values.h"
#include "gateway/base/hex.h"
#include "gateway/core/json_writer.h"

namespace p1 {
namespace {

constexpr Obis El(uint8_t c, uint8_t d, uint8_t e) { return Obis{1, 0, c, d, e}; }
constexpr Obis Ab(uint8_t c, uint8_t d, uint8_t e) { return Obis{0, 0, c, d, e}; }

// Where a field's value comes from.
enum class From {
  kClock,          // 0-0:1.0.0 as ISO 8601
  kRegister,       // `code` converted to `unit` of `quantity`
  kCount,          // `code` as a plain integer
  kPeakTime,       // the capture time of `code` (BE month peak), ISO 8601
  kGas,            // first M-Bus gas meter, m³
  kWater,          // first M-Bus water meter, m³
  kHeat,           // first M-Bus heat meter, GJ
  kCrcErrors,      // the meter's CRC error counter
};

struct Spec {
  MqttField field;
  From from;
  Obis code;
  Quantity quantity;
  const char* convert_to;  // unit to convert to (units.h names)
};

constexpr const char* kE = "energy";
constexpr const char* kTi = "total_increasing";
constexpr const char* kMe = "measurement";

// ESPHome's dsmr sensor keys, units and classes (esphome/components/dsmr).
// Reactive power has no device class: Home Assistant accepts "kvar" with
// reactive_power only in recent releases (older ones know only "var"), and
// an invalid unit for a device class rejects the entity.
const Spec kSpecs[] = {
    {{"timestamp", "Meter time", "timestamp", "", "", true, -1}, From::kClock, {}, Quantity::kPlain, ""},
    {{"energy_delivered_lux", "Energy delivered", kE, kTi, "kWh", false, 3}, From::kRegister, El(1, 8, 0), Quantity::kEnergy, "kWh"},
    {{"energy_delivered_tariff1", "Energy delivered tariff 1", kE, kTi, "kWh", false, 3}, From::kRegister, El(1, 8, 1), Quantity::kEnergy, "kWh"},
    {{"energy_delivered_tariff2", "Energy delivered tariff 2", kE, kTi, "kWh", false, 3}, From::kRegister, El(1, 8, 2), Quantity::kEnergy, "kWh"},
    {{"energy_returned_lux", "Energy returned", kE, kTi, "kWh", false, 3}, From::kRegister, El(2, 8, 0), Quantity::kEnergy, "kWh"},
    {{"energy_returned_tariff1", "Energy returned tariff 1", kE, kTi, "kWh", false, 3}, From::kRegister, El(2, 8, 1), Quantity::kEnergy, "kWh"},
    {{"energy_returned_tariff2", "Energy returned tariff 2", kE, kTi, "kWh", false, 3}, From::kRegister, El(2, 8, 2), Quantity::kEnergy, "kWh"},
    {{"power_delivered", "Power delivered", "power", kMe, "kW", false, 3}, From::kRegister, El(1, 7, 0), Quantity::kPower, "kW"},
    {{"power_returned", "Power returned", "power", kMe, "kW", false, 3}, From::kRegister, El(2, 7, 0), Quantity::kPower, "kW"},
    {{"reactive_power_delivered", "Reactive power delivered", "", kMe, "kvar", false, 3}, From::kRegister, El(3, 7, 0), Quantity::kReactivePower, "kvar"},
    {{"reactive_power_returned", "Reactive power returned", "", kMe, "kvar", false, 3}, From::kRegister, El(4, 7, 0), Quantity::kReactivePower, "kvar"},
    {{"power_delivered_l1", "Power delivered L1", "power", kMe, "kW", false, 3}, From::kRegister, El(21, 7, 0), Quantity::kPower, "kW"},
    {{"power_delivered_l2", "Power delivered L2", "power", kMe, "kW", false, 3}, From::kRegister, El(41, 7, 0), Quantity::kPower, "kW"},
    {{"power_delivered_l3", "Power delivered L3", "power", kMe, "kW", false, 3}, From::kRegister, El(61, 7, 0), Quantity::kPower, "kW"},
    {{"power_returned_l1", "Power returned L1", "power", kMe, "kW", false, 3}, From::kRegister, El(22, 7, 0), Quantity::kPower, "kW"},
    {{"power_returned_l2", "Power returned L2", "power", kMe, "kW", false, 3}, From::kRegister, El(42, 7, 0), Quantity::kPower, "kW"},
    {{"power_returned_l3", "Power returned L3", "power", kMe, "kW", false, 3}, From::kRegister, El(62, 7, 0), Quantity::kPower, "kW"},
    {{"voltage_l1", "Voltage L1", "voltage", kMe, "V", false, 1}, From::kRegister, El(32, 7, 0), Quantity::kVoltage, "V"},
    {{"voltage_l2", "Voltage L2", "voltage", kMe, "V", false, 1}, From::kRegister, El(52, 7, 0), Quantity::kVoltage, "V"},
    {{"voltage_l3", "Voltage L3", "voltage", kMe, "V", false, 1}, From::kRegister, El(72, 7, 0), Quantity::kVoltage, "V"},
    {{"current_l1", "Current L1", "current", kMe, "A", false, 0}, From::kRegister, El(31, 7, 0), Quantity::kCurrent, "A"},
    {{"current_l2", "Current L2", "current", kMe, "A", false, 0}, From::kRegister, El(51, 7, 0), Quantity::kCurrent, "A"},
    {{"current_l3", "Current L3", "current", kMe, "A", false, 0}, From::kRegister, El(71, 7, 0), Quantity::kCurrent, "A"},
    {{"electricity_tariff", "Tariff", "", "", "", true, -1}, From::kCount, Ab(96, 14, 0), Quantity::kPlain, ""},
    {{"electricity_failures", "Power failures", "", kTi, "", true, -1}, From::kCount, Ab(96, 7, 21), Quantity::kPlain, ""},
    {{"electricity_long_failures", "Long power failures", "", kTi, "", true, -1}, From::kCount, Ab(96, 7, 9), Quantity::kPlain, ""},
    {{"electricity_sags_l1", "Voltage sags L1", "", kTi, "", true, -1}, From::kCount, El(32, 32, 0), Quantity::kPlain, ""},
    {{"electricity_sags_l2", "Voltage sags L2", "", kTi, "", true, -1}, From::kCount, El(52, 32, 0), Quantity::kPlain, ""},
    {{"electricity_sags_l3", "Voltage sags L3", "", kTi, "", true, -1}, From::kCount, El(72, 32, 0), Quantity::kPlain, ""},
    {{"electricity_swells_l1", "Voltage swells L1", "", kTi, "", true, -1}, From::kCount, El(32, 36, 0), Quantity::kPlain, ""},
    {{"electricity_swells_l2", "Voltage swells L2", "", kTi, "", true, -1}, From::kCount, El(52, 36, 0), Quantity::kPlain, ""},
    {{"electricity_swells_l3", "Voltage swells L3", "", kTi, "", true, -1}, From::kCount, El(72, 36, 0), Quantity::kPlain, ""},
    {{"active_energy_import_current_average_demand", "Current average demand", "power", kMe, "kW", false, 3}, From::kRegister, El(1, 4, 0), Quantity::kPower, "kW"},
    {{"active_energy_import_maximum_demand_running_month", "Month peak demand", "power", kMe, "kW", false, 3}, From::kRegister, El(1, 6, 0), Quantity::kPower, "kW"},
    {{"active_energy_import_maximum_demand_running_month_timestamp", "Month peak time", "timestamp", "", "", false, -1}, From::kPeakTime, El(1, 6, 0), Quantity::kPlain, ""},
    {{"gas_delivered", "Gas delivered", "gas", kTi, "m³", false, 3}, From::kGas, {}, Quantity::kVolume, "m3"},
    {{"water_delivered", "Water delivered", "water", kTi, "m³", false, 3}, From::kWater, {}, Quantity::kVolume, "m3"},
    {{"heat_delivered", "Heat delivered", kE, kTi, "GJ", false, 3}, From::kHeat, {}, Quantity::kEnergy, "GJ"},
    {{"crc_errors", "CRC errors", "", kTi, "", true, -1}, From::kCrcErrors, {}, Quantity::kPlain, ""},
};
constexpr size_t kSpecCount = sizeof kSpecs / sizeof kSpecs[0];
static_assert(kSpecCount <= 64, "FieldSet holds 64 fields");

const MbusDevice* FirstDevice(const Reading& r, std::initializer_list<int> types) {
  for (const MbusDevice& d : r.mbus) {
    if (!HasReading(d)) continue;
    for (int t : types) {
      if (d.device_type == t) return &d;
    }
  }
  return nullptr;
}

std::optional<double> DeviceValue(const MbusDevice* d, Quantity q, const char* unit) {
  if (d == nullptr) return std::nullopt;
  return ToUnit(d->value, d->number_text, d->unit, q, unit);
}

// One field of `r`: a number, or (clock fields) text in *text.
std::optional<double> Extract(const Spec& s, const Reading& r, uint64_t crc_errors,
                              std::string* text) {
  switch (s.from) {
    case From::kClock: {
      const CosemObject* o = r.Find(Ab(1, 0, 0));
      if (o != nullptr && o->kind == ValueKind::kTimestamp) *text = o->timestamp.ToIso8601();
      return std::nullopt;
    }
    case From::kPeakTime: {
      const CosemObject* o = r.Find(s.code);
      if (o != nullptr && o->has_timestamp) *text = o->timestamp.ToIso8601();
      return std::nullopt;
    }
    case From::kRegister:
      return RegisterIn(r, s.code, s.quantity, s.convert_to);
    case From::kCount:
      if (auto v = RegisterInteger(r, s.code)) return static_cast<double>(*v);
      return std::nullopt;
    case From::kGas: {
      const MbusDevice* gas = FirstGasMeter(r);
      return DeviceValue(gas, s.quantity, s.convert_to);
    }
    case From::kWater:
      return DeviceValue(FirstDevice(r, {6, 7, 21, 22}), s.quantity, s.convert_to);
    case From::kHeat:
      return DeviceValue(FirstDevice(r, {4, 12}), s.quantity, s.convert_to);
    case From::kCrcErrors:
      return static_cast<double>(crc_errors);
  }
  return std::nullopt;
}

struct Vendor {
  const char* code;
  const char* name;
};
// FLAG ids (DLMS UA) of the makers whose meters send P1 telegrams.
constexpr Vendor kVendors[] = {
    {"ISK", "Iskra"},     {"KFM", "Kaifa"},       {"KMP", "Kamstrup"},      {"LGB", "Landis+Gyr"},
    {"LGF", "Landis+Gyr"}, {"LGZ", "Landis+Gyr"}, {"SAG", "Sagemcom"},      {"FLU", "Sagemcom"},
    {"XMX", "Xemex"},     {"ESY", "EasyMeter"},   {"EBZ", "eBZ"},           {"EMH", "EMH"},
    {"ELS", "Elster"},    {"AUX", "Ningbo Sanxing"}, {"ZPA", "ZPA Smart Energy"}, {"ADN", "Aidon"},
    {"EFR", "EFR"},
};

std::string HexToAscii(std::string_view hex) {
  if (hex.empty() || hex.size() % 2 != 0) return std::string(hex);
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexDigit(hex[i]), lo = HexDigit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::string(hex);
    const char c = static_cast<char>(hi * 16 + lo);
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return std::string(hex);
    }
    out.push_back(c);
  }
  return out;
}

void Availability(JsonWriter& w, const DiscoveryContext& c) {
  w.Key("availability").BeginArray();
  w.BeginObject().Key("topic").String(c.gateway_status).EndObject();
  w.BeginObject().Key("topic").String(c.meter_status).EndObject();
  w.EndArray();
  w.Key("availability_mode").String("all");
}

void Origin(JsonWriter& w, const std::string& version) {
  w.Key("origin").BeginObject();
  w.Key("name").String("p1gateway").Key("sw_version").String(version);
  w.EndObject();
}

}  // namespace

const std::vector<MqttField>& MqttFields() {
  static const std::vector<MqttField> fields = [] {
    std::vector<MqttField> v;
    for (const Spec& s : kSpecs) v.push_back(s.field);
    return v;
  }();
  return fields;
}

MqttState RenderMqttState(const Reading& r, uint64_t crc_errors) {
  MqttState state;
  state.json.reserve(1024);
  JsonWriter w(&state.json);
  w.BeginObject();
  for (size_t i = 0; i < kSpecCount; ++i) {
    std::string text;
    std::optional<double> v = Extract(kSpecs[i], r, crc_errors, &text);
    if (v) {
      w.Key(kSpecs[i].field.key).Number(*v);
    } else if (!text.empty()) {
      w.Key(kSpecs[i].field.key).String(text);
    } else {
      continue;
    }
    state.fields.set(i);
  }
  w.EndObject();
  return state;
}

MeterIdentity IdentifyMeter(const Reading& r) {
  MeterIdentity id;
  std::string_view equipment = RawValue(r.Find(Ab(96, 1, 1)));
  if (equipment.empty()) equipment = RawValue(r.Find(Ab(96, 1, 0)));
  id.serial = HexToAscii(equipment);
  std::string_view h = r.header;
  if (h.size() >= 3) {
    std::string code;
    for (char c : h.substr(0, 3)) code.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    id.manufacturer = code;
    for (const Vendor& v : kVendors) {
      if (code == v.code) id.manufacturer = v.name;
    }
  }
  const size_t bs = h.find('\\');
  id.model = std::string(bs != std::string_view::npos ? h.substr(bs + 1) : h.substr(h.size() > 4 ? 4 : h.size()));
  while (!id.model.empty() && id.model.back() == ' ') id.model.pop_back();
  std::string_view v = RawValue(r.Find(Obis{1, 3, 0, 2, 8}));
  std::string_view be = RawValue(r.Find(Ab(96, 1, 4)));
  if (be.size() >= 3) {
    id.protocol = "ESMR " + std::string(1, be[0]) + "." + std::string(1, be[1]) + "." +
                  std::string(1, be[2]);
  } else if (v.size() == 2) {
    id.protocol = "DSMR " + std::string(1, v[0]) + "." + std::string(1, v[1]);
  } else if (!v.empty()) {
    id.protocol = "DSMR " + std::string(v);
  }
  return id;
}

std::string RenderMeterDiscovery(const DiscoveryContext& c, const MeterIdentity& id,
                                 const FieldSet& fields) {
  std::string out;
  out.reserve(512 + 320 * fields.count());
  JsonWriter w(&out);
  const std::string uid_base = TopicId(id.serial.empty() ? c.node_id : id.serial);
  w.BeginObject();
  w.Key("device").BeginObject();
  w.Key("identifiers").BeginArray().String(c.node_id);
  if (!id.serial.empty()) w.String(TopicId(id.serial));
  w.EndArray();
  w.Key("name").String(c.meter);
  if (!id.manufacturer.empty()) w.Key("manufacturer").String(id.manufacturer);
  if (!id.model.empty()) w.Key("model").String(id.model);
  if (!id.protocol.empty()) w.Key("sw_version").String(id.protocol);
  if (!id.serial.empty()) w.Key("serial_number").String(id.serial);
  w.Key("via_device").String(c.gateway_id);
  w.EndObject();
  Origin(w, c.version);
  Availability(w, c);
  w.Key("state_topic").String(c.state_topic);
  w.Key("qos").Int(c.qos);
  w.Key("components").BeginObject();
  const auto& all = MqttFields();
  for (size_t i = 0; i < all.size(); ++i) {
    if (!fields.test(i)) continue;
    const MqttField& f = all[i];
    w.Key(uid_base + "_" + f.key).BeginObject();
    w.Key("platform").String("sensor");
    w.Key("unique_id").String(uid_base + "_" + f.key);
    w.Key("name").String(f.name);
    if (*f.device_class) w.Key("device_class").String(f.device_class);
    if (*f.state_class) w.Key("state_class").String(f.state_class);
    if (*f.unit) w.Key("unit_of_measurement").String(f.unit);
    if (f.diagnostic) w.Key("entity_category").String("diagnostic");
    if (f.precision >= 0) w.Key("suggested_display_precision").Int(f.precision);
    w.Key("value_template").String(std::string("{{ value_json.") + f.key + " }}");
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return out;
}

std::string RenderGatewayDiscovery(const std::string& gateway_id, const std::string& status_topic,
                                   const std::string& hostname, const std::string& version) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("device").BeginObject();
  w.Key("identifiers").BeginArray().String(gateway_id).EndArray();
  w.Key("name").String("p1gateway " + hostname);
  w.Key("manufacturer").String("p1gateway");
  w.Key("model").String("P1 gateway");
  w.Key("sw_version").String(version);
  w.EndObject();
  Origin(w, version);
  w.Key("components").BeginObject();
  w.Key(gateway_id + "_connectivity").BeginObject();
  w.Key("platform").String("binary_sensor");
  w.Key("unique_id").String(gateway_id + "_connectivity");
  w.Key("name").String("Connectivity");
  w.Key("device_class").String("connectivity");
  w.Key("entity_category").String("diagnostic");
  w.Key("state_topic").String(status_topic);
  w.Key("payload_on").String("online");
  w.Key("payload_off").String("offline");
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return out;
}

std::vector<std::pair<std::string, std::string>> DsmrReaderTopics(const Reading& r,
                                                                  uint64_t rejected_telegrams) {
  std::vector<std::pair<std::string, std::string>> out;
  auto number = [&](const std::string& topic, std::optional<double> v) {
    if (!v) return;
    std::string text;
    AppendJsonNumber(&text, *v);
    out.emplace_back(topic, text);
  };
  auto reg = [&](const char* topic, Obis code, Quantity q, const char* unit) {
    number(std::string("dsmr/reading/") + topic, RegisterIn(r, code, q, unit));
  };
  const CosemObject* clock = r.Find(Ab(1, 0, 0));
  if (clock != nullptr && clock->kind == ValueKind::kTimestamp && clock->timestamp.valid) {
    out.emplace_back("dsmr/reading/timestamp", clock->timestamp.ToIso8601());
  }
  reg("electricity_delivered_1", El(1, 8, 1), Quantity::kEnergy, "kWh");
  reg("electricity_returned_1", El(2, 8, 1), Quantity::kEnergy, "kWh");
  reg("electricity_delivered_2", El(1, 8, 2), Quantity::kEnergy, "kWh");
  reg("electricity_returned_2", El(2, 8, 2), Quantity::kEnergy, "kWh");
  reg("electricity_currently_delivered", El(1, 7, 0), Quantity::kPower, "kW");
  reg("electricity_currently_returned", El(2, 7, 0), Quantity::kPower, "kW");
  const char* l[] = {"l1", "l2", "l3"};
  for (int i = 0; i < 3; ++i) {
    const auto c = static_cast<uint8_t>(20 * i);
    reg((std::string("phase_currently_delivered_") + l[i]).c_str(), El(21 + c, 7, 0),
        Quantity::kPower, "kW");
    reg((std::string("phase_currently_returned_") + l[i]).c_str(), El(22 + c, 7, 0),
        Quantity::kPower, "kW");
    reg((std::string("phase_voltage_") + l[i]).c_str(), El(32 + c, 7, 0), Quantity::kVoltage, "V");
    reg((std::string("phase_power_current_") + l[i]).c_str(), El(31 + c, 7, 0), Quantity::kCurrent,
        "A");
  }
  if (const MbusDevice* gas = FirstGasMeter(r)) {
    number("dsmr/reading/extra_device_delivered",
           ToUnit(gas->value, gas->number_text, gas->unit, Quantity::kVolume, "m3"));
    if (gas->timestamp.valid) {
      out.emplace_back("dsmr/reading/extra_device_timestamp", gas->timestamp.ToIso8601());
    }
  }
  auto count = [&](const char* topic, Obis code) {
    if (auto v = RegisterInteger(r, code)) {
      out.emplace_back(std::string("dsmr/meter-stats/") + topic, std::to_string(*v));
    }
  };
  std::string_view version = RawValue(r.Find(Obis{1, 3, 0, 2, 8}));
  if (version.empty()) version = RawValue(r.Find(Ab(96, 1, 4)));
  if (!version.empty()) out.emplace_back("dsmr/meter-stats/dsmr_version", std::string(version));
  count("electricity_tariff", Ab(96, 14, 0));
  count("power_failure_count", Ab(96, 7, 21));
  count("long_power_failure_count", Ab(96, 7, 9));
  for (int i = 0; i < 3; ++i) {
    const auto c = static_cast<uint8_t>(20 * i);
    count((std::string("voltage_sag_count_") + l[i]).c_str(), El(32 + c, 32, 0));
    count((std::string("voltage_swell_count_") + l[i]).c_str(), El(32 + c, 36, 0));
  }
  out.emplace_back("dsmr/meter-stats/rejected_telegrams", std::to_string(rejected_telegrams));
  return out;
}

std::string TopicId(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    out.push_back(ok ? c : '_');
  }
  return out;
}

}  // namespace p1
