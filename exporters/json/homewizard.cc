#include "exporters/json/homewizard.h"

#include <cmath>
#include <cstdint>
#include <optional>

#include "exporters/json/register_values.h"
#include "gateway/core/json_writer.h"

namespace p1 {
namespace {

constexpr Obis El(uint8_t c, uint8_t d, uint8_t e) { return Obis{1, 0, c, d, e}; }
constexpr Obis Ab(uint8_t c, uint8_t d, uint8_t e) { return Obis{0, 0, c, d, e}; }

// L1/L2/L3 registers are 20 apart: 21/41/61, 32/52/72, ...
constexpr uint8_t PhaseC(uint8_t l1_c, int phase) {
  return static_cast<uint8_t>(l1_c + 20 * phase);
}

constexpr const char* kImportTariffKeys[] = {
    "total_power_import_t1_kwh", "total_power_import_t2_kwh", "total_power_import_t3_kwh",
    "total_power_import_t4_kwh"};
constexpr const char* kExportTariffKeys[] = {
    "total_power_export_t1_kwh", "total_power_export_t2_kwh", "total_power_export_t3_kwh",
    "total_power_export_t4_kwh"};
constexpr const char* kPowerKeys[] = {"active_power_l1_w", "active_power_l2_w",
                                      "active_power_l3_w"};
constexpr const char* kVoltageKeys[] = {"active_voltage_l1_v", "active_voltage_l2_v",
                                        "active_voltage_l3_v"};
constexpr const char* kCurrentKeys[] = {"active_current_l1_a", "active_current_l2_a",
                                        "active_current_l3_a"};
constexpr const char* kSagKeys[] = {"voltage_sag_l1_count", "voltage_sag_l2_count",
                                    "voltage_sag_l3_count"};
constexpr const char* kSwellKeys[] = {"voltage_swell_l1_count", "voltage_swell_l2_count",
                                      "voltage_swell_l3_count"};

void Put(JsonWriter& w, std::string_view key, std::optional<double> v) {
  if (v) w.Key(key).Number(*v);
}

void PutInt(JsonWriter& w, std::string_view key, std::optional<int64_t> v) {
  if (v) w.Key(key).Int(*v);
}

void PutText(JsonWriter& w, std::string_view key, std::string_view v) {
  if (!v.empty()) w.Key(key).String(v);
}

std::optional<double> Kwh(const Reading& r, Obis code) {
  return RegisterIn(r, code, Quantity::kEnergy, "kWh");
}

std::optional<double> Watts(const Reading& r, Obis code) {
  return RegisterIn(r, code, Quantity::kPower, "W");
}

// 1.8.0 (2.8.0) when sent, else the sum of the tariff registers, as the
// metrics do. HomeWizard's own fixture sends this sum, and the client would
// otherwise take tariff 1 alone for the total. Summed in joules, which are
// whole numbers for kWh with up to 5 decimals, so the one division that
// follows gives the double nearest to the decimal sum.
std::optional<double> TotalKwh(const Reading& r, uint8_t c) {
  if (auto v = Kwh(r, El(c, 8, 0))) return v;
  std::optional<double> joules;
  for (uint8_t t = 1; t <= 9; ++t) {
    if (auto j = RegisterIn(r, El(c, 8, t), Quantity::kEnergy, "J"))
      joules = joules.value_or(0) + *j;
  }
  if (!joules) return std::nullopt;
  return *joules / 3.6e6;
}

// Import minus export in W, present when either register is; exact for the
// whole watts that kW with 3 decimals give.
std::optional<double> NetWatts(const Reading& r, Obis import, Obis exported) {
  std::optional<double> in = Watts(r, import), out = Watts(r, exported);
  if (!in && !out) return std::nullopt;
  return in.value_or(0) - out.value_or(0) + 0.0;  // + 0.0: never -0
}

// smr_version: 1-3:0.2.8 ("50", "42"); a Belgian meter sends only its e-MUCS
// version in 0-0:96.1.4 ("50217" = DSMR 5.0, e-MUCS 2.17), whose first two
// digits are the DSMR version.
std::optional<int64_t> SmrVersion(const Reading& r) {
  if (auto v = RegisterInteger(r, Obis{1, 3, 0, 2, 8})) return v;
  std::string_view be = RawValue(r.Find(Ab(96, 1, 4)));
  if (be.size() == 5 && RegisterInteger(r, Ab(96, 1, 4))) return (be[0] - '0') * 10 + (be[1] - '0');
  return std::nullopt;
}

std::string_view EquipmentId(const Reading& r) {
  std::string_view id = RawValue(r.Find(Ab(96, 1, 1)));
  return id.empty() ? RawValue(r.Find(Ab(96, 1, 0))) : id;
}

// The M-Bus device types HomeWizard names (EN 13757-3, as in 0-n:24.1.0).
const char* ExternalType(const MbusDevice& d) {
  if (IsGasMeter(d)) return "gas_meter";
  switch (d.device_type) {
    case 4:
      return "heat_meter";
    case 6:
      return "warm_water_meter";
    case 7:
      return "water_meter";
    case 12:
      return "inlet_heat_meter";
    default:
      return nullptr;
  }
}

void PutGas(JsonWriter& w, const Reading& r) {
  const MbusDevice* gas = FirstGasMeter(r);
  if (gas == nullptr) return;
  Put(w, "total_gas_m3", ToUnit(gas->value, gas->number_text, gas->unit, Quantity::kVolume, "m3"));
  PutInt(w, "gas_timestamp", LocalTimestampNumber(gas->timestamp));
  PutText(w, "gas_unique_id", gas->equipment_id);
}

// external: the value and unit as the meter sent them ("m3", "GJ"), like
// HomeWizard; a missing unit is m3 for gas and water, GJ for heat.
void PutExternal(JsonWriter& w, const Reading& r) {
  bool open = false;
  for (const MbusDevice& d : r.mbus) {
    const char* type = ExternalType(d);
    if (type == nullptr || !HasReading(d)) continue;
    if (!open) w.Key("external").BeginArray();
    open = true;
    w.BeginObject();
    PutText(w, "unique_id", d.equipment_id);
    w.Key("type").String(type);
    PutInt(w, "timestamp", LocalTimestampNumber(d.timestamp));
    w.Key("value").Number(d.value);
    bool heat = d.device_type == 4 || d.device_type == 12;
    w.Key("unit").String(!d.unit.empty() ? d.unit : heat ? "GJ" : "m3");
    w.EndObject();
  }
  if (open) w.EndArray();
}

}  // namespace

std::string HomeWizardSerial(std::string_view meter_name) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (char c : meter_name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  h >>= 16;  // the top 48 bits: the best mixed
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(12, '0');
  for (int i = 11; i >= 0; --i, h >>= 4) out[static_cast<size_t>(i)] = kHex[h & 15];
  return out;
}

std::string RenderHomeWizardDevice(std::string_view meter_name, std::string_view firmware_version) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject()
      .Key("product_type")
      .String("HWE-P1")
      .Key("product_name")
      .String("P1 Meter")
      .Key("serial")
      .String(HomeWizardSerial(meter_name))
      .Key("firmware_version")
      .String(firmware_version)
      .Key("api_version")
      .String("v1")
      .EndObject();
  return out;
}

// Order as in HomeWizard's documented example. Phase currents carry the sign
// of the phase's net power, as HomeWizard's example shows ("active_power_l1_w":
// -676 with "active_current_l1_a": -4); DSMR meters send them unsigned.
std::string RenderHomeWizardData(const Reading& r, const HomeWizardDataOptions& options) {
  std::string out;
  out.reserve(1024);
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("wifi_ssid").String(options.wifi_ssid);
  w.Key("wifi_strength").Int(options.wifi_strength);
  PutInt(w, "smr_version", SmrVersion(r));
  PutText(w, "meter_model", r.header);
  PutText(w, "unique_id", EquipmentId(r));
  PutInt(w, "active_tariff", RegisterInteger(r, Ab(96, 14, 0)));

  Put(w, "total_power_import_kwh", TotalKwh(r, 1));
  for (uint8_t t = 1; t <= 4; ++t) Put(w, kImportTariffKeys[t - 1], Kwh(r, El(1, 8, t)));
  Put(w, "total_power_export_kwh", TotalKwh(r, 2));
  for (uint8_t t = 1; t <= 4; ++t) Put(w, kExportTariffKeys[t - 1], Kwh(r, El(2, 8, t)));

  Put(w, "active_power_w", NetWatts(r, El(1, 7, 0), El(2, 7, 0)));
  std::optional<double> phase_net[3];
  for (int p = 0; p < 3; ++p) {
    phase_net[p] = NetWatts(r, El(PhaseC(21, p), 7, 0), El(PhaseC(22, p), 7, 0));
    Put(w, kPowerKeys[p], phase_net[p]);
  }
  for (int p = 0; p < 3; ++p) {
    Put(w, kVoltageKeys[p], RegisterIn(r, El(PhaseC(32, p), 7, 0), Quantity::kVoltage, "V"));
  }
  for (int p = 0; p < 3; ++p) {
    std::optional<double> a = RegisterIn(r, El(PhaseC(31, p), 7, 0), Quantity::kCurrent, "A");
    if (a && phase_net[p] && *phase_net[p] < 0) a = -std::fabs(*a);
    Put(w, kCurrentKeys[p], a);
  }
  Put(w, "active_frequency_hz", RegisterIn(r, El(14, 7, 0), Quantity::kFrequency, "Hz"));
  for (int p = 0; p < 3; ++p) PutInt(w, kSagKeys[p], RegisterInteger(r, El(PhaseC(32, p), 32, 0)));
  for (int p = 0; p < 3; ++p)
    PutInt(w, kSwellKeys[p], RegisterInteger(r, El(PhaseC(32, p), 36, 0)));
  PutInt(w, "any_power_fail_count", RegisterInteger(r, Ab(96, 7, 21)));
  PutInt(w, "long_power_fail_count", RegisterInteger(r, Ab(96, 7, 9)));

  PutGas(w, r);

  Put(w, "active_power_average_w", Watts(r, El(1, 4, 0)));
  const CosemObject* peak = r.Find(El(1, 6, 0));
  std::optional<double> peak_w = Watts(r, El(1, 6, 0));
  Put(w, "montly_power_peak_w", peak_w);  // sic: HomeWizard's spelling, which clients read
  if (peak_w && peak->has_timestamp) {
    PutInt(w, "montly_power_peak_timestamp", LocalTimestampNumber(peak->timestamp));
  }
  PutExternal(w, r);
  w.EndObject();
  return out;
}

}  // namespace p1
