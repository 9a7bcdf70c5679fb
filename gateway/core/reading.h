// Reading: the parsed, typed content of one DSMR telegram. Produced by the
// parser (gateway/core/parser.h). All string_views point into the plaintext
// the Reading was parsed from; the owner of that text must outlive the
// Reading.
// Clear() keeps vector capacity so a reused Reading does not allocate in
// steady state.
#ifndef P1GW_GATEWAY_CORE_READING_H_
#define P1GW_GATEWAY_CORE_READING_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace p1 {

enum class CrcStatus : uint8_t { kValid, kInvalid, kAbsent };
const char* CrcStatusName(CrcStatus s);  // "valid" | "invalid" | "absent"

// OBIS code A-B:C.D.E (EasyMeter's "*255" suffix dropped).
struct Obis {
  uint8_t a = 0, b = 0, c = 0, d = 0, e = 0;

  constexpr uint64_t Key() const {
    return (uint64_t{a} << 32) | (uint64_t{b} << 24) | (uint64_t{c} << 16) | (uint64_t{d} << 8) | e;
  }
  constexpr bool operator==(const Obis& o) const { return Key() == o.Key(); }
  std::string ToString() const;  // "1-0:1.8.1"
};

// A DSMR timestamp (YYMMDDhhmmss[S|W]) resolved to UTC. Meters send local
// time; S means CEST (+02:00), W means CET (+01:00); no suffix (DSMR 2.2/3)
// is taken as CET/CEST by calendar rule.
struct Timestamp {
  int64_t unix_seconds = 0;
  int16_t offset_minutes = 0;
  bool valid = false;
  std::string ToIso8601() const;  // "2024-03-17T14:15:23+01:00"; "" if invalid
};

// One entry of the long power-failure log (1-0:99.97.0).
struct PowerFailureEvent {
  Timestamp end;
  int64_t duration_s = 0;
};

// One entry of a profile/history object (Belgian 0-0:98.1.0 month peaks,
// Hungarian monthly billing values).
struct HistoryEntry {
  Timestamp period;  // the month it covers (BE); invalid when absent
  Timestamp time;    // when the peak occurred (BE); invalid when absent
  double value = 0;
  std::string_view unit;
  std::string_view number_text;  // digits as sent, e.g. "03.695"
  bool has_period = false;       // false: the meter sent no period (Hungarian form has one for all)
  bool has_time = false;         // false: the meter sent no peak time
};

enum class ValueKind : uint8_t {
  kNone,       // "()" or no value
  kNumber,     // number, optionally with unit
  kText,       // octet string; `text` holds the raw (usually hex) value
  kTimestamp,  // `timestamp` holds the value
  kEvents,     // power-failure log: events[first, first+count)
  kEntries,    // history: entries[first, first+count)
  kRaw,        // unrecognised structure; `text` holds everything after the OBIS code
};

struct CosemObject {
  Obis obis;
  uint32_t line = 0;  // 1-based line number within the telegram
  ValueKind kind = ValueKind::kNone;
  double number = 0;
  bool is_integer = false;        // the meter sent no decimal point
  std::string_view number_text;   // digits as sent, e.g. "000123.456"
  std::string_view unit;          // as sent ("kWh", "kVar", "m3"); may be empty
  std::string_view text;          // for kText / kRaw
  Timestamp timestamp;            // value for kTimestamp; capture time for M-Bus readings
  bool has_timestamp = false;     // number value with capture time (24.2.x, 1.6.0)
  uint32_t first = 0, count = 0;  // range into Reading::events or Reading::entries
};

// One M-Bus device (channel 1..4), assembled from 0-n:24.1.0 (device type),
// 0-n:96.1.0/96.1.1 (equipment id) and its reading (24.2.1, 24.2.3, 24.3.0).
struct MbusDevice {
  uint8_t channel = 0;
  // EN 13757-3 medium: 3 gas, 4/12 heat, 7 water, 10/11 cooling...; -1 unknown.
  int device_type = -1;
  std::string_view equipment_id;  // raw (hex) as sent
  bool has_value = false;
  double value = 0;
  std::string_view unit;
  std::string_view number_text;  // digits as sent
  Timestamp timestamp;
  Obis value_obis;  // which register carried the value
};

struct Reading {
  std::string_view header;  // identification line without '/' and line end
  CrcStatus crc = CrcStatus::kAbsent;
  std::vector<CosemObject> objects;  // in telegram order, unknown codes included
  std::vector<PowerFailureEvent> events;
  std::vector<HistoryEntry> entries;
  std::vector<MbusDevice> mbus;     // ordered by channel
  std::vector<std::string> errors;  // "line 7: bad value '…'"

  void Clear();
  const CosemObject* Find(Obis code) const;  // first object with that code, or nullptr
};

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_READING_H_
