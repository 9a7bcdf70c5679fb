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
    case Quantity::kEnergy: return "kwh";
    case Quantity::kPower: return "kw";
    case Quantity::kReactiveEnergy: return "kvarh";
    case Quantity::kReactivePower: return "kvar";
    case Quantity::kVoltage: return "v";
    case Quantity::kCurrent: return "a";
    case Quantity::kVolume: return "m3";
    case Quantity::kFrequency: return "hz";
    case Quantity::kPlain: return "";
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

}  // namespace

std::optional<double> ToBaseUnit(double number, std::string_view number_text, std::string_view unit,
                                 Quantity q) {
  if (q == Quantity::kPlain) {
    if (!unit.empty()) return std::nullopt;
    return number;
  }
  std::string_view want = unit.empty() ? DefaultUnit(q) : unit;
  const UnitSpec* spec = nullptr;
  for (const UnitSpec& u : kUnits) {
    if (u.quantity == q && EqualsLower(want, u.name)) {
      spec = &u;
      break;
    }
  }
  if (spec == nullptr) return std::nullopt;

  int64_t mantissa = 0;
  int decimals = 0;
  if (!number_text.empty() && ParseDecimal(number_text, &mantissa, &decimals)) {
    int64_t scaled = mantissa * spec->multiplier;  // |mantissa| < 2^53 / 10, multiplier <= 36
    int e = spec->exp10 - decimals;
    if (scaled > -kExactLimit && scaled < kExactLimit && e > -23 && e < 23) {
      // Both operands are exact, so one correctly rounded operation gives
      // the double nearest to the decimal value (exact when it is whole).
      if (e < 0) return static_cast<double>(scaled) / Pow10(-e);
      return static_cast<double>(scaled) * Pow10(e);
    }
  }
  double factor = static_cast<double>(spec->multiplier);
  return spec->exp10 >= 0 ? number * factor * Pow10(spec->exp10) : number * factor / Pow10(-spec->exp10);
}

}  // namespace p1
