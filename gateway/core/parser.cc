#include "gateway/core/parser.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string>

#include "gateway/core/dsmr_time.h"
#include "gateway/core/parser_scan.h"

namespace p1 {
namespace {

// Enough for a full Belgian 13-month peak history (3 + 13 * 3 groups) and a
// 10-entry power-failure log with room to spare; a record with more groups
// keeps the first kMaxGroups and reports an error.
constexpr size_t kMaxGroups = 128;

std::string_view StripLineEnd(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\0')) s.remove_suffix(1);
  return s;
}

[[gnu::cold]] void AddError(Reading* out, uint32_t line, std::string_view what,
                            std::string_view text) {
  constexpr size_t kMaxQuoted = 48;
  std::string e = "line " + std::to_string(line) + ": " + std::string(what);
  if (!text.empty()) {
    e += " '";
    e.append(text.substr(0, kMaxQuoted));
    if (text.size() > kMaxQuoted) e += "...";
    e += '\'';
  }
  out->errors.push_back(std::move(e));
}

// One value group: the bytes between '(' and ')'. A plain pointer and size:
// trivially constructible, so declaring a Record's table does not zero it.
struct Group {
  const char* data;
  size_t size;

  std::string_view text() const { return {data, size}; }
};

// A record's "(..)(..)" groups as ScanGroups found them. Every group is
// followed by a byte that ends a number scan (its ')', or the line end after
// an unterminated value), unless it ends the text at text_end.
struct Record {
  Group groups[kMaxGroups];
  size_t count = 0;
  std::string_view raw;  // from the first '(' to the end of the last group
  const char* text_end = nullptr;

  std::string_view group(size_t i) const { return groups[i].text(); }
};

// Set by GroupNumber, whole, when it returns true. Pointers and sizes, not
// string_views: the caller copies them into a CosemObject, and a struct of
// two 8-byte stores read back as one 16-byte load stalls store-to-load
// forwarding (measured in ParseTelegram: ~20% of its samples).
struct Number {
  double value;
  bool is_integer;
  const char* text_data;  // digits as sent, with any sign
  size_t text_size;
  const char* unit_data;
  size_t unit_size;

  std::string_view text() const { return {text_data, text_size}; }
  std::string_view unit() const { return {unit_data, unit_size}; }
};

// Group i as a whole number: an optional sign, then a number shape ending
// exactly at the group's end ("-1.5*kvar"). Scanned here, not in ScanGroups,
// so that only the groups read as numbers pay for it. Inlined: a Number
// returned through memory is written in 8-byte halves and read back as
// 16-byte string_views, and that store-to-load forwarding fails.
[[gnu::always_inline]] inline bool GroupNumber(const Record& r, size_t i, Number* out) {
  const Group& g = r.groups[i];
  const char* const end = g.data + g.size;
  const bool sign = g.size != 0 && (g.data[0] == '-' || g.data[0] == '+');
  NumberShape n;
  if (end != r.text_end) {
    ScanNumber<true>(g.data + sign, nullptr, &n);
  } else {
    ScanNumber<false>(g.data + sign, end, &n);
  }
  if (n.digits == 0 || n.end != end || n.empty_unit) return false;
  const std::string_view digits(g.data, static_cast<size_t>(n.digits_end - g.data));
  if (!NumberValue(n, digits, g.data[0] == '-', &out->value)) return false;
  out->is_integer = !n.point;
  out->text_data = digits.data();
  out->text_size = digits.size();
  out->unit_data = n.unit_begin;
  out->unit_size = static_cast<size_t>(end - n.unit_begin);
  return true;
}

bool ParseInt(std::string_view s, int64_t* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

// Parses the timestamp in `text` into *ts; on failure records an error naming
// the line and leaves *ts invalid (rendered as null).
void TimestampOrError(std::string_view text, uint32_t line, Reading* out, Timestamp* ts) {
  if (!ParseDsmrTimestamp(text, ts)) AddError(out, line, "invalid timestamp", text);
}

bool IsTwelveDigits(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// "d{1,3}-d{1,3}:" — the start of an OBIS line, as opposed to the wrapped
// continuation of a long hex text value.
bool LooksLikeObisStart(std::string_view s) {
  size_t i = 0, n = 0;
  while (i < s.size() && IsDigit(s[i]) && n < 4) ++i, ++n;
  if (n == 0 || i >= s.size() || s[i] != '-') return false;
  ++i, n = 0;
  while (i < s.size() && IsDigit(s[i]) && n < 4) ++i, ++n;
  return n > 0 && i < s.size() && s[i] == ':';
}

// True when the line `next` continues a value wrapped over several lines
// (long 96.13.0 messages) rather than starting something else.
bool ContinuesValue(std::string_view next) {
  return !next.empty() && next[0] != '!' && next[0] != '(' && next[0] != '/' && next[0] != '\r' &&
         next[0] != '\n' && !LooksLikeObisStart(next);
}

size_t LineEnd(std::string_view text, size_t from) {
  const size_t nl = text.find('\n', from);
  return nl == std::string_view::npos ? text.size() : nl;
}

// Scans a record's "(..)(..)" groups starting at text[*pos] == '('. Follows
// continuation lines that start with '(' (DSMR 2.2/3 gas profile) and values
// wrapped over several lines. On return *pos is the start of the line after
// the record and *line the record's last line. A record with more than
// kMaxGroups groups keeps the first kMaxGroups and reports an error.
// rec->text_end must be the end of `text`.
[[gnu::always_inline]] inline void ScanGroups(std::string_view text, size_t* pos, uint32_t* line,
                                              Reading* out, Record* rec) {
  const uint32_t first_line = *line;
  const size_t raw_begin = *pos;
  size_t p = *pos;
  size_t count = 0;  // groups seen, kept or not
  while (true) {
    const size_t value = p + 1;  // text[p] == '('
    size_t close = FindCloseOrNewline(text, value);
    while (close < text.size() && text[close] == '\n' && ContinuesValue(text.substr(close + 1))) {
      ++*line;
      close = FindCloseOrNewline(text, close + 1);
    }
    if (close == text.size() || text[close] != ')') {
      const size_t end = LineEnd(text, close);
      AddError(out, *line, "unterminated value", StripLineEnd(text.substr(p, end - p)));
      const std::string_view g = StripLineEnd(text.substr(value, end - value));
      if (count < kMaxGroups) rec->groups[count] = {g.data(), g.size()};
      rec->count = std::min(count + 1, kMaxGroups);
      rec->raw = StripLineEnd(text.substr(raw_begin, end - raw_begin));
      *pos = end < text.size() ? end + 1 : end;
      return;
    }
    if (count < kMaxGroups) rec->groups[count] = {text.data() + value, close - value};
    ++count;
    p = close + 1;
    if (p < text.size() && text[p] == '(') continue;
    size_t next;
    if (p + 1 < text.size() && text[p] == '\r' && text[p + 1] == '\n') {
      next = p + 2;  // the common case, without another scan of the line
    } else {
      const size_t end = LineEnd(text, p);
      std::string_view tail = StripLineEnd(text.substr(p, end - p));
      while (!tail.empty() && tail.front() == ' ') tail.remove_prefix(1);
      if (!tail.empty()) AddError(out, *line, "unexpected text after value", tail);
      next = end < text.size() ? end + 1 : end;
    }
    if (next < text.size() && text[next] == '(') {
      ++*line;
      p = next;
      continue;
    }
    rec->count = std::min(count, kMaxGroups);
    rec->raw = std::string_view(text.data() + raw_begin, p - raw_begin);
    *pos = next;
    if (count > kMaxGroups) AddError(out, first_line, "too many values, kept the first 128", {});
    return;
  }
}

// OBIS codes whose value is an identifier or text even when it looks like a
// number (equipment ids "000000000000", message code "0", Q3D status "80").
bool IsTextObject(const Obis& o) {
  return (o.c == 96 && o.d == 1 && o.e != 4) || (o.c == 96 && o.d == 13) ||
         (o.c == 42 && o.d == 0 && o.e == 0) || (o.c == 0 && o.d == 0) || (o.c == 96 && o.d == 5);
}

bool IsClockObject(const Obis& o) { return o.c == 1 && o.d == 0 && o.e == 0; }

bool IsMbusChannel(const Obis& o) { return o.a == 0 && o.b >= 1 && o.b <= 4; }

// Electricity registers (A = 1) are always numbers: a value that is not one
// is reported instead of silently becoming text.
bool IsNumericObject(const Obis& o) {
  return o.a == 1 && o.c != 0 && o.c != 96 && o.c != 98 && o.c != 99;
}

void SetNumber(const Number& n, CosemObject* obj) {
  obj->kind = ValueKind::kNumber;
  obj->number = n.value;
  obj->is_integer = n.is_integer;
  obj->number_text = n.text();
  obj->unit = n.unit();
}

// 1-0:99.97.0(N)(0-0:96.7.19)(end)(duration*s)... ; "()" and "(0)(…)" are empty.
void ParseEventLog(const Record& r, uint32_t line, Reading* out, CosemObject* obj) {
  obj->kind = ValueKind::kEvents;
  obj->first = static_cast<uint32_t>(out->events.size());
  int64_t declared = 0;
  if (!r.group(0).empty() && !ParseInt(r.group(0), &declared)) {
    AddError(out, line, "bad event count", r.group(0));
  }
  size_t pairs = r.count >= 2 ? (r.count - 2) / 2 : 0;
  if (r.count >= 2 && (r.count - 2) % 2 != 0) AddError(out, line, "odd number of event values", {});
  if (declared != static_cast<int64_t>(pairs)) {
    AddError(out, line, "event count does not match entries", r.group(0));
  }
  for (size_t i = 0; i < pairs; ++i) {
    PowerFailureEvent ev;
    TimestampOrError(r.group(2 + 2 * i), line, out, &ev.end);
    Number d;
    int64_t secs = 0;
    if (GroupNumber(r, 3 + 2 * i, &d) && d.is_integer && ParseInt(d.text(), &secs)) {
      ev.duration_s = secs;
    } else {
      AddError(out, line, "bad event duration", r.group(3 + 2 * i));
    }
    out->events.push_back(ev);
  }
  obj->count = static_cast<uint32_t>(out->events.size()) - obj->first;
}

bool ParseEntryValue(const Record& r, size_t i, uint32_t line, Reading* out, HistoryEntry* e) {
  Number n;
  if (!GroupNumber(r, i, &n)) {
    AddError(out, line, "bad value", r.group(i));
    return false;
  }
  e->value = n.value;
  e->unit = n.unit();
  e->number_text = n.text();
  return true;
}

// Belgian 0-0:98.1.0(N)(1-0:1.6.0)(1-0:1.6.0)(period)(time)(value)... or the
// Hungarian monthly billing form 0-0:98.1.0(period)(v1)(v2)... without header.
void ParseHistory(const Record& r, uint32_t line, Reading* out, CosemObject* obj) {
  obj->kind = ValueKind::kEntries;
  obj->first = static_cast<uint32_t>(out->entries.size());
  auto g = [&r](size_t i) { return r.group(i); };
  if (LooksLikeDsmrTimestamp(g(0))) {
    Timestamp period;
    TimestampOrError(g(0), line, out, &period);
    for (size_t i = 1; i < r.count; ++i) {
      HistoryEntry e;
      e.period = period;
      e.has_period = true;
      if (ParseEntryValue(r, i, line, out, &e)) out->entries.push_back(e);
    }
  } else {
    int64_t declared = 0;
    if (!g(0).empty() && !ParseInt(g(0), &declared)) AddError(out, line, "bad entry count", g(0));
    size_t i = 1;
    while (i < r.count && g(i).find(':') != std::string_view::npos) ++i;  // column OBIS codes
    size_t rows = (r.count - i) / 3;
    if ((r.count - i) % 3 != 0 || declared != static_cast<int64_t>(rows)) {
      AddError(out, line, "entry count does not match values", g(0));
    }
    for (size_t row = 0; row < rows; ++row, i += 3) {
      HistoryEntry e;
      e.has_period = e.has_time = true;
      TimestampOrError(g(i), line, out, &e.period);
      TimestampOrError(g(i + 1), line, out, &e.time);
      if (ParseEntryValue(r, i + 2, line, out, &e)) out->entries.push_back(e);
    }
  }
  obj->count = static_cast<uint32_t>(out->entries.size()) - obj->first;
}

// DSMR 2.2/3: 0-n:24.3.0(YYMMDDhhmmss)(status)(interval)(count)(0-n:24.2.1)(unit)
// followed by the value line "(00001.001)": one object whose value is the reading.
void ParseGasProfile(const Record& r, uint32_t line, Reading* out, CosemObject* obj) {
  if (r.count < 7) {
    obj->kind = ValueKind::kRaw;
    obj->text = r.raw;
    AddError(out, line, "gas profile without value", r.raw);
    return;
  }
  Number n;
  std::string_view value = r.group(r.count - 1);
  if (!GroupNumber(r, r.count - 1, &n)) {
    obj->kind = ValueKind::kRaw;
    obj->text = r.raw;
    AddError(out, line, "bad value", value);
    return;
  }
  if (n.unit_size == 0) n.unit_data = r.groups[5].data, n.unit_size = r.groups[5].size;
  SetNumber(n, obj);
  obj->has_timestamp = true;
  TimestampOrError(r.group(0), line, out, &obj->timestamp);
}

void ParseGeneric(const Record& r, uint32_t line, Reading* out, CosemObject* obj) {
  auto g = [&r](size_t i) { return r.group(i); };
  Number n;
  if (r.count == 1) {
    if (g(0).empty()) {
      obj->kind = ValueKind::kNone;
    } else if (IsTextObject(obj->obis)) {
      obj->kind = ValueKind::kText;
      obj->text = g(0);
    } else if (LooksLikeDsmrTimestamp(g(0)) || IsClockObject(obj->obis)) {
      obj->kind = ValueKind::kTimestamp;
      TimestampOrError(g(0), line, out, &obj->timestamp);
    } else if (GroupNumber(r, 0, &n)) {
      SetNumber(n, obj);
    } else if (IsNumericObject(obj->obis)) {
      obj->kind = ValueKind::kRaw;
      obj->text = r.raw;
      AddError(out, line, "bad value", g(0));
    } else {
      obj->kind = ValueKind::kText;
      obj->text = g(0);
    }
    return;
  }
  if (r.count == 2) {
    // (capture time)(value): M-Bus readings, Belgian 1.6.0 month peak.
    if (LooksLikeDsmrTimestamp(g(0)) || IsTwelveDigits(g(0))) {
      if (GroupNumber(r, 1, &n)) {
        SetNumber(n, obj);
        obj->has_timestamp = true;
        TimestampOrError(g(0), line, out, &obj->timestamp);
        return;
      }
      AddError(out, line, "bad value", g(1));
      obj->kind = ValueKind::kRaw;
      obj->text = r.raw;
      return;
    } else if (GroupNumber(r, 0, &n) && ParseAceTimestamp(g(1), &obj->timestamp)) {
      // ACE4000 puts the value first and a "YY-MM-DD hh:mm:ss" time after it.
      SetNumber(n, obj);
      obj->has_timestamp = true;
      return;
    }
  }
  obj->kind = ValueKind::kRaw;
  obj->text = r.raw;
  obj->timestamp = Timestamp{};
  if (IsNumericObject(obj->obis)) AddError(out, line, "unexpected values", r.raw);
}

// EN 13757-3 medium: DSMR prints it as decimal digits ("3", "03", "003",
// "010"); a hex digit ("00A") means the meter used hex.
bool ParseDeviceType(std::string_view s, int* out) {
  bool hex = false;
  for (char c : s) {
    if ((c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f')) hex = true;
  }
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, hex ? 16 : 10);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

MbusDevice* DeviceFor(uint8_t channel, Reading* out) {
  auto it = out->mbus.begin();
  while (it != out->mbus.end() && it->channel < channel) ++it;
  if (it != out->mbus.end() && it->channel == channel) return &*it;
  MbusDevice d;
  d.channel = channel;
  return &*out->mbus.insert(it, d);
}

// Folds a channel object (0-1..0-4) into its MbusDevice. The device type
// decides what the device is; the channel number never does.
void UpdateMbus(const Record& r, uint32_t line, Reading* out, CosemObject* obj) {
  const Obis& o = obj->obis;
  bool type = o.c == 24 && o.d == 1 && o.e == 0;
  bool id = o.c == 96 && o.d == 1 && (o.e == 0 || o.e == 1);
  bool value = o.c == 24 && (o.d == 2 || (o.d == 3 && o.e == 0));
  if (!type && !id && !value) return;
  MbusDevice* dev = DeviceFor(o.b, out);
  if (type) {
    int t = -1;
    if (r.count == 1 && ParseDeviceType(r.group(0), &t)) {
      dev->device_type = t;
      // Rendered from `number`: "00A" is not JSON and "A" is not a unit.
      obj->kind = ValueKind::kNumber;
      obj->number = t;
      obj->is_integer = true;
      obj->number_text = {};
      obj->unit = {};
    } else if (r.count != 1 || !r.group(0).empty()) {
      AddError(out, line, "bad device type", r.raw);
    }
  } else if (id) {
    dev->equipment_id = obj->text;
  } else if (obj->kind == ValueKind::kNumber) {
    dev->has_value = true;
    dev->value = obj->number;
    dev->unit = obj->unit;
    dev->number_text = obj->number_text;
    dev->timestamp = obj->timestamp;
    dev->value_obis = o;
  }
}

// Appends an object, built in place: the vector keeps its capacity across
// telegrams. Copied from a constant rather than value-initialised (why:
// bench/README.md).
CosemObject& AddObject(const Obis& obis, uint32_t line, Reading* out) {
  static constexpr CosemObject kBlank{};
  CosemObject& obj = out->objects.emplace_back(kBlank);
  obj.obis = obis;
  obj.line = line;
  return obj;
}

}  // namespace

bool ParseObis(std::string_view text, Obis* out) {
  size_t end = 0;
  return ParseObisPrefix<false>(text, out, &end) && end == text.size();
}

bool ParseTelegram(std::string_view text, Reading* out) {
  out->Clear();
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    out->errors.push_back("line 1: no '/' identification line");
    return false;
  }
  text.remove_prefix(slash);
  size_t nl = text.find('\n');
  size_t pos = nl == std::string_view::npos ? text.size() : nl + 1;
  out->header = StripLineEnd(text.substr(1, pos - (nl == std::string_view::npos ? 1 : 2)));
  uint32_t line = 1;
  Record rec;  // on the stack, no heap
  rec.text_end = text.data() + text.size();
  while (pos < text.size()) {
    // "A-B:C.D.E(" parsed straight from the text; anything else is a blank,
    // '!', junk or stray value line.
    ++line;
    Obis obis;
    size_t obis_len = 0;
    const std::string_view rest(text.data() + pos, text.size() - pos);
    bool is_obis = rest.size() >= kObisUncheckedBytes
                       ? ParseObisPrefix<true>(rest, &obis, &obis_len)
                       : ParseObisPrefix<false>(rest, &obis, &obis_len);
    size_t paren = obis_len;
    while (is_obis && paren < rest.size() && rest[paren] == ' ') ++paren;
    if (!is_obis || paren >= rest.size() || rest[paren] != '(') {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view l = StripLineEnd(text.substr(pos, end - pos));
      pos = end + 1;
      if (l.empty()) continue;
      if (l[0] == '!') break;
      AddError(out, line, l[0] == '(' ? "value line without object" : "not an OBIS line", l);
      continue;
    }
    CosemObject& obj = AddObject(obis, line, out);
    size_t p = pos + paren;
    ScanGroups(text, &p, &line, out, &rec);
    pos = p;
    if (obis.c == 99 && obis.d == 97 && obis.e == 0) {
      ParseEventLog(rec, obj.line, out, &obj);
    } else if (obis.c == 98 && obis.d == 1 && obis.e == 0) {
      ParseHistory(rec, obj.line, out, &obj);
    } else if (obis.c == 24 && obis.d == 3 && obis.e == 0) {
      ParseGasProfile(rec, obj.line, out, &obj);
    } else {
      ParseGeneric(rec, obj.line, out, &obj);
    }
    if (IsMbusChannel(obis)) UpdateMbus(rec, obj.line, out, &obj);
  }
  return out->errors.empty();
}

}  // namespace p1
