#include "gateway/sim/sim_format.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <initializer_list>

#include "gateway/base/hex.h"
#include "gateway/core/cosem.h"
#include "gateway/core/crc16.h"
#include "gateway/sim/sim_dlms.h"

namespace p1 {
namespace {

constexpr int64_t kS = 1000;

// Intervals: DSMR 5 / e-MUCS send every second, older and LU/SE meters every
// 10 s; gas is captured hourly up to DSMR 4 and every 5 minutes from DSMR 5.
const VariantInfo kVariants[] = {
    {Variant::kDsmr2, "dsmr2", 10 * kS, false, {TariffScheme::kNetherlands, false, 3600, 0, false}},
    {Variant::kDsmr3, "dsmr3", 10 * kS, false, {TariffScheme::kNetherlands, false, 3600, 0, false}},
    {Variant::kDsmr4, "dsmr4", 10 * kS, false, {TariffScheme::kNetherlands, false, 3600, 0, false}},
    {Variant::kDsmr5, "dsmr5", 1 * kS, false, {TariffScheme::kNetherlands, true, 300, 0, false}},
    {Variant::kBe, "be", 1 * kS, false, {TariffScheme::kBelgium, true, 300, 300, true}},
    {Variant::kLu, "lu", 10 * kS, true, {TariffScheme::kNetherlands, false, 0, 0, false}},
    {Variant::kSe, "se", 10 * kS, false, {TariffScheme::kNetherlands, false, 0, 0, false}},
    {Variant::kQ3d, "q3d", 2 * kS, false, {TariffScheme::kNetherlands, false, 0, 0, false}},
    {Variant::kAt, "at", 5 * kS, true, {TariffScheme::kNetherlands, false, 0, 0, false}},
    {Variant::kAtMbus, "at-mbus", 5 * kS, true, {TariffScheme::kNetherlands, false, 0, 0, false}},
    {Variant::kIe, "ie", 10 * kS, false, {TariffScheme::kNetherlands, false, 0, 0, false}},
};

// Fixed-point text, zero-padded to `int_digits` before the point. Registers
// are truncated (a meter never shows energy it has not counted yet, and
// truncation keeps the printed value monotonic); instantaneous values round.
std::string Fixed(double v, int int_digits, int decimals, bool truncate) {
  double scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  double scaled = v * scale;
  scaled = truncate ? std::floor(scaled) : std::round(scaled);
  if (!(scaled > 0)) scaled = 0;  // also catches NaN
  const auto units = static_cast<long long>(scaled);
  const auto unit = static_cast<long long>(scale);
  char buf[48];
  int n = decimals > 0 ? std::snprintf(buf, sizeof buf, "%0*lld.%0*lld", int_digits, units / unit,
                                       decimals, units % unit)
                       : std::snprintf(buf, sizeof buf, "%0*lld", int_digits, units);
  return std::string(buf, static_cast<size_t>(n));
}
std::string Reg(double v, int i, int d) { return Fixed(v, i, d, true); }
std::string Num(double v, int i, int d) { return Fixed(v, i, d, false); }

std::string Count(uint64_t v, int digits) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%0*" PRIu64, digits, v);
  return std::string(buf, static_cast<size_t>(n));
}

std::string Hex(std::string_view ascii) { return ToHex(ascii, /*upper=*/true); }

std::string Digits(Rng* rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('0' + rng->Int(0, 9));
  return s;
}

class Writer {
 public:
  explicit Writer(std::string_view header) {
    out_.reserve(1600);
    out_ += header;
    out_ += "\r\n\r\n";
  }
  // obis(part1)(part2)...
  void Obj(std::string_view obis, std::initializer_list<std::string_view> parts) {
    out_ += obis;
    for (std::string_view p : parts) {
      out_ += '(';
      out_ += p;
      out_ += ')';
    }
    out_ += "\r\n";
  }
  void Val(std::string_view obis, std::string_view v) { Obj(obis, {v}); }
  void Val(std::string_view obis, const std::string& v, std::string_view unit) {
    Obj(obis, {v + "*" + std::string(unit)});
  }
  void Raw(std::string_view s) { out_ += s; }
  std::string& out() { return out_; }
  // Ends with "!" and the CRC over '/'..'!' inclusive, or a bare "!".
  std::string Finish(bool crc) {
    out_ += '!';
    if (crc) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%04X", Crc16(out_));
      out_ += buf;
    }
    out_ += "\r\n";
    return std::move(out_);
  }

 private:
  std::string out_;
};

std::string Kwh(double wh, int int_digits = 6) { return Reg(wh / 1000, int_digits, 3) + "*kWh"; }
std::string Kw(double w, int int_digits = 2) { return Num(w / 1000, int_digits, 3) + "*kW"; }
std::string Tariff(int t) { return Count(static_cast<uint64_t>(t), 4); }
const char* const kPhasePower[2][3] = {{"1-0:21.7.0", "1-0:41.7.0", "1-0:61.7.0"},
                                       {"1-0:22.7.0", "1-0:42.7.0", "1-0:62.7.0"}};
const char* const kVoltage[3] = {"1-0:32.7.0", "1-0:52.7.0", "1-0:72.7.0"};
const char* const kCurrent[3] = {"1-0:31.7.0", "1-0:51.7.0", "1-0:71.7.0"};

void Registers(Writer& w, const MeterState& s) {
  w.Val("1-0:1.8.1", Kwh(s.import_wh[0]));
  w.Val("1-0:1.8.2", Kwh(s.import_wh[1]));
  w.Val("1-0:2.8.1", Kwh(s.export_wh[0]));
  w.Val("1-0:2.8.2", Kwh(s.export_wh[1]));
}

// L1..L3 import, then L1..L3 export (Iskra, Sagemcom order).
void PhasePowers(Writer& w, const MeterState& s) {
  for (int d = 0; d < 2; ++d) {
    for (int p = 0; p < 3; ++p)
      w.Val(kPhasePower[d][p], Kw(d == 0 ? s.import_w[p] : s.export_w[p]));
  }
}

void FailuresAndQuality(Writer& w, const MeterState& s) {
  w.Val("0-0:96.7.21", Count(s.power_failures, 5));
  w.Val("0-0:96.7.9", Count(s.long_power_failures, 5));
  std::string log = "1-0:99.97.0(" + std::to_string(s.failure_log.size()) + ")(0-0:96.7.19)";
  for (const PowerFailure& f : s.failure_log) {
    log += "(" + DsmrTimestamp(f.end_s) + ")(" + Count(static_cast<uint64_t>(f.duration_s), 10) +
           "*s)";
  }
  w.Raw(log + "\r\n");
  const char* const sags[3] = {"1-0:32.32.0", "1-0:52.32.0", "1-0:72.32.0"};
  const char* const swells[3] = {"1-0:32.36.0", "1-0:52.36.0", "1-0:72.36.0"};
  for (int p = 0; p < 3; ++p) w.Val(sags[p], Count(s.sags[p], 5));
  for (int p = 0; p < 3; ++p) w.Val(swells[p], Count(s.swells[p], 5));
}

// DSMR 2.2 / 3.0 (Iskra MT382): no timestamp, no CRC, two-line hourly gas record.
std::string Dsmr23(const MeterState& s, const Identity& id, bool v3) {
  Writer w(v3 ? "/ISk5\\2MT382-1000" : "/ISk5\\2MT382-1004");
  w.Val("0-0:96.1.1", Hex(id.equipment_id));
  w.Val("1-0:1.8.1", Kwh(s.import_wh[0], 5));
  w.Val("1-0:1.8.2", Kwh(s.import_wh[1], 5));
  w.Val("1-0:2.8.1", Kwh(s.export_wh[0], 5));
  w.Val("1-0:2.8.2", Kwh(s.export_wh[1], 5));
  w.Val("0-0:96.14.0", Tariff(s.tariff));
  const int kw_digits = v3 ? 3 : 4;
  w.Val("1-0:1.7.0", Num(s.import_total_w / 1000, kw_digits, 2), "kW");
  w.Val("1-0:2.7.0", Num(s.export_total_w / 1000, kw_digits, 2), "kW");
  w.Val("0-0:17.0.0", v3 ? "016*A" : "0999.00*kW");
  w.Val("0-0:96.3.10", "1");
  w.Val("0-0:96.13.1", "");
  w.Val("0-0:96.13.0", "");
  if (v3) {
    w.Val("0-1:96.1.0", Hex(id.gas_id));
    w.Val("0-1:24.1.0", "03");
  } else {
    w.Val("0-1:24.1.0", "3");
    w.Val("0-1:96.1.0", Hex(id.gas_id));
  }
  w.Obj("0-1:24.3.0", {DsmrTimestamp(s.gas.capture_s, false), "00", "60", "1", "0-1:24.2.1", "m3"});
  w.Raw("(" + Reg(s.gas.m3, 5, 3) + ")\r\n");
  w.Val("0-1:24.4.0", "1");
  return w.Finish(false);
}

// The part DSMR 4.x and 5.0 meters share: version, time, id, registers, power, events.
void DutchHead(Writer& w, const MeterState& s, const Identity& id, const char* version) {
  w.Val("1-3:0.2.8", version);
  w.Val("0-0:1.0.0", DsmrTimestamp(s.local));
  w.Val("0-0:96.1.1", Hex(id.equipment_id));
  Registers(w, s);
  w.Val("0-0:96.14.0", Tariff(s.tariff));
  w.Val("1-0:1.7.0", Kw(s.import_total_w));
  w.Val("1-0:2.7.0", Kw(s.export_total_w));
  FailuresAndQuality(w, s);
}

void DutchGas(Writer& w, const MeterState& s, const Identity& id) {
  w.Val("0-1:24.1.0", "003");
  w.Val("0-1:96.1.0", Hex(id.gas_id));
  w.Obj("0-1:24.2.1", {DsmrTimestamp(s.gas.capture_s), Reg(s.gas.m3, 5, 3) + "*m3"});
}

// DSMR 4.2 (Kaifa E0025): hourly gas, integer currents, no voltages.
std::string Dsmr4(const MeterState& s, const Identity& id) {
  Writer w("/KFM5KAIFA-METER");
  DutchHead(w, s, id, "42");
  w.Val("0-0:96.13.1", "");
  w.Val("0-0:96.13.0", "");
  for (int p = 0; p < 3; ++p) w.Val(kCurrent[p], Reg(s.current_a[p], 3, 0), "A");
  for (int p = 0; p < 3; ++p) {
    w.Val(kPhasePower[0][p], Kw(s.import_w[p]));
    w.Val(kPhasePower[1][p], Kw(s.export_w[p]));
  }
  DutchGas(w, s, id);
  return w.Finish(true);
}

// DSMR 5.0 (Iskra AM550): voltages, 5-minute gas.
std::string Dsmr5(const MeterState& s, const Identity& id) {
  Writer w("/ISK5\\2M550T-1012");
  DutchHead(w, s, id, "50");
  w.Val("0-0:96.13.0", "");
  for (int p = 0; p < 3; ++p) w.Val(kVoltage[p], Num(s.voltage_v[p], 3, 1), "V");
  for (int p = 0; p < 3; ++p) w.Val(kCurrent[p], Reg(s.current_a[p], 3, 0), "A");
  PhasePowers(w, s);
  DutchGas(w, s, id);
  return w.Finish(true);
}

// Fluvius e-MUCS (Sagemcom S211): capacity tariff, gas on 24.2.3, water on channel 2.
std::string Belgium(const MeterState& s, const Identity& id) {
  Writer w("/FLU5\\253769484_A");
  w.Val("0-0:96.1.4", "50217");
  w.Val("0-0:96.1.1", Hex(id.equipment_id));
  w.Val("0-0:1.0.0", DsmrTimestamp(s.local));
  Registers(w, s);
  w.Val("1-0:1.4.0", Kw(s.demand_avg_w));
  w.Obj("1-0:1.6.0", {DsmrTimestamp(s.month_peak_s), Kw(s.month_peak_w)});
  std::string hist = "0-0:98.1.0(" + std::to_string(s.history.size()) + ")(1-0:1.6.0)(1-0:1.6.0)";
  for (const MonthPeak& m : s.history) {
    hist += "(" + DsmrTimestamp(m.period_s) + ")(" + DsmrTimestamp(m.peak_s) + ")(" + Kw(m.w) + ")";
  }
  w.Raw(hist + "\r\n");
  w.Val("0-0:96.14.0", Tariff(s.tariff));
  w.Val("1-0:1.7.0", Kw(s.import_total_w));
  w.Val("1-0:2.7.0", Kw(s.export_total_w));
  PhasePowers(w, s);
  for (int p = 0; p < 3; ++p) w.Val(kVoltage[p], Num(s.voltage_v[p], 3, 1), "V");
  for (int p = 0; p < 3; ++p) w.Val(kCurrent[p], Num(s.current_a[p], 3, 2), "A");
  w.Val("0-0:96.3.10", "1");
  w.Val("0-0:17.0.0", "999.9*kW");
  w.Val("1-0:31.4.0", "999*A");
  w.Val("0-0:96.13.0", "");
  w.Val("0-1:24.1.0", "003");
  w.Val("0-1:96.1.1", Hex(id.gas_id));
  w.Val("0-1:24.4.0", "1");
  w.Obj("0-1:24.2.3", {DsmrTimestamp(s.gas.capture_s), Reg(s.gas.m3, 5, 3) + "*m3"});
  w.Val("0-2:24.1.0", "007");
  w.Val("0-2:96.1.1", Hex(id.water_id));
  w.Obj("0-2:24.2.1", {DsmrTimestamp(s.water.capture_s), Reg(s.water.m3, 5, 3) + "*m3"});
  return w.Finish(true);
}

double ApparentW(double p, double q) { return std::hypot(p, q); }

// Luxembourg Smarty (Sagemcom T210-D): totals, reactive per phase; usually encrypted.
std::string Luxembourg(const MeterState& s, const Identity& id) {
  Writer w("/Lux5\\253663653_B");
  w.Val("1-3:0.2.8", "42");
  w.Val("0-0:1.0.0", DsmrTimestamp(s.local));
  w.Val("0-0:42.0.0", Hex(id.equipment_id));
  w.Val("1-0:1.8.0", Kwh(s.ImportWh()));
  w.Val("1-0:2.8.0", Kwh(s.ExportWh()));
  w.Val("1-0:3.8.0", Reg((s.q_import_varh[0] + s.q_import_varh[1]) / 1000, 6, 3), "kvarh");
  w.Val("1-0:4.8.0", Reg((s.q_export_varh[0] + s.q_export_varh[1]) / 1000, 6, 3), "kvarh");
  w.Val("1-0:1.7.0", Kw(s.import_total_w));
  w.Val("1-0:2.7.0", Kw(s.export_total_w));
  w.Val("1-0:3.7.0", Num(s.q_import_total_var / 1000, 2, 3), "kvar");
  w.Val("1-0:4.7.0", Num(s.q_export_total_var / 1000, 2, 3), "kvar");
  w.Val("0-0:17.0.0", "069.0*kVA");
  const double s_total =
      ApparentW(s.import_total_w + s.export_total_w, s.q_import_total_var + s.q_export_total_var);
  w.Val("1-0:9.7.0", Num(s.import_total_w > 0 ? s_total / 1000 : 0, 2, 3), "kVA");
  w.Val("1-0:10.7.0", Num(s.export_total_w > 0 ? s_total / 1000 : 0, 2, 3), "kVA");
  w.Val("0-0:96.3.10", "1");
  w.Val("0-0:96.7.21", Count(s.power_failures, 5));
  const char* const qual[6] = {"1-0:32.32.0", "1-0:52.32.0", "1-0:72.32.0",
                               "1-0:32.36.0", "1-0:52.36.0", "1-0:72.36.0"};
  for (int i = 0; i < 6; ++i) w.Val(qual[i], Count(i < 3 ? s.sags[i] : s.swells[i - 3], 5));
  for (const char* m :
       {"0-0:96.13.0", "0-0:96.13.2", "0-0:96.13.3", "0-0:96.13.4", "0-0:96.13.5"}) {
    w.Val(m, "");
  }
  // The T210-D prints whole volts with a ".0".
  for (int p = 0; p < 3; ++p) w.Val(kVoltage[p], Num(std::round(s.voltage_v[p]), 3, 1), "V");
  for (int p = 0; p < 3; ++p) w.Val(kCurrent[p], Reg(s.current_a[p], 3, 0), "A");
  PhasePowers(w, s);
  const char* const reactive[2][3] = {{"1-0:23.7.0", "1-0:43.7.0", "1-0:63.7.0"},
                                      {"1-0:24.7.0", "1-0:44.7.0", "1-0:64.7.0"}};
  for (int d = 0; d < 2; ++d) {
    for (int p = 0; p < 3; ++p) {
      w.Val(reactive[d][p], Num((d == 0 ? s.q_import_var[p] : s.q_export_var[p]) / 1000, 2, 3),
            "kvar");
    }
  }
  return w.Finish(true);
}

// Sweden HAN (Aidon 6534): totals only, reactive per phase, decimal currents.
std::string Sweden(const MeterState& s) {
  Writer w("/ADN9 6534");
  w.Val("0-0:1.0.0", DsmrTimestamp(s.local));
  w.Val("1-0:1.8.0", Kwh(s.ImportWh(), 8));
  w.Val("1-0:2.8.0", Kwh(s.ExportWh(), 8));
  w.Val("1-0:3.8.0", Reg((s.q_import_varh[0] + s.q_import_varh[1]) / 1000, 8, 3), "kVArh");
  w.Val("1-0:4.8.0", Reg((s.q_export_varh[0] + s.q_export_varh[1]) / 1000, 8, 3), "kVArh");
  w.Val("1-0:1.7.0", Kw(s.import_total_w, 4));
  w.Val("1-0:2.7.0", Kw(s.export_total_w, 4));
  w.Val("1-0:3.7.0", Num(s.q_import_total_var / 1000, 4, 3), "kVAr");
  w.Val("1-0:4.7.0", Num(s.q_export_total_var / 1000, 4, 3), "kVAr");
  for (int p = 0; p < 3; ++p) {
    w.Val(kPhasePower[0][p], Kw(s.import_w[p], 4));
    w.Val(kPhasePower[1][p], Kw(s.export_w[p], 4));
  }
  const char* const reactive[3][2] = {
      {"1-0:23.7.0", "1-0:24.7.0"}, {"1-0:43.7.0", "1-0:44.7.0"}, {"1-0:63.7.0", "1-0:64.7.0"}};
  for (int p = 0; p < 3; ++p) {
    w.Val(reactive[p][0], Num(s.q_import_var[p] / 1000, 4, 3), "kVAr");
    w.Val(reactive[p][1], Num(s.q_export_var[p] / 1000, 4, 3), "kVAr");
  }
  for (int p = 0; p < 3; ++p) w.Val(kVoltage[p], Num(s.voltage_v[p], 3, 1), "V");
  for (int p = 0; p < 3; ++p) w.Val(kCurrent[p], Num(s.current_a[p], 3, 1), "A");
  return w.Finish(true);
}

// Iskra IE.x (Ireland): DSMR-style lines, its clock on Irish time (GMT/IST).
std::string Ireland(const MeterState& s, const Identity& id) {
  Writer w("/ISk5MIE5T-200");
  w.Val("1-0:0.0.0", "00000000");
  w.Val("0-0:96.1.0", id.equipment_id.substr(0, 5));
  w.Val("0-0:1.0.0", DsmrTimestamp(ToLocalAt(s.unix_s, 0)));
  Registers(w, s);
  w.Val("0-0:96.14.0", Tariff(s.tariff));
  w.Val("1-0:1.7.0", Kw(s.import_total_w));
  w.Val("1-0:2.7.0", Kw(s.export_total_w));
  PhasePowers(w, s);
  for (int p = 0; p < 3; ++p) w.Val(kVoltage[p], Num(s.voltage_v[p], 3, 1), "V");
  for (int p = 0; p < 3; ++p) w.Val(kCurrent[p], Count(static_cast<uint64_t>(s.current_a[p]), 3), "A");
  w.Val("0-0:96.3.10", "1");
  w.Val("0-0:96.13.0", "");
  return w.Finish(true);
}

// EasyMeter Q3D behind a COM-1 gateway: *255 suffixes, W, no CRC, gateway line after '!'.
std::string Q3d(const MeterState& s, Identity* id) {
  Writer w("/ESY5Q3DB1024 V3.04");
  w.Val("1-0:0.0.0*255", id->equipment_id.substr(1));
  w.Val("1-0:1.8.0*255", Reg(s.ImportWh() / 1000, 8, 7), "kWh");
  w.Val("1-0:2.8.0*255", Reg(s.ExportWh() / 1000, 8, 7), "kWh");
  w.Val("1-0:21.7.0*255", Num(s.import_w[0], 6, 2), "W");
  w.Val("1-0:41.7.0*255", Num(s.import_w[1], 6, 2), "W");
  w.Val("1-0:61.7.0*255", Num(s.import_w[2], 6, 2), "W");
  w.Val("1-0:1.7.0*255", Num(s.import_total_w, 6, 2), "W");
  w.Val("1-0:96.5.5*255", "80");
  w.Val("0-0:96.1.255*255", "1ESY" + id->equipment_id.substr(id->equipment_id.size() - 10));
  std::string out = w.Finish(false);
  out += "  " + Count(id->gateway_counter++ % 100000000, 8) + "\r\n";
  return out;
}

// Austria (Sagemcom T210-D-r, Energienetze Steiermark): integer Wh/W/varh/var.
std::string Austria(const MeterState& s) {
  Writer w("/EST5\\253710000_A");
  w.Val("1-3:0.2.8", "50");
  w.Val("0-0:1.0.0", DsmrTimestamp(s.local));
  struct Group {
    const char* obis[4];
    const double* reg;
    double power;
    const char* unit;
  };
  const Group groups[4] = {
      {{"1-0:1.8.0", "1-0:1.8.1", "1-0:1.8.2", "1-0:1.7.0"}, s.import_wh, s.import_total_w, "W"},
      {{"1-0:2.8.0", "1-0:2.8.1", "1-0:2.8.2", "1-0:2.7.0"}, s.export_wh, s.export_total_w, "W"},
      {{"1-0:3.8.0", "1-0:3.8.1", "1-0:3.8.2", "1-0:3.7.0"},
       s.q_import_varh,
       s.q_import_total_var,
       "var"},
      {{"1-0:4.8.0", "1-0:4.8.1", "1-0:4.8.2", "1-0:4.7.0"},
       s.q_export_varh,
       s.q_export_total_var,
       "var"},
  };
  for (const Group& g : groups) {
    const std::string energy_unit = std::string(g.unit) + "h";
    w.Val(g.obis[0], Reg(g.reg[0] + g.reg[1], 9, 0), energy_unit);
    w.Val(g.obis[1], Reg(g.reg[0], 9, 0), energy_unit);
    w.Val(g.obis[2], Reg(g.reg[1], 9, 0), energy_unit);
    w.Val(g.obis[3], Num(g.power, 9, 0), g.unit);
  }
  return w.Finish(true);
}

}  // namespace

const VariantInfo* FindVariant(std::string_view name) {
  for (const VariantInfo& v : kVariants) {
    if (name == v.name) return &v;
  }
  return nullptr;
}

Identity MakeIdentity(Variant v, Rng* rng) {
  Identity id;
  switch (v) {
    case Variant::kBe:
      id.equipment_id = "1SAG" + Digits(rng, 10);
      id.gas_id = "7FLO" + Digits(rng, 10);
      id.water_id = "8SAG" + Digits(rng, 10);
      break;
    case Variant::kLu:
      id.equipment_id = "SAG" + Digits(rng, 13);
      break;
    case Variant::kQ3d:
      id.equipment_id = "1" + Digits(rng, 13);
      break;
    case Variant::kAtMbus:  // Kaifa: a 12-digit serial number
      id.equipment_id = "1" + Digits(rng, 11);
      break;
    default:  // NL style: E/G + 16 digits
      id.equipment_id = "E00" + Digits(rng, 14);
      id.gas_id = "G00" + Digits(rng, 14);
      break;
  }
  id.gateway_counter = static_cast<uint64_t>(rng->Int(1000000, 30000000));
  return id;
}

std::string FormatTelegram(Variant v, const MeterState& s, Identity* id) {
  switch (v) {
    case Variant::kDsmr2:
      return Dsmr23(s, *id, false);
    case Variant::kDsmr3:
      return Dsmr23(s, *id, true);
    case Variant::kDsmr4:
      return Dsmr4(s, *id);
    case Variant::kDsmr5:
      return Dsmr5(s, *id);
    case Variant::kBe:
      return Belgium(s, *id);
    case Variant::kLu:
      return Luxembourg(s, *id);
    case Variant::kSe:
      return Sweden(s);
    case Variant::kQ3d:
      return Q3d(s, id);
    case Variant::kAt:
      return Austria(s);
    case Variant::kAtMbus: {
      std::string text, err;
      DlmsNotificationToDsmr(FormatDlmsNotification(s, id->equipment_id, 0), "KFM", &text, &err);
      return text;
    }
    case Variant::kIe:
      return Ireland(s, *id);
  }
  return {};
}

}  // namespace p1
