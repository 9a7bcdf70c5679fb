#include "exporters/json/dsmr_logger.h"

#include <optional>
#include <string_view>

#include "exporters/json/register_values.h"
#include "gateway/core/json_writer.h"

namespace p1 {
namespace {

constexpr Obis El(uint8_t c, uint8_t d, uint8_t e) { return Obis{1, 0, c, d, e}; }
constexpr Obis Ab(uint8_t c, uint8_t d, uint8_t e) { return Obis{0, 0, c, d, e}; }

struct Field {
  const char* name;
  Obis code;
  Quantity quantity;
  const char* unit;
};

// In arduino-dsmr's field order, which DSMR-logger32 keeps. The *_lux
// totals (1.8.0/2.8.0, arduino-dsmr and ESPHome names) are not in
// DSMR-logger32's list; without them a Luxembourg, Austrian or EasyMeter
// meter, which sends no tariff registers, would show no energy at all.
constexpr Field kActual[] = {
    {"energy_delivered_lux", El(1, 8, 0), Quantity::kEnergy, "kWh"},
    {"energy_delivered_tariff1", El(1, 8, 1), Quantity::kEnergy, "kWh"},
    {"energy_delivered_tariff2", El(1, 8, 2), Quantity::kEnergy, "kWh"},
    {"energy_returned_lux", El(2, 8, 0), Quantity::kEnergy, "kWh"},
    {"energy_returned_tariff1", El(2, 8, 1), Quantity::kEnergy, "kWh"},
    {"energy_returned_tariff2", El(2, 8, 2), Quantity::kEnergy, "kWh"},
    {"power_delivered", El(1, 7, 0), Quantity::kPower, "kW"},
    {"power_returned", El(2, 7, 0), Quantity::kPower, "kW"},
    {"voltage_l1", El(32, 7, 0), Quantity::kVoltage, "V"},
    {"voltage_l2", El(52, 7, 0), Quantity::kVoltage, "V"},
    {"voltage_l3", El(72, 7, 0), Quantity::kVoltage, "V"},
    {"current_l1", El(31, 7, 0), Quantity::kCurrent, "A"},
    {"current_l2", El(51, 7, 0), Quantity::kCurrent, "A"},
    {"current_l3", El(71, 7, 0), Quantity::kCurrent, "A"},
    {"power_delivered_l1", El(21, 7, 0), Quantity::kPower, "kW"},
    {"power_delivered_l2", El(41, 7, 0), Quantity::kPower, "kW"},
    {"power_delivered_l3", El(61, 7, 0), Quantity::kPower, "kW"},
    {"power_returned_l1", El(22, 7, 0), Quantity::kPower, "kW"},
    {"power_returned_l2", El(42, 7, 0), Quantity::kPower, "kW"},
    {"power_returned_l3", El(62, 7, 0), Quantity::kPower, "kW"},
};

constexpr const char* kMbusDelivered[] = {"mbus1_delivered", "mbus2_delivered", "mbus3_delivered",
                                          "mbus4_delivered"};
constexpr const char* kMbusType[] = {"mbus1_device_type", "mbus2_device_type", "mbus3_device_type",
                                     "mbus4_device_type"};
constexpr const char* kMbusIdTc[] = {"mbus1_equipment_id_tc", "mbus2_equipment_id_tc",
                                     "mbus3_equipment_id_tc", "mbus4_equipment_id_tc"};
constexpr const char* kMbusIdNtc[] = {"mbus1_equipment_id_ntc", "mbus2_equipment_id_ntc",
                                      "mbus3_equipment_id_ntc", "mbus4_equipment_id_ntc"};

void PutText(JsonWriter& w, std::string_view key, std::string_view v) {
  if (!v.empty()) w.Key(key).String(v);
}

bool ValidChannel(const MbusDevice& d) { return d.channel >= 1 && d.channel <= 4; }

}  // namespace

// DSMR-logger32 sends gas_delivered (its own addition) and every
// mbusN_delivered even without a device, as 0; here they are omitted then.
std::string RenderDsmrLoggerActual(const Reading& r) {
  std::string out;
  out.reserve(768);
  JsonWriter w(&out);
  w.BeginObject().Key("actual").BeginObject();
  const CosemObject* clock = r.Find(Ab(1, 0, 0));
  if (clock != nullptr && clock->kind == ValueKind::kTimestamp) {
    PutText(w, "timestamp", LocalTimestampText(clock->timestamp));
  }
  for (const Field& f : kActual) {
    if (auto v = RegisterIn(r, f.code, f.quantity, f.unit)) w.Key(f.name).Number(*v);
  }
  for (const MbusDevice& d : r.mbus) {
    if (ValidChannel(d) && HasReading(d)) w.Key(kMbusDelivered[d.channel - 1]).Number(d.value);
  }
  if (const MbusDevice* gas = FirstGasMeter(r)) {
    auto m3 = ToUnit(gas->value, gas->number_text, gas->unit, Quantity::kVolume, "m3");
    if (m3) w.Key("gas_delivered").Number(*m3);
  }
  w.EndObject().EndObject();
  return out;
}

std::string RenderDsmrLoggerInfo(const Reading& r) {
  std::string out;
  out.reserve(512);
  JsonWriter w(&out);
  w.BeginObject().Key("info").BeginObject();
  PutText(w, "identification", r.header);
  PutText(w, "p1_version", RawValue(r.Find(Obis{1, 3, 0, 2, 8})));
  PutText(w, "p1_version_be", RawValue(r.Find(Ab(96, 1, 4))));
  PutText(w, "equipment_id", RawValue(r.Find(Ab(96, 1, 1))));
  PutText(w, "electricity_tariff", RawValue(r.Find(Ab(96, 14, 0))));
  for (const MbusDevice& d : r.mbus) {
    if (!ValidChannel(d)) continue;
    size_t i = d.channel - 1;
    if (d.device_type >= 0) w.Key(kMbusType[i]).Int(d.device_type);
    PutText(w, kMbusIdTc[i], RawValue(r.Find(Obis{0, d.channel, 96, 1, 0})));
    PutText(w, kMbusIdNtc[i], RawValue(r.Find(Obis{0, d.channel, 96, 1, 1})));
  }
  w.EndObject().EndObject();
  return out;
}

}  // namespace p1
