// Scalar parsers and formatters of config values.
#include "config/parse_util.h"

#include <array>
#include <cstdio>

namespace p1 {
namespace {

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Durations beyond this are surely typos and would overflow timers.
constexpr int64_t kMaxDurationMs = int64_t{1} << 40;  // ~35 years

// Inverse of a Name() function over a small enum.
template <typename E, size_t N>
bool ParseByName(std::string_view text, const E (&values)[N], std::string_view (*name)(E), E* out) {
  for (E v : values) {
    if (text == name(v)) {
      *out = v;
      return true;
    }
  }
  return false;
}

}  // namespace

bool IsValidMeterName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!IsLower(c) && !IsDigit(c) && c != '_' && c != '-') return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || IsDigit(name[0]) || name.substr(0, 2) == "__") return false;
  for (char c : name) {
    if (!IsLower(c) && !IsUpper(c) && !IsDigit(c) && c != '_') return false;
  }
  return true;
}

bool IsValidHostName(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') {
    return false;
  }
  size_t label_len = 0;
  char prev = '.';
  for (char c : name) {
    if (c == '.') {
      if (prev == '.' || prev == '-') return false;
      label_len = 0;
    } else if (IsLower(c) || IsUpper(c) || IsDigit(c) || (c == '-' && prev != '.')) {
      if (++label_len > 63) return false;
    } else {
      return false;
    }
    prev = c;
  }
  return prev != '-';
}

bool ParseDuration(std::string_view text, Millis* out) {
  size_t unit_pos = 0;
  while (unit_pos < text.size() && (IsDigit(text[unit_pos]) || text[unit_pos] == '.')) {
    ++unit_pos;
  }
  std::string_view number = text.substr(0, unit_pos);
  std::string_view unit = text.substr(unit_pos);
  int64_t scale;
  if (unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  } else {
    return false;
  }
  size_t dot = number.find('.');
  std::string_view whole = number.substr(0, dot);
  std::string_view frac =
      dot == std::string_view::npos ? std::string_view() : number.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && frac.empty()) ||
      frac.find('.') != std::string_view::npos || whole.size() > 12 || frac.size() > 9) {
    return false;
  }
  int64_t ms = 0;
  for (char c : whole) ms = ms * 10 + (c - '0');
  ms *= scale;
  // The fraction must come to whole milliseconds: frac/10^n * scale.
  int64_t frac_value = 0;
  int64_t denominator = 1;
  for (char c : frac) {
    frac_value = frac_value * 10 + (c - '0');
    denominator *= 10;
  }
  if (frac_value * scale % denominator != 0) return false;
  ms += frac_value * scale / denominator;
  if (ms > kMaxDurationMs) return false;
  *out = Millis(ms);
  return true;
}

std::string FormatDuration(Millis d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string TomlQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string SerialSettingsString(const SerialSettings& s) {
  const char parity = s.parity == Parity::kEven ? 'E' : s.parity == Parity::kOdd ? 'O' : 'N';
  return std::to_string(s.baud) + " " + std::to_string(s.data_bits) + parity +
         std::to_string(s.stop_bits);
}

const SerialPreset* FindSerialPreset(std::string_view preset) {
  for (const SerialPreset& p : kSerialPresets) {
    if (p.name == preset) return &p;
  }
  return nullptr;
}

const SerialPreset* SuggestSerialPreset(const SerialSettings& settings) {
  for (const SerialPreset& p : kSerialPresets) {
    if (p.settings == settings) return &p;
  }
  return nullptr;
}

bool PresetSerialSettings(std::string_view preset, SerialSettings* out) {
  const SerialPreset* p = FindSerialPreset(preset);
  if (p != nullptr) *out = p->settings;
  return p != nullptr;
}

std::string_view ParityName(Parity p) {
  switch (p) {
    case Parity::kEven:
      return "even";
    case Parity::kOdd:
      return "odd";
    case Parity::kNone:
      break;
  }
  return "none";
}

std::string_view IoUringModeName(IoUringMode mode) {
  switch (mode) {
    case IoUringMode::kOn:
      return "on";
    case IoUringMode::kOff:
      return "off";
    case IoUringMode::kAuto:
      break;
  }
  return "auto";
}

bool ParseIoUringMode(std::string_view text, IoUringMode* out) {
  static constexpr IoUringMode kAll[] = {IoUringMode::kAuto, IoUringMode::kOn, IoUringMode::kOff};
  return ParseByName(text, kAll, &IoUringModeName, out);
}

bool ParseParity(std::string_view text, Parity* out) {
  static constexpr Parity kAll[] = {Parity::kNone, Parity::kEven, Parity::kOdd};
  return ParseByName(text, kAll, &ParityName, out);
}

std::string_view ProtocolName(ListenerProtocol p) {
  switch (p) {
    case ListenerProtocol::kTelnet:
      return "telnet";
    case ListenerProtocol::kRfc2217:
      return "rfc2217";
    case ListenerProtocol::kRaw:
      break;
  }
  return "raw";
}

bool ParseProtocol(std::string_view text, ListenerProtocol* out) {
  static constexpr ListenerProtocol kAll[] = {ListenerProtocol::kRaw, ListenerProtocol::kTelnet,
                                              ListenerProtocol::kRfc2217};
  return ParseByName(text, kAll, &ProtocolName, out);
}

std::string_view PayloadName(Payload p) { return p == Payload::kBytes ? "bytes" : "telegrams"; }

bool ParsePayload(std::string_view text, Payload* out) {
  static constexpr Payload kAll[] = {Payload::kTelegrams, Payload::kBytes};
  return ParseByName(text, kAll, &PayloadName, out);
}

std::string_view PortSettingsName(PortSettings p) {
  return p == PortSettings::kFixed ? "fixed" : "virtual";
}

bool ParsePortSettings(std::string_view text, PortSettings* out) {
  static constexpr PortSettings kAll[] = {PortSettings::kVirtual, PortSettings::kFixed};
  return ParseByName(text, kAll, &PortSettingsName, out);
}

bool IsSimulateVariant(std::string_view v) {
  static constexpr std::string_view kVariants[] = {"dsmr2", "dsmr3", "dsmr4", "dsmr5", "be",
                                                   "lu",    "se",    "q3d",   "at",    "at-mbus", "ie"};
  for (std::string_view k : kVariants) {
    if (v == k) return true;
  }
  return false;
}

bool IsLogLevel(std::string_view v) {
  return v == "trace" || v == "debug" || v == "info" || v == "warn" || v == "error";
}

}  // namespace p1
