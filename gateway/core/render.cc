#include "gateway/core/render.h"

#include <cstdio>

#include "gateway/base/hex.h"
#include "gateway/core/json_writer.h"

namespace p1 {
namespace {

// Prints the meter's own digits ("000123.456" -> 123.456, "00000000" -> 0)
// so values keep their precision and integers stay integers; falls back to
// the double when the text is not a plain decimal.
void AppendNumber(std::string* out, std::string_view text, double fallback) {
  std::string_view t = text;
  bool negative = !t.empty() && t[0] == '-';
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  size_t dot = t.find('.');
  std::string_view int_part = t.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
  bool valid = !t.empty() && t != ".";
  for (char c : int_part) valid = valid && c >= '0' && c <= '9';
  for (char c : frac) valid = valid && c >= '0' && c <= '9';
  if (!valid) {
    AppendJsonNumber(out, fallback);
    return;
  }
  while (int_part.size() > 1 && int_part[0] == '0') int_part.remove_prefix(1);
  if (negative) out->push_back('-');
  out->append(int_part.empty() ? std::string_view("0") : int_part);
  if (!frac.empty()) {
    out->push_back('.');
    out->append(frac);
  }
}

void AppendTimestamp(std::string* out, const Timestamp& ts) {
  if (!ts.valid) {
    out->append("null");
    return;
  }
  AppendJsonString(out, ts.ToIso8601());
}

void AppendKey(std::string* out, std::string_view key) {
  out->push_back(',');
  AppendJsonString(out, key);
  out->push_back(':');
}

// Wrapped values (a long 96.13.0 over several lines) carry line breaks that
// are not part of the value.
std::string_view WithoutLineBreaks(std::string_view s, std::string* scratch) {
  if (s.find_first_of("\r\n") == std::string_view::npos) return s;
  scratch->clear();
  for (char c : s) {
    if (c != '\r' && c != '\n') scratch->push_back(c);
  }
  return *scratch;
}

void AppendObject(std::string* out, const Reading& r, const CosemObject& o) {
  out->append("{\"obis\":");
  AppendJsonString(out, o.obis.ToString());
  std::string scratch;
  switch (o.kind) {
    case ValueKind::kNone:
      out->append(",\"value\":null");
      break;
    case ValueKind::kNumber:
      AppendKey(out, "value");
      AppendNumber(out, o.number_text, o.number);
      if (!o.unit.empty()) {
        AppendKey(out, "unit");
        AppendJsonString(out, o.unit);
      }
      if (o.has_timestamp) {
        AppendKey(out, "timestamp");
        AppendTimestamp(out, o.timestamp);
      }
      break;
    case ValueKind::kText: {
      std::string_view value = WithoutLineBreaks(o.text, &scratch);
      AppendKey(out, "value");
      AppendJsonString(out, value);
      std::string text;
      if (DecodeHexText(value, &text)) {
        AppendKey(out, "text");
        AppendJsonString(out, text);
      }
      break;
    }
    case ValueKind::kTimestamp:
      AppendKey(out, "value");
      AppendTimestamp(out, o.timestamp);
      break;
    case ValueKind::kEvents:
      out->append(",\"events\":[");
      for (uint32_t i = 0; i < o.count && o.first + i < r.events.size(); ++i) {
        const PowerFailureEvent& e = r.events[o.first + i];
        out->append(i ? ",{\"end\":" : "{\"end\":");
        AppendTimestamp(out, e.end);
        out->append(",\"duration_s\":");
        out->append(std::to_string(e.duration_s));
        out->push_back('}');
      }
      out->push_back(']');
      break;
    case ValueKind::kEntries:
      out->append(",\"entries\":[");
      for (uint32_t i = 0; i < o.count && o.first + i < r.entries.size(); ++i) {
        const HistoryEntry& e = r.entries[o.first + i];
        out->append(i ? ",{" : "{");
        if (e.has_period) {
          out->append("\"period\":");
          AppendTimestamp(out, e.period);
          out->push_back(',');
        }
        if (e.has_time) {
          out->append("\"time\":");
          AppendTimestamp(out, e.time);
          out->push_back(',');
        }
        out->append("\"value\":");
        AppendNumber(out, e.number_text, e.value);
        if (!e.unit.empty()) {
          AppendKey(out, "unit");
          AppendJsonString(out, e.unit);
        }
        out->push_back('}');
      }
      out->push_back(']');
      break;
    case ValueKind::kRaw:
      AppendKey(out, "raw");
      AppendJsonString(out, o.text);
      break;
  }
  out->push_back('}');
}

void AppendMbus(std::string* out, const MbusDevice& d) {
  out->append("{\"channel\":");
  out->append(std::to_string(d.channel));
  AppendKey(out, "device_type");
  out->append(d.device_type < 0 ? "null" : std::to_string(d.device_type));
  if (!d.equipment_id.empty()) {
    AppendKey(out, "equipment_id");
    AppendJsonString(out, d.equipment_id);
  }
  if (d.has_value) {
    AppendKey(out, "value");
    AppendNumber(out, d.number_text, d.value);
    if (!d.unit.empty()) {
      AppendKey(out, "unit");
      AppendJsonString(out, d.unit);
    }
    AppendKey(out, "timestamp");
    AppendTimestamp(out, d.timestamp);
  }
  out->push_back('}');
}

// Text form of a value for RenderText: the same normalised digits as JSON.
std::string NumberText(std::string_view text, double fallback, std::string_view unit) {
  std::string s;
  AppendNumber(&s, text, fallback);
  if (!unit.empty()) {
    s.push_back(' ');
    s.append(unit);
  }
  return s;
}

std::string TimeText(const Timestamp& ts) { return ts.valid ? ts.ToIso8601() : "(invalid time)"; }

// Bytes that would disturb a terminal are shown as '?'.
void AppendPrintable(std::string* out, std::string_view s) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    out->push_back(u >= 0x20 && u != 0x7f ? c : '?');
  }
}

void AppendTextObject(std::string* out, const Reading& r, const CosemObject& o) {
  std::string code = o.obis.ToString();
  out->append("  ");
  out->append(code);
  out->append(code.size() < 14 ? 14 - code.size() : 1, ' ');
  std::string scratch, decoded;
  switch (o.kind) {
    case ValueKind::kNone:
      out->append("-");
      break;
    case ValueKind::kNumber:
      out->append(NumberText(o.number_text, o.number, o.unit));
      if (o.has_timestamp) out->append(" at " + TimeText(o.timestamp));
      break;
    case ValueKind::kText: {
      std::string_view value = WithoutLineBreaks(o.text, &scratch);
      AppendPrintable(out, value);
      if (DecodeHexText(value, &decoded)) {
        out->append(" \"");
        AppendPrintable(out, decoded);
        out->push_back('"');
      }
      break;
    }
    case ValueKind::kTimestamp:
      out->append(TimeText(o.timestamp));
      break;
    case ValueKind::kEvents:
      out->append(std::to_string(o.count) + " power failure(s)");
      for (uint32_t i = 0; i < o.count && o.first + i < r.events.size(); ++i) {
        const PowerFailureEvent& e = r.events[o.first + i];
        out->append("\n                  ended " + TimeText(e.end) + ", " +
                    std::to_string(e.duration_s) + " s");
      }
      break;
    case ValueKind::kEntries:
      out->append(std::to_string(o.count) + " entries");
      for (uint32_t i = 0; i < o.count && o.first + i < r.entries.size(); ++i) {
        const HistoryEntry& e = r.entries[o.first + i];
        out->append("\n                  ");
        if (e.has_period) out->append("period " + TimeText(e.period) + " ");
        if (e.has_time) out->append("at " + TimeText(e.time) + " ");
        out->append(NumberText(e.number_text, e.value, e.unit));
      }
      break;
    case ValueKind::kRaw:
      AppendPrintable(out, WithoutLineBreaks(o.text, &scratch));
      break;
  }
  out->push_back('\n');
}

}  // namespace

bool DecodeHexText(std::string_view hex, std::string* out) {
  out->clear();
  int high = -1;
  for (char c : hex) {
    if (c == '\r' || c == '\n') continue;  // a value wrapped over lines
    int v = HexDigit(c);
    if (v < 0) break;
    if (high < 0) {
      high = v;
      continue;
    }
    char byte = static_cast<char>(high * 16 + v);
    high = -1;
    bool printable = (byte >= 0x20 && byte < 0x7f) || byte == '\t' || byte == '\n' || byte == '\r';
    if (!printable) {
      high = -2;  // marks failure
      break;
    }
    out->push_back(byte);
  }
  size_t hex_digits = 0, breaks = 0;
  for (char c : hex) {
    hex_digits += IsHexDigit(c);
    breaks += c == '\r' || c == '\n';
  }
  if (high != -1 || out->empty() || hex_digits + breaks != hex.size() ||
      out->size() * 2 != hex_digits) {
    out->clear();
    return false;
  }
  return true;
}

std::string RenderJson(const Reading& r) {
  std::string out;
  out.reserve(256 + r.objects.size() * 64);
  out.append("{\"header\":");
  AppendJsonString(&out, r.header);
  out.append(",\"crc\":\"");
  out.append(CrcStatusName(r.crc));
  out.append("\",\"objects\":[");
  for (size_t i = 0; i < r.objects.size(); ++i) {
    if (i) out.push_back(',');
    AppendObject(&out, r, r.objects[i]);
  }
  out.append("],\"mbus\":[");
  for (size_t i = 0; i < r.mbus.size(); ++i) {
    if (i) out.push_back(',');
    AppendMbus(&out, r.mbus[i]);
  }
  out.append("],\"errors\":[");
  for (size_t i = 0; i < r.errors.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(&out, r.errors[i]);
  }
  out.append("]}");
  return out;
}

std::string RenderText(const Reading& r) {
  std::string out = "telegram /";
  AppendPrintable(&out, r.header);
  out.append("  crc ");
  out.append(CrcStatusName(r.crc));
  out.push_back('\n');
  for (const CosemObject& o : r.objects) AppendTextObject(&out, r, o);
  for (const MbusDevice& d : r.mbus) {
    out.append("  mbus channel " + std::to_string(d.channel) + ": device type " +
               (d.device_type < 0 ? std::string("?") : std::to_string(d.device_type)));
    if (!d.equipment_id.empty()) {
      out.append(", id ");
      AppendPrintable(&out, d.equipment_id);
    }
    if (d.has_value) {
      out.append(", " + NumberText(d.number_text, d.value, d.unit) + " at " +
                 TimeText(d.timestamp));
    }
    out.push_back('\n');
  }
  for (const std::string& e : r.errors) {
    out.append("  error: ");
    AppendPrintable(&out, e);
    out.push_back('\n');
  }
  return out;
}

}  // namespace p1
