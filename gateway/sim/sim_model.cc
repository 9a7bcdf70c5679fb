#include "gateway/sim/sim_model.h"

#include <algorithm>
#include <cmath>

namespace p1 {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int64_t kStepMs = 5 * 60 * 1000;  // every capture/demand boundary is a multiple of this
// Bounds the work of one Advance() after a long pause (e.g. a laptop waking up).
constexpr int64_t kMaxGapMs = int64_t{400} * 86400 * 1000;
constexpr size_t kHistoryMonths = 13;

double Bump(double h, double centre, double width) {
  const double x = (h - centre) / width;
  return std::exp(-0.5 * x * x);
}

// Mean household consumption over the day, in W (about 9-12 kWh per day).
double HouseProfileW(double h, bool weekend) {
  return 150 + 450 * Bump(h, 7.5, 0.8) + (weekend ? 450 : 200) * Bump(h, 12.5, 2.0) +
         700 * Bump(h, 19.0, 1.8);
}

double Season(int day_of_year) { return std::sin(2 * kPi * (day_of_year - 80) / 365.25); }

int MonthKey(const LocalTime& t) { return t.year * 12 + t.month - 1; }

}  // namespace

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
double Rng::Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
int Rng::Int(int lo, int hi) {
  return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
}
double Rng::Gaussian() {
  const double u1 = 1.0 - Uniform();  // (0, 1]
  const double u2 = Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * kPi * u2);
}

Model::Model(const ModelOptions& options, uint64_t seed) : options_(options), rng_(seed) {}

double Model::Ou(double x, double mean, double tau_s, double sigma, double dt_s) {
  // Exact Ornstein-Uhlenbeck step, so the statistics do not depend on the call rate.
  if (dt_s <= 0) return x;
  const double a = std::exp(-dt_s / tau_s);
  return mean + (x - mean) * a + sigma * std::sqrt(1 - a * a) * rng_.Gaussian();
}

int Model::TariffAt(int64_t unix_s) const {
  const LocalTime t = ToLocal(unix_s);
  const bool weekend = t.weekday == 0 || t.weekday == 6;
  if (options_.tariffs == TariffScheme::kBelgium) {
    return (!weekend && t.hour >= 7 && t.hour < 22) ? 1 : 2;
  }
  return (weekend || t.hour < 7 || t.hour >= 23) ? 1 : 2;
}

double Model::SolarW(const LocalTime& t) const {
  if (!options_.solar) return 0;
  const double h = t.hour + t.minute / 60.0 + t.second / 3600.0;
  const double day_len = 12 + 4.3 * Season(t.day_of_year);
  const double noon = 12.67 + (t.dst ? 1 : 0);  // solar noon in the Benelux, local clock
  const double x = (h - (noon - day_len / 2)) / day_len;
  if (x <= 0 || x >= 1) return 0;
  const double strength = std::max(0.15, 0.45 + 0.55 * Season(t.day_of_year));
  return solar_peak_w_ * strength * std::pow(std::sin(kPi * x), 1.5);
}

void Model::Start(int64_t unix_ms) {
  const int64_t now_s = FloorDiv(unix_ms, 1000);
  const LocalTime now = ToLocal(now_s);
  for (int p = 0; p < 3; ++p) {
    phase_weight_[p] = rng_.Uniform(0.6, 1.4);
    voltage_offset_[p] = rng_.Uniform(-2.0, 2.0);
  }
  const double sum = phase_weight_[0] + phase_weight_[1] + phase_weight_[2];
  for (double& w : phase_weight_) w /= sum;
  solar_peak_w_ = options_.solar ? rng_.Uniform(3000, 5500) : 0;

  s_.import_wh[0] = rng_.Uniform(2e6, 12e6);
  s_.import_wh[1] = s_.import_wh[0] * rng_.Uniform(0.8, 1.3);
  for (double& e : s_.export_wh) e = options_.solar ? rng_.Uniform(8e5, 5e6) : rng_.Uniform(0, 3e4);
  for (double& e : s_.q_import_varh) e = rng_.Uniform(2e5, 3e6);
  for (double& e : s_.q_export_varh) e = rng_.Uniform(1e5, 2e6);
  gas_m3_ = rng_.Uniform(800, 6000);
  water_m3_ = rng_.Uniform(100, 900);
  if (options_.gas_interval_s > 0) {
    s_.gas = {gas_m3_, FloorDiv(now_s, options_.gas_interval_s) * options_.gas_interval_s};
  }
  if (options_.water_interval_s > 0) {
    s_.water = {water_m3_, FloorDiv(now_s, options_.water_interval_s) * options_.water_interval_s};
  }

  s_.power_failures = static_cast<uint32_t>(rng_.Int(2, 30));
  s_.long_power_failures =
      static_cast<uint32_t>(rng_.Int(1, static_cast<int>(s_.power_failures / 2)));
  for (int p = 0; p < 3; ++p) {
    s_.sags[p] = static_cast<uint32_t>(rng_.Int(0, 20));
    s_.swells[p] = static_cast<uint32_t>(rng_.Int(0, 5));
  }
  int64_t end = now_s;
  for (int i = 0; i < 2; ++i) {
    end -= static_cast<int64_t>(rng_.Uniform(20, 200) * 86400);
    s_.failure_log.push_back({end, static_cast<int64_t>(rng_.Uniform(180, 20000))});
  }

  if (options_.capacity_tariff) {
    // Thirteen closed months: the entry dated the 1st of month m holds month m-1's peak.
    for (int k = 0; k < static_cast<int>(kHistoryMonths); ++k) {
      const int key = MonthKey(now) - k;  // the month the period stamp opens
      const int peak_key = key - 1;       // the month the peak happened in
      const int py = peak_key / 12, pm = peak_key % 12 + 1;
      const double winter = 0.5 * (1 - Season(static_cast<int>(30.4 * (pm - 1) + 15)));
      MonthPeak mp;
      mp.period_s = FromLocal(key / 12, key % 12 + 1, 1, 0, 0, 0);
      mp.peak_s = FromLocal(py, pm, rng_.Int(1, 28), rng_.Int(7, 21), 15 * rng_.Int(0, 3), 0);
      mp.w = rng_.Uniform(2500, 4500) + 2000 * winter;
      s_.history.push_back(mp);
    }
    peak_month_ = MonthKey(now);
    const int64_t month_start = FromLocal(now.year, now.month, 1, 0, 0, 0);
    const int64_t quarters = (now_s - month_start) / 900;
    s_.month_peak_s = month_start;
    if (quarters > 0) {
      s_.month_peak_s =
          month_start + 900 * rng_.Int(1, static_cast<int>(std::min<int64_t>(quarters, 3000)));
      s_.month_peak_w = rng_.Uniform(1500, 4500);
    }
  }
  quarter_from_ms_ = unix_ms;
}

void Model::Advance(int64_t unix_ms) {
  if (!started_) {
    Start(unix_ms);
    started_ = true;
    last_ms_ = unix_ms;
    UpdateInstant(unix_ms, 0);
    return;
  }
  const int64_t to = std::max(unix_ms, last_ms_);
  int64_t from = std::max(last_ms_, to - kMaxGapMs);
  while (from < to) {
    const int64_t boundary = (FloorDiv(from, kStepMs) + 1) * kStepMs;
    const int64_t seg_end = std::min(to, boundary);
    Integrate(from, seg_end);
    if (seg_end == boundary) OnBoundary(boundary);
    from = seg_end;
  }
  const double dt_s = static_cast<double>(to - last_ms_) / 1000.0;
  last_ms_ = to;
  UpdateInstant(to, dt_s);
}

void Model::Integrate(int64_t from_ms, int64_t to_ms) {
  const double dt_h = static_cast<double>(to_ms - from_ms) / 3.6e6;
  const int t = TariffAt(FloorDiv(from_ms, 1000)) - 1;
  s_.import_wh[t] += s_.import_total_w * dt_h;
  s_.export_wh[t] += s_.export_total_w * dt_h;
  s_.q_import_varh[t] += s_.q_import_total_var * dt_h;
  s_.q_export_varh[t] += s_.q_export_total_var * dt_h;
  gas_m3_ += gas_rate_m3h_ * dt_h;
  water_m3_ += water_rate_m3h_ * dt_h;
  quarter_wh_ += s_.import_total_w * dt_h;
}

void Model::OnBoundary(int64_t at_ms) {
  const int64_t at_s = at_ms / 1000;
  if (options_.gas_interval_s > 0 && at_s % options_.gas_interval_s == 0) s_.gas = {gas_m3_, at_s};
  if (options_.water_interval_s > 0 && at_s % options_.water_interval_s == 0) {
    s_.water = {water_m3_, at_s};
  }
  if (options_.capacity_tariff && at_s % 900 == 0) CloseQuarter(at_s);
}

void Model::CloseQuarter(int64_t end_s) {
  // The first quarter may be partial (the simulation started inside it): average over what was
  // seen.
  const double avg_w = quarter_wh_ * 3.6e6 / static_cast<double>(end_s * 1000 - quarter_from_ms_);
  if (avg_w > s_.month_peak_w) {
    s_.month_peak_w = avg_w;
    s_.month_peak_s = end_s;
  }
  quarter_wh_ = 0;
  quarter_from_ms_ = end_s * 1000;
  const LocalTime t = ToLocal(end_s);
  if (MonthKey(t) != peak_month_) {
    // Month closed: its peak moves into the history, dated by the new month's first midnight.
    s_.history.insert(s_.history.begin(), MonthPeak{FromLocal(t.year, t.month, 1, 0, 0, 0),
                                                    s_.month_peak_s, s_.month_peak_w});
    if (s_.history.size() > kHistoryMonths) s_.history.resize(kHistoryMonths);
    s_.month_peak_w = 0;
    s_.month_peak_s = end_s;
    peak_month_ = MonthKey(t);
  }
}

void Model::UpdateInstant(int64_t unix_ms, double dt_s) {
  s_.unix_s = FloorDiv(unix_ms, 1000);
  s_.local = ToLocal(s_.unix_s);
  const LocalTime& lt = s_.local;
  const double h = lt.hour + lt.minute / 60.0 + lt.second / 3600.0;
  const bool weekend = lt.weekday == 0 || lt.weekday == 6;
  const double house_w = HouseProfileW(h, weekend);
  const bool awake = h >= 7 && h < 23;

  cloud_ = std::clamp(Ou(cloud_, 0.7, 900, 0.25, dt_s), 0.1, 1.0);
  pf_ou_ = std::clamp(Ou(pf_ou_, 0.25, 600, 0.05, dt_s), 0.05, 0.5);
  grid_ou_ = Ou(grid_ou_, 0, 900, 2.5, dt_s);
  const double solar_phase_w = SolarW(lt) * cloud_ / 3;

  double net_total = 0, q_total = 0;
  for (int p = 0; p < 3; ++p) {
    const double mean = house_w * phase_weight_[p];
    load_ou_[p] = Ou(load_ou_[p], 0, 120, 0.3 * mean, dt_s);
    if (appliance_end_ms_[p] <= unix_ms) appliance_w_[p] = 0;
    const double starts_per_hour = awake ? 1.0 : 0.15;
    if (appliance_w_[p] == 0 && dt_s > 0 &&
        rng_.Uniform() < 1 - std::exp(-dt_s * starts_per_hour / 3600)) {
      appliance_w_[p] = rng_.Uniform(400, 2200);
      appliance_end_ms_[p] = unix_ms + static_cast<int64_t>(rng_.Uniform(60, 600) * 1000);
    }
    const double load = std::max(30.0, mean + load_ou_[p] + appliance_w_[p] + 4 * rng_.Gaussian());
    const double net = load - solar_phase_w;
    const double q = load * pf_ou_ - solar_phase_w * 0.1;
    s_.import_w[p] = std::max(net, 0.0);
    s_.export_w[p] = std::max(-net, 0.0);
    s_.q_import_var[p] = std::max(q, 0.0);
    s_.q_export_var[p] = std::max(-q, 0.0);
    const double v = 230 + voltage_offset_[p] + grid_ou_ - 0.002 * s_.import_w[p] +
                     0.004 * s_.export_w[p] + 0.3 * rng_.Gaussian();
    s_.voltage_v[p] = std::clamp(v, 207.0, 253.0);
    s_.current_a[p] = std::hypot(net, q) / s_.voltage_v[p];
    net_total += net;
    q_total += q;
  }
  s_.import_total_w = std::max(net_total, 0.0);
  s_.export_total_w = std::max(-net_total, 0.0);
  s_.q_import_total_var = std::max(q_total, 0.0);
  s_.q_export_total_var = std::max(-q_total, 0.0);

  // Gas: heating follows the season and the daily rhythm, plus hot water.
  const double heating = std::max(0.0, std::cos(2 * kPi * (lt.day_of_year - 15) / 365.25));
  const double rhythm = h < 6 ? 0.25 : h < 9 ? 1.4 : h < 17 ? 0.8 : h < 22 ? 1.2 : 0.6;
  gas_ou_ = std::clamp(Ou(gas_ou_, 1, 1800, 0.3, dt_s), 0.2, 2.0);
  gas_rate_m3h_ = (0.02 + 0.6 * heating * rhythm) * gas_ou_;
  water_ou_ = std::clamp(Ou(water_ou_, 1, 600, 0.6, dt_s), 0.0, 3.0);
  water_rate_m3h_ = (awake ? 0.02 : 0.002) * water_ou_;

  if (dt_s > 0 && rng_.Uniform() < 1 - std::exp(-dt_s / 86400)) ++s_.sags[rng_.Int(0, 2)];
  if (dt_s > 0 && rng_.Uniform() < 1 - std::exp(-dt_s / (5 * 86400))) ++s_.swells[rng_.Int(0, 2)];

  s_.tariff = TariffAt(s_.unix_s);
  if (options_.capacity_tariff && unix_ms > quarter_from_ms_) {
    s_.demand_avg_w = quarter_wh_ * 3.6e6 / static_cast<double>(unix_ms - quarter_from_ms_);
  }
}

}  // namespace p1
