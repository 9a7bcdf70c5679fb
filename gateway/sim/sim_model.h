// The physical model behind a simulated meter: household load, solar, grid
// voltage, gas/water flow, and the registers a meter derives from them.
// Pure and deterministic: the caller passes wall time in Advance(); the same
// seed and the same call times give the same states. Used by Simulator.
#ifndef P1GW_GATEWAY_SIM_SIM_MODEL_H_
#define P1GW_GATEWAY_SIM_SIM_MODEL_H_

#include <cstdint>
#include <vector>

#include "gateway/sim/sim_clock.h"

namespace p1 {

// splitmix64: tiny, portable (unlike std:: distributions), good enough here.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  double Uniform();  // [0, 1)
  double Uniform(double lo, double hi);
  double Gaussian();        // N(0, 1), Box-Muller
  int Int(int lo, int hi);  // inclusive

 private:
  uint64_t state_;
};

enum class TariffScheme : uint8_t {
  kNetherlands,  // 1 = low (23:00-07:00 and weekends), 2 = normal
  kBelgium,      // 1 = day (07:00-22:00 on weekdays), 2 = night/weekend
};

struct ModelOptions {
  TariffScheme tariffs = TariffScheme::kNetherlands;
  bool solar = false;            // rooftop PV: export in daytime
  int64_t gas_interval_s = 0;    // capture interval of the gas meter; 0 = none
  int64_t water_interval_s = 0;  // capture interval of the water meter; 0 = none
  bool capacity_tariff = false;  // Belgian 1.4.0 / 1.6.0 / 98.1.0 bookkeeping
};

struct MbusReading {
  double m3 = 0;          // value captured at capture_s
  int64_t capture_s = 0;  // end of the capture interval
};

// One closed month of the Belgian capacity tariff (0-0:98.1.0 entry).
struct MonthPeak {
  int64_t period_s = 0;  // local midnight on the 1st of the month after the peak's month
  int64_t peak_s = 0;    // end of the peak quarter-hour
  double w = 0;
};

struct PowerFailure {
  int64_t end_s = 0;
  int64_t duration_s = 0;
};

// Everything a telegram prints. Powers in W, energies in Wh / varh.
struct MeterState {
  int64_t unix_s = 0;
  LocalTime local;
  int tariff = 1;                             // 1 or 2, scheme-dependent meaning
  double import_w[3] = {}, export_w[3] = {};  // per phase, both >= 0
  double import_total_w = 0, export_total_w = 0;
  double q_import_var[3] = {}, q_export_var[3] = {};
  double q_import_total_var = 0, q_export_total_var = 0;
  double voltage_v[3] = {}, current_a[3] = {};
  double import_wh[2] = {}, export_wh[2] = {};  // by tariff 1, 2
  double q_import_varh[2] = {}, q_export_varh[2] = {};
  MbusReading gas, water;
  double demand_avg_w = 0;  // running average of the current quarter-hour
  double month_peak_w = 0;
  int64_t month_peak_s = 0;
  std::vector<MonthPeak> history;  // most recent first, at most 13
  uint32_t power_failures = 0, long_power_failures = 0;
  uint32_t sags[3] = {}, swells[3] = {};
  std::vector<PowerFailure> failure_log;  // most recent first

  double ImportWh() const { return import_wh[0] + import_wh[1]; }
  double ExportWh() const { return export_wh[0] + export_wh[1]; }
};

class Model {
 public:
  Model(const ModelOptions& options, uint64_t seed);

  // Moves the model to `unix_ms`: integrates the previous powers over the
  // elapsed time (piecewise at 5-minute boundaries, where gas/water captures
  // and quarter-hour demand happen), then draws new instantaneous values.
  // A time not later than the previous one integrates nothing.
  void Advance(int64_t unix_ms);
  const MeterState& state() const { return s_; }

 private:
  void Start(int64_t unix_ms);
  void Integrate(int64_t from_ms, int64_t to_ms);
  void OnBoundary(int64_t at_ms);
  void CloseQuarter(int64_t end_s);
  void UpdateInstant(int64_t unix_ms, double dt_s);
  int TariffAt(int64_t unix_s) const;
  double SolarW(const LocalTime& t) const;
  double Ou(double x, double mean, double tau_s, double sigma, double dt_s);

  ModelOptions options_;
  Rng rng_;
  MeterState s_;
  bool started_ = false;
  int64_t last_ms_ = 0;
  // Load process per phase.
  double load_ou_[3] = {};
  double appliance_w_[3] = {};
  int64_t appliance_end_ms_[3] = {};
  double phase_weight_[3] = {};
  double voltage_offset_[3] = {};
  double grid_ou_ = 0, cloud_ = 0.7, pf_ou_ = 0.2, gas_ou_ = 1, water_ou_ = 1;
  double solar_peak_w_ = 0;
  // Continuous meter values between captures.
  double gas_m3_ = 0, water_m3_ = 0, gas_rate_m3h_ = 0, water_rate_m3h_ = 0;
  double quarter_wh_ = 0;
  int64_t quarter_from_ms_ = 0;  // start of the part of the current quarter-hour integrated so far
  int peak_month_ = 0;           // year * 12 + month - 1 of the month the peak belongs to
};

}  // namespace p1

#endif  // P1GW_GATEWAY_SIM_SIM_MODEL_H_
