#include "exporters/metrics/units.h"

#include <array>
#include <cctype>
#include <cstdint>

namespace p1 {
namespace {

// factor = multiplier * 10^exp10, kept apart so the decimal path stays exact.
struct UnitSpec {
  std::string_view name;  // lower case
  Quantity quantity;
  int64_t multiplier;
  int exp10;
};

constexpr std::array<UnitSpec, 21> kUnits{{
    {"kwh", Quantity::kEnergy, 36, 5},
    {"wh", Quantity::kEnergy, 36, 2},
    {"mwh", Quantity::kEnergy, 36, 8},
    {"gj", Quantity::kEnergy, 1, 9},
    {"mj", Quantity::kEnergy, 1, 6},
    {"kj", Quantity::kEnergy, 1, 3},
    {"j", Quantity::kEnergy, 1, 0},
    {"kw", Quantity::kPower, 1, 3},
    {"w", Quantity::kPower, 1, 0},
    {"mw", Quantity::kPower, 1, 6},
    {"kvarh", Quantity::kReactiveEnergy, 1, 3},
    {"varh", Quantity::kReactiveEnergy, 1, 0},
    {"kvar", Quantity::kReactivePower, 1, 3},
    {"var", Quantity::kReactivePower, 1, 0},
    {"v", Quantity::kVoltage, 1, 0},
    {"kv", Quantity::kVoltage, 1, 3},
    {"a", Quantity::kCurrent, 1, 0},
    {"m3", Quantity::kVolume, 1, 0},
    {"dm3", Quantity::kVolume, 1, -3},
    {"l", Quantity::kVolume, 1, -3},
    {"hz", Quantity::kFrequency, 1, 0},
}};

// The unit DSMR prescribes when the meter leaves it out (Smarty 3.7.0).
std::string_view DefaultUnit(Quantity q) {
  switch (q) {
    case Quantity::kEnergy:
      return "kwh";
    case Quantity::kPower:
      return "kw";
    case Quantity::kReactiveEnergy:
      return "kvarh";
    case Quantity::kReactivePower:
      return "kvar";
    case Quantity::kVoltage:
      return "v";
    case Quantity::kCurrent:
      return "a";
    case Quantity::kVolume:
      return "m3";
    case Quantity::kFrequency:
      return "hz";
    case Quantity::kPlain:
      return "";
  }
  return "";
}

bool EqualsLower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != lower[i]) return false;
  }
  return true;
}

constexpr int64_t kExactLimit = int64_t{1} << 53;

// Decimal text "-000123.456" -> mantissa 123456 (signed), 3 decimals.
bool ParseDecimal(std::string_view text, int64_t* mantissa, int* decimals) {
  bool negative = false;
  size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  int64_t m = 0;
  int digits = 0, dec = 0;
  bool seen_point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !seen_point) {
      seen_point = true;
    } else if (c >= '0' && c <= '9') {
      if (m >= kExactLimit / 10) return false;  // too many significant digits to stay exact
      m = m * 10 + (c - '0');
      ++digits;
      if (seen_point) ++dec;
    } else {
      return false;
    }
  }
  if (digits == 0) return false;
  *mantissa = negative ? -m : m;
  *decimals = dec;
  return true;
}

double Pow10(int n) {
  double r = 1;
  for (int i = 0; i < n; ++i) r *= 10;  // exact up to 1e22
  return r;
}

// digits * num_mult * 10^e / den_mult from the decimal text, rounded once;
// nullopt when the text is not a plain decimal or the operands are not exact.
std::optional<double> FromDigits(std::string_view text, int64_t num_mult, int64_t den_mult, int e) {
  int64_t mantissa = 0;
  int decimals = 0;
  if (text.empty() || !ParseDecimal(text, &mantissa, &decimals)) return std::nullopt;
  int64_t scaled = mantissa * num_mult;  // |mantissa| < 2^53 / 10, multiplier <= 36
  e -= decimals;
  if (scaled <= -kExactLimit || scaled >= kExactLimit || e <= -23 || e >= 23) return std::nullopt;
  // Powers of ten up to 1e22 are exact doubles. With den_mult 1 there is a
  // single operation, so one rounding gives the double nearest to the
  // decimal value (exact when it is whole): 000123.456 kWh is exactly
  // 444441600 J, not 123.456 * 3.6e6 with its rounding error. Otherwise
  // both operands must be exact integers for the division to round once.
  double num = static_cast<double>(scaled), den = static_cast<double>(den_mult);
  if (e >= 0) {
    num *= Pow10(e);
  } else {
    den *= Pow10(-e);
  }
  if (den_mult != 1 && (num <= -kExactLimit || num >= kExactLimit || den >= kExactLimit)) {
    return std::nullopt;
  }
  return num / den;
}

const UnitSpec* FindUnit(Quantity q, std::string_view name) {
  std::string_view want = name.empty() ? DefaultUnit(q) : name;
  for (const UnitSpec& u : kUnits) {
    if (u.quantity == q && EqualsLower(want, u.name)) return &u;
  }
  return nullptr;
}

}  // namespace

std::optional<double> ToBaseUnit(double number, std::string_view number_text, std::string_view unit,
                                 Quantity q) {
  if (q == Quantity::kPlain) {
    if (!unit.empty()) return std::nullopt;
    return number;
  }
  const UnitSpec* spec = FindUnit(q, unit);
  if (spec == nullptr) return std::nullopt;
  if (auto v = FromDigits(number_text, spec->multiplier, 1, spec->exp10)) return v;
  double factor = static_cast<double>(spec->multiplier);
  return spec->exp10 >= 0 ? number * factor * Pow10(spec->exp10)
                          : number * factor / Pow10(-spec->exp10);
}

std::optional<double> ToUnit(double number, std::string_view number_text, std::string_view unit,
                             Quantity q, std::string_view target) {
  if (q == Quantity::kPlain || target.empty()) return std::nullopt;
  const UnitSpec* from = FindUnit(q, unit);
  const UnitSpec* to = FindUnit(q, target);
  if (from == nullptr || to == nullptr) return std::nullopt;
  // Equal multipliers (kWh and Wh, or any two power units) cancel, leaving a
  // pure power of ten.
  int64_t num_mult = from->multiplier, den_mult = to->multiplier;
  if (num_mult == den_mult) num_mult = den_mult = 1;
  int e = from->exp10 - to->exp10;
  if (auto v = FromDigits(number_text, num_mult, den_mult, e)) return v;
  double factor = static_cast<double>(num_mult) / static_cast<double>(den_mult);
  return e >= 0 ? number * factor * Pow10(e) : number * factor / Pow10(-e);
}

}  // namespace p1
