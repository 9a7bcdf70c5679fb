#include "exporters/metrics/reading_metrics.h"

#include <bitset>
#include <charconv>
#include <optional>
#include <unordered_map>
#include <vector>

#include "gateway/base/hex.h"
#include "exporters/metrics/units.h"

namespace p1 {
namespace {

enum class Special {
  kNone,
  kImportedTotal,  // 1.8.0: preferred over the tariff sum
  kExportedTotal,
  kImportedTariff,  // also summed for the total
  kExportedTariff,
  kPeakDemand,  // 1.6.0: value plus the time of the peak
};

struct Rule {
  Fam fam;
  Quantity quantity;
  const char* label_name = nullptr;  // extra label, if any
  const char* label_value = nullptr;
  Special special = Special::kNone;
};

constexpr const char* kDigits[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
constexpr const char* kPhases[] = {"l1", "l2", "l3"};

constexpr uint64_t Key(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t e) {
  return Obis{a, b, c, d, e}.Key();
}

using RuleMap = std::unordered_map<uint64_t, Rule>;

RuleMap BuildRules() {
  RuleMap m;
  auto el = [&m](uint8_t c, uint8_t d, uint8_t e, Rule r) { m.emplace(Key(1, 0, c, d, e), r); };
  auto phases = [&el](uint8_t c1, uint8_t d, Fam fam, Quantity q) {
    // L1/L2/L3 registers are 20 apart: 21/41/61, 32/52/72, ...
    for (int i = 0; i < 3; ++i)
      el(static_cast<uint8_t>(c1 + 20 * i), d, 0, {fam, q, "phase", kPhases[i]});
  };
  el(1, 8, 0, {Fam::kImportedTotal, Quantity::kEnergy, nullptr, nullptr, Special::kImportedTotal});
  el(2, 8, 0, {Fam::kExportedTotal, Quantity::kEnergy, nullptr, nullptr, Special::kExportedTotal});
  for (uint8_t t = 1; t <= 9; ++t) {
    el(1, 8, t,
       {Fam::kImportedTariff, Quantity::kEnergy, "tariff", kDigits[t], Special::kImportedTariff});
    el(2, 8, t,
       {Fam::kExportedTariff, Quantity::kEnergy, "tariff", kDigits[t], Special::kExportedTariff});
    el(3, 8, t, {Fam::kReactiveImportedTariff, Quantity::kReactiveEnergy, "tariff", kDigits[t]});
    el(4, 8, t, {Fam::kReactiveExportedTariff, Quantity::kReactiveEnergy, "tariff", kDigits[t]});
  }
  el(15, 8, 0, {Fam::kAbsoluteTotal, Quantity::kEnergy});
  el(1, 7, 0, {Fam::kPowerImported, Quantity::kPower});
  el(2, 7, 0, {Fam::kPowerExported, Quantity::kPower});
  phases(21, 7, Fam::kPhasePowerImported, Quantity::kPower);
  phases(22, 7, Fam::kPhasePowerExported, Quantity::kPower);
  phases(32, 7, Fam::kPhaseVoltage, Quantity::kVoltage);
  phases(31, 7, Fam::kPhaseCurrent, Quantity::kCurrent);
  phases(32, 32, Fam::kVoltageSags, Quantity::kPlain);
  phases(32, 36, Fam::kVoltageSwells, Quantity::kPlain);
  el(1, 4, 0, {Fam::kDemandCurrentAverage, Quantity::kPower});
  el(1, 6, 0, {Fam::kDemandMonthPeak, Quantity::kPower, nullptr, nullptr, Special::kPeakDemand});
  phases(31, 4, Fam::kPhaseCurrentLimit, Quantity::kCurrent);
  el(3, 8, 0, {Fam::kReactiveImportedTotal, Quantity::kReactiveEnergy});
  el(4, 8, 0, {Fam::kReactiveExportedTotal, Quantity::kReactiveEnergy});
  el(3, 7, 0, {Fam::kReactivePowerImported, Quantity::kReactivePower});
  el(4, 7, 0, {Fam::kReactivePowerExported, Quantity::kReactivePower});
  for (uint8_t q = 1; q <= 4; ++q) {
    el(static_cast<uint8_t>(4 + q), 8, 0,
       {Fam::kReactiveQuadrantTotal, Quantity::kReactiveEnergy, "quadrant", kDigits[q]});
    el(static_cast<uint8_t>(4 + q), 7, 0,
       {Fam::kReactivePowerQuadrant, Quantity::kReactivePower, "quadrant", kDigits[q]});
  }
  phases(23, 7, Fam::kPhaseReactivePowerImported, Quantity::kReactivePower);
  phases(24, 7, Fam::kPhaseReactivePowerExported, Quantity::kReactivePower);
  el(13, 7, 0, {Fam::kPowerFactor, Quantity::kPlain});
  phases(33, 7, Fam::kPhasePowerFactor, Quantity::kPlain);
  el(14, 7, 0, {Fam::kFrequency, Quantity::kFrequency});
  m.emplace(Key(0, 0, 96, 14, 0), Rule{Fam::kActiveTariff, Quantity::kPlain});
  m.emplace(Key(0, 0, 96, 7, 21), Rule{Fam::kPowerFailures, Quantity::kPlain});
  m.emplace(Key(0, 0, 96, 7, 9), Rule{Fam::kLongPowerFailures, Quantity::kPlain});
  m.emplace(Key(0, 0, 17, 0, 0), Rule{Fam::kLimiterThreshold, Quantity::kPower});
  m.emplace(Key(0, 0, 96, 3, 10), Rule{Fam::kBreakerState, Quantity::kPlain});
  return m;
}

const RuleMap& Rules() {
  static const RuleMap rules = BuildRules();
  return rules;
}

// Value of a numeric register. Tariff indicators and states are sometimes
// parsed as text ("0002"): integers are taken from the text then.
std::optional<double> NumericValue(const CosemObject& o, Quantity q) {
  if (o.kind == ValueKind::kNumber) return ToBaseUnit(o.number, o.number_text, o.unit, q);
  if (o.kind == ValueKind::kText && q == Quantity::kPlain && !o.text.empty()) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(o.text.data(), o.text.data() + o.text.size(), v);
    if (ec == std::errc() && end == o.text.data() + o.text.size()) return static_cast<double>(v);
  }
  return std::nullopt;
}

std::string_view RawText(const CosemObject* o) {
  if (o == nullptr) return {};
  if (o->kind == ValueKind::kNumber) return o->number_text;
  if (o->kind == ValueKind::kText || o->kind == ValueKind::kRaw) return o->text;
  return {};
}

const CosemObject* FindFirst(const Reading& r, Obis a, Obis b) {
  const CosemObject* o = r.Find(a);
  return (o != nullptr && !RawText(o).empty()) ? o : r.Find(b);
}

struct Sum {
  bool direct_seen = false;
  double direct = 0;
  bool parts_seen = false;
  double parts = 0;

  void Emit(Fam fam, const Labels& base, FamilySet* out) const {
    if (direct_seen) {
      out->Add(fam, base, {}, direct);
    } else if (parts_seen) {
      out->Add(fam, base, {}, parts);
    }
  }
};

void AppendMbus(const Reading& r, const Labels& base, FamilySet* out) {
  std::bitset<256> seen;
  for (const MbusDevice& dev : r.mbus) {
    if (seen[dev.channel]) continue;
    seen[dev.channel] = true;
    Label channel{"channel", kDigits[dev.channel % 10]};
    if (dev.channel >= 10) channel.value = std::to_string(dev.channel);
    out->Add(Fam::kMbusDeviceInfo, base,
             {channel,
              {"device_type", dev.device_type < 0 ? "" : std::to_string(dev.device_type)},
              {"equipment_id", MeterText(dev.equipment_id, true)}},
             1);
    // A disconnected device reports a bare 0 with an impossible capture
    // time (Iskra AM550: "(700101010000W)(00000000)"): that is no reading.
    if (!dev.has_value || (dev.unit.empty() && !dev.timestamp.valid)) continue;

    Fam fam;
    Quantity q;
    switch (dev.device_type) {
      case 3:
        fam = Fam::kGas, q = Quantity::kVolume;
        break;
      case 6:
      case 7:
      case 21:
      case 22:
        fam = Fam::kWater, q = Quantity::kVolume;
        break;
      case 4:
      case 12:
        fam = Fam::kHeat, q = Quantity::kEnergy;
        break;
      case 10:
      case 11:
        fam = Fam::kCooling, q = Quantity::kEnergy;
        break;
      case -1:
        fam = Fam::kGas, q = Quantity::kVolume;
        break;  // DSMR 2.2 often omits 24.1.0; m3 means gas
      default:
        continue;
    }
    const CosemObject* o = r.Find(dev.value_obis);
    std::string_view text =
        (o != nullptr && o->kind == ValueKind::kNumber && o->number == dev.value)
            ? o->number_text
            : std::string_view();
    std::optional<double> v = ToBaseUnit(dev.value, text, dev.unit, q);
    if (!v) continue;
    out->Add(fam, base, {channel}, *v);
    if (dev.timestamp.valid) {
      out->Add(Fam::kMbusReadingTimestamp, base, {channel},
               static_cast<double>(dev.timestamp.unix_seconds));
    }
  }
}

}  // namespace

std::string MeterText(std::string_view raw, bool try_hex) {
  if (try_hex && !raw.empty() && raw.size() % 2 == 0) {
    std::string decoded;
    decoded.reserve(raw.size() / 2);
    for (size_t i = 0; i < raw.size(); i += 2) {
      int hi = HexDigit(raw[i]), lo = HexDigit(raw[i + 1]);
      if (hi < 0 || lo < 0) break;
      char c = static_cast<char>(hi * 16 + lo);
      if (c < 0x20 || c > 0x7e) break;
      decoded.push_back(c);
    }
    if (decoded.size() == raw.size() / 2) return decoded;
  }
  std::string out(raw);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

void AppendReadingMetrics(const Reading& r, const Labels& base, FamilySet* out) {
  const RuleMap& rules = Rules();
  std::unordered_map<uint64_t, bool> seen_codes;
  seen_codes.reserve(r.objects.size());
  Sum imported, exported;

  for (const CosemObject& o : r.objects) {
    auto it = rules.find(o.obis.Key());
    if (it == rules.end()) continue;
    if (!seen_codes.emplace(o.obis.Key(), true).second) continue;
    const Rule& rule = it->second;
    std::optional<double> v = NumericValue(o, rule.quantity);
    if (!v) continue;
    switch (rule.special) {
      case Special::kImportedTotal:
        imported.direct_seen = true, imported.direct = *v;
        continue;
      case Special::kExportedTotal:
        exported.direct_seen = true, exported.direct = *v;
        continue;
      case Special::kImportedTariff:
        imported.parts_seen = true, imported.parts += *v;
        break;
      case Special::kExportedTariff:
        exported.parts_seen = true, exported.parts += *v;
        break;
      case Special::kPeakDemand:
        if (o.has_timestamp && o.timestamp.valid) {
          out->Add(Fam::kDemandMonthPeakTimestamp, base, {},
                   static_cast<double>(o.timestamp.unix_seconds));
        }
        break;
      case Special::kNone:
        break;
    }
    if (rule.label_name != nullptr) {
      out->Add(rule.fam, base, {{rule.label_name, rule.label_value}}, *v);
    } else {
      out->Add(rule.fam, base, {}, *v);
    }
  }
  imported.Emit(Fam::kImportedTotal, base, out);
  exported.Emit(Fam::kExportedTotal, base, out);

  const CosemObject* id = FindFirst(r, Obis{0, 0, 96, 1, 1}, Obis{0, 0, 96, 1, 0});
  const CosemObject* version = FindFirst(r, Obis{1, 3, 0, 2, 8}, Obis{0, 0, 96, 1, 4});
  out->Add(Fam::kMeterInfo, base,
           {{"equipment_id", MeterText(RawText(id), true)},
            {"dsmr_version", MeterText(RawText(version), false)},
            {"header", MeterText(r.header, false)}},
           1);

  const CosemObject* clock = r.Find(Obis{0, 0, 1, 0, 0});
  if (clock != nullptr && clock->kind == ValueKind::kTimestamp && clock->timestamp.valid) {
    out->Add(Fam::kMeterClockTimestamp, base, {},
             static_cast<double>(clock->timestamp.unix_seconds));
  }
  AppendMbus(r, base, out);
}

}  // namespace p1
