// Small JSON output helpers shared by every JSON document p1gateway writes
// (`parse --format json`, the HomeWizard and DSMR-logger views): string
// escaping that yields valid JSON for any input bytes, shortest round-trip
// numbers, and a writer that places commas and keys. Pure; appends to a
// caller-owned string.
#ifndef P1GW_GATEWAY_CORE_JSON_WRITER_H_
#define P1GW_GATEWAY_CORE_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace p1 {

// Appends `s` as a JSON string: control bytes escaped, bytes that are not
// well-formed UTF-8 replaced by U+FFFD.
void AppendJsonString(std::string* out, std::string_view s);

// Appends the shortest text that reads back as `v` (std::to_chars): 543,
// 13779.338, -0.5. NaN and infinities, which JSON cannot hold, become null.
void AppendJsonNumber(std::string* out, double v);

// Writes one JSON value (usually an object) into *out, which must outlive
// the writer. Call Key() before each member of an object; the writer adds
// the commas. Nesting deeper than 64 levels is a programming error.
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view v);
  JsonWriter& Number(double v);
  JsonWriter& Int(int64_t v);

 private:
  void BeforeValue();
  JsonWriter& Open(char c);
  JsonWriter& Close(char c);

  std::string* out_;
  uint64_t has_member_ = 0;  // bit d: the container at depth d already holds a value
  int depth_ = 0;
  bool after_key_ = false;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_JSON_WRITER_H_
