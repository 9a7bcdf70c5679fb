#include "gateway/sim/sim_dlms.h"

#include <cmath>

namespace p1 {
namespace {

// A-XDR writer for the few types a Kaifa notification uses.
class Axdr {
 public:
  void Byte(uint8_t b) { out_ += static_cast<char>(b); }
  void Big(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) Byte(static_cast<uint8_t>(v >> (8 * i)));
  }
  void Octets(std::string_view s) {
    Byte(0x09);
    Byte(static_cast<uint8_t>(s.size()));
    out_ += s;
  }
  // COSEM date-time: deviation is minutes local time is behind UTC
  // (-60 in CET), status bit 0x80 during summer time.
  void DateTime(const LocalTime& t) { Octets(DateTimeBytes(t)); }
  static std::string DateTimeBytes(const LocalTime& t) {
    std::string b;
    auto put = [&](int v) { b += static_cast<char>(static_cast<uint8_t>(v)); };
    put(t.year >> 8);
    put(t.year & 0xFF);
    put(t.month);
    put(t.day);
    put(t.weekday == 0 ? 7 : t.weekday);  // 1 = Monday ... 7 = Sunday
    put(t.hour);
    put(t.minute);
    put(t.second);
    put(0x00);  // hundredths
    const int deviation = t.dst ? -120 : -60;
    put((deviation >> 8) & 0xFF);
    put(deviation & 0xFF);
    put(t.dst ? 0x80 : 0x00);
    return b;
  }
  // OBIS code, value (double-long-unsigned or long-unsigned) and {scaler, unit}.
  void Register(const uint8_t (&obis)[6], uint64_t value, bool wide, int scaler, uint8_t unit) {
    Octets(std::string_view(reinterpret_cast<const char*>(obis), 6));
    Byte(wide ? 0x06 : 0x12);
    Big(value, wide ? 4 : 2);
    Byte(0x02);
    Byte(0x02);
    Byte(0x0F);
    Byte(static_cast<uint8_t>(static_cast<int8_t>(scaler)));
    Byte(0x16);
    Byte(unit);
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

uint64_t Clamp(double v, double max) {
  if (!(v > 0)) return 0;  // also NaN
  return static_cast<uint64_t>(v < max ? v : max);
}

}  // namespace

std::string FormatDlmsNotification(const MeterState& s, std::string_view serial,
                                   uint32_t invoke_id) {
  constexpr uint8_t kWh = 30, kW = 27, kV = 35, kA = 33, kCount = 255;
  Axdr w;
  w.out().reserve(260);
  w.Byte(0x0F);
  w.Big(invoke_id, 4);
  w.Byte(0x0C);
  w.out() += Axdr::DateTimeBytes(s.local);
  w.Byte(0x02);  // structure of 35 elements: clock, 11 x 3 register fields, serial
  w.Byte(35);
  w.DateTime(s.local);
  const uint8_t imp[6] = {1, 0, 1, 8, 0, 255}, exp[6] = {1, 0, 2, 8, 0, 255};
  const uint8_t pimp[6] = {1, 0, 1, 7, 0, 255}, pexp[6] = {1, 0, 2, 7, 0, 255};
  const uint8_t volt[3][6] = {{1, 0, 32, 7, 0, 255}, {1, 0, 52, 7, 0, 255}, {1, 0, 72, 7, 0, 255}};
  const uint8_t amp[3][6] = {{1, 0, 31, 7, 0, 255}, {1, 0, 51, 7, 0, 255}, {1, 0, 71, 7, 0, 255}};
  const uint8_t pf[6] = {1, 0, 13, 7, 0, 255};
  // Registers truncate (a meter never shows energy it has not counted yet).
  w.Register(imp, Clamp(std::floor(s.ImportWh()), 4294967295.0), true, 0, kWh);
  w.Register(exp, Clamp(std::floor(s.export_wh[0] + s.export_wh[1]), 4294967295.0), true, 0, kWh);
  w.Register(pimp, Clamp(std::round(s.import_total_w), 4294967295.0), true, 0, kW);
  w.Register(pexp, Clamp(std::round(s.export_total_w), 4294967295.0), true, 0, kW);
  for (int p = 0; p < 3; ++p) {
    w.Register(volt[p], Clamp(std::round(s.voltage_v[p] * 10), 65535), false, -1, kV);
  }
  for (int p = 0; p < 3; ++p) {
    w.Register(amp[p], Clamp(std::round(s.current_a[p] * 100), 65535), false, -2, kA);
  }
  const double p_w = s.import_total_w + s.export_total_w;
  const double q_var = s.q_import_total_var + s.q_export_total_var;
  const double apparent = std::sqrt(p_w * p_w + q_var * q_var);
  const double factor = apparent > 0 ? p_w / apparent : 1.0;
  w.Register(pf, Clamp(std::round(factor * 1000), 1000), false, -3, kCount);
  w.Octets(serial);
  return std::move(w.out());
}

}  // namespace p1
