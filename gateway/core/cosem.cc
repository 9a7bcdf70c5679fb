#include "gateway/core/cosem.h"

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "gateway/core/crc16.h"

namespace p1 {

namespace {

// A-XDR type tags (DLMS Blue Book, "Data").
enum Tag : uint8_t {
  kNull = 0x00,
  kArray = 0x01,
  kStructure = 0x02,
  kBoolean = 0x03,
  kBitString = 0x04,
  kDoubleLong = 0x05,
  kDoubleLongUnsigned = 0x06,
  kOctetString = 0x09,
  kVisibleString = 0x0A,
  kUtf8String = 0x0C,
  kBcd = 0x0D,
  kInteger = 0x0F,
  kLong = 0x10,
  kUnsigned = 0x11,
  kLongUnsigned = 0x12,
  kLong64 = 0x14,
  kLong64Unsigned = 0x15,
  kEnum = 0x16,
  kFloat32 = 0x17,
  kFloat64 = 0x18,
  kDateTime = 0x19,
  kDate = 0x1A,
  kTime = 0x1B,
};

constexpr int kMaxDepth = 16;

// One leaf of the data tree.
struct Item {
  uint8_t tag = kNull;
  bool numeric = false;
  int64_t integer = 0;  // numeric values (floats are not registers here)
  std::string_view bytes;  // strings
  bool scaler_unit = false;  // a structure {integer, enum}: integer = scaler, unit
  uint8_t unit = 0;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Done() const { return pos_ == in_.size(); }
  bool Byte(uint8_t* b) {
    if (pos_ >= in_.size()) return false;
    *b = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (in_.size() - pos_ < n) return false;
    *out = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool Unsigned(size_t n, uint64_t* v) {
    std::string_view b;
    if (!Bytes(n, &b)) return false;
    *v = 0;
    for (char c : b) *v = (*v << 8) | static_cast<uint8_t>(c);
    return true;
  }
  // A-XDR length: one byte below 0x80, else 0x8N and N bytes.
  bool Length(size_t* n) {
    uint8_t b;
    if (!Byte(&b)) return false;
    if (b < 0x80) {
      *n = b;
      return true;
    }
    uint64_t v;
    if (b > 0x84 || !Unsigned(b & 0x7F, &v) || v > in_.size()) return false;
    *n = static_cast<size_t>(v);
    return true;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

int64_t Signed(uint64_t v, int bits) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

bool ReadData(Reader& r, int depth, std::vector<Item>* items);

bool ReadElements(Reader& r, int depth, std::vector<Item>* items) {
  size_t n;
  if (!r.Length(&n) || depth >= kMaxDepth) return false;
  const size_t first = items->size();
  for (size_t i = 0; i < n; ++i) {
    if (!ReadData(r, depth + 1, items)) return false;
  }
  // {integer scaler, enum unit}: one item that scales the value before it.
  if (n == 2 && items->size() == first + 2 && (*items)[first].tag == kInteger &&
      (*items)[first + 1].tag == kEnum) {
    Item su;
    su.tag = kStructure;
    su.scaler_unit = true;
    su.integer = (*items)[first].integer;
    su.unit = static_cast<uint8_t>((*items)[first + 1].integer);
    items->resize(first);
    items->push_back(su);
  }
  return true;
}

bool ReadData(Reader& r, int depth, std::vector<Item>* items) {
  Item it;
  if (!r.Byte(&it.tag)) return false;
  uint64_t v = 0;
  size_t n = 0;
  switch (it.tag) {
    case kNull:
      return true;
    case kArray:
    case kStructure:
      return ReadElements(r, depth, items);
    case kBoolean:
    case kUnsigned:
    case kEnum:
    case kBcd:
      if (!r.Unsigned(1, &v)) return false;
      it.integer = static_cast<int64_t>(v);
      it.numeric = it.tag != kBoolean && it.tag != kEnum;
      break;
    case kInteger:
      if (!r.Unsigned(1, &v)) return false;
      it.integer = Signed(v, 8);
      it.numeric = true;
      break;
    case kLong:
    case kLongUnsigned:
      if (!r.Unsigned(2, &v)) return false;
      it.integer = it.tag == kLong ? Signed(v, 16) : static_cast<int64_t>(v);
      it.numeric = true;
      break;
    case kDoubleLong:
    case kDoubleLongUnsigned:
      if (!r.Unsigned(4, &v)) return false;
      it.integer = it.tag == kDoubleLong ? Signed(v, 32) : static_cast<int64_t>(v);
      it.numeric = true;
      break;
    case kLong64:
    case kLong64Unsigned:
      if (!r.Unsigned(8, &v)) return false;
      if (it.tag == kLong64Unsigned && v > static_cast<uint64_t>(INT64_MAX)) return false;
      it.integer = static_cast<int64_t>(v);
      it.numeric = true;
      break;
    case kFloat32:
    case kFloat64:
      return r.Bytes(it.tag == kFloat32 ? 4 : 8, &it.bytes);  // skipped
    case kBitString:
      if (!r.Length(&n)) return false;
      return r.Bytes((n + 7) / 8, &it.bytes);
    case kOctetString:
    case kVisibleString:
    case kUtf8String:
      if (!r.Length(&n) || !r.Bytes(n, &it.bytes)) return false;
      break;
    case kDateTime:
      if (!r.Bytes(12, &it.bytes)) return false;
      it.tag = kOctetString;  // same 12 bytes as the octet-string form
      break;
    case kDate:
    case kTime:
      return r.Bytes(it.tag == kDate ? 5 : 4, &it.bytes);
    default:
      return false;  // compact arrays and the rest: not sent by these meters
  }
  items->push_back(it);
  return true;
}

// COSEM date-time: year(2) month day weekday hour minute second hundredths
// deviation(2) status. Renders YYMMDDhhmmssX (X = S during DST, else W).
bool DateTime(std::string_view b, std::string* out) {
  if (b.size() != 12) return false;
  auto u = [&](size_t i) { return static_cast<uint8_t>(b[i]); };
  const int year = u(0) << 8 | u(1);
  const int month = u(2), day = u(3), hour = u(5), minute = u(6), second = u(7);
  if (year < 2000 || year > 2099 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 59) {
    return false;
  }
  const uint8_t status = u(11);
  const int deviation = static_cast<int16_t>(u(8) << 8 | u(9));
  // Status 0xFF: not specified; then CEST's deviation (-120 min) says summer.
  const bool dst = status != 0xFF ? (status & 0x80) != 0 : deviation == -120;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d%02d%02d%02d%02d%02d%c", year % 100, month, day, hour, minute,
                second, dst ? 'S' : 'W');
  *out = buf;
  return true;
}

bool Printable(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < 0x20 || c > 0x7E || c == '(' || c == ')') return false;
  }
  return true;
}

const char* UnitName(uint8_t unit) {
  switch (unit) {
    case 27: return "W";
    case 28: return "VA";
    case 29: return "var";
    case 30: return "Wh";
    case 31: return "VAh";
    case 32: return "varh";
    case 33: return "A";
    case 35: return "V";
    case 44: return "Hz";
    default: return nullptr;  // 255 "count" and the rest: a plain number
  }
}

// value * 10^scaler as fixed-point text with max(0, -scaler) decimals.
std::string Scaled(int64_t value, int scaler) {
  if (scaler > 9 || scaler < -9) scaler = 0;
  char buf[48];
  if (scaler >= 0) {
    // Zeros appended, not a multiplication: a long64 times 10^9 overflows.
    std::string out = std::to_string(value);
    if (value != 0) out.append(static_cast<size_t>(scaler), '0');
    return out;
  }
  uint64_t div = 1;
  for (int i = 0; i < -scaler; ++i) div *= 10;
  const uint64_t mag = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  std::snprintf(buf, sizeof buf, "%s%" PRIu64 ".%0*" PRIu64, value < 0 ? "-" : "", mag / div,
                -scaler, mag % div);
  return buf;
}

}  // namespace

bool DlmsNotificationToDsmr(std::string_view apdu, std::string_view system_title,
                            std::string* telegram, std::string* err) {
  telegram->clear();
  Reader r(apdu);
  uint8_t tag;
  std::string_view invoke, header_time;
  if (!r.Byte(&tag) || tag != kDlmsDataNotification) {
    *err = "not a DLMS data-notification";
    return false;
  }
  size_t time_len;
  if (!r.Bytes(4, &invoke) || !r.Length(&time_len) || !r.Bytes(time_len, &header_time)) {
    *err = "DLMS data-notification header truncated";
    return false;
  }
  std::vector<Item> items;
  if (!ReadData(r, 0, &items) || !r.Done()) {
    *err = "malformed DLMS data in the notification";
    return false;
  }

  std::string clock, serial, lines;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    const bool string = it.tag == kOctetString || it.tag == kVisibleString;
    const Item* next = i + 1 < items.size() ? &items[i + 1] : nullptr;
    if (it.tag == kOctetString && it.bytes.size() == 6 && next &&
        (next->numeric || (next->tag != kUtf8String && Printable(next->bytes)))) {
      ++i;
      std::string text;
      if (next->numeric) {
        int scaler = 0;
        const char* unit = nullptr;
        if (i + 1 < items.size() && items[i + 1].scaler_unit) {
          ++i;
          scaler = static_cast<int>(items[i].integer);
          unit = UnitName(items[i].unit);
        }
        text = Scaled(next->integer, scaler);
        if (unit) text = text + "*" + unit;
      } else {
        text = std::string(next->bytes);
      }
      const auto o = [&](size_t k) { return static_cast<unsigned>(static_cast<uint8_t>(it.bytes[k])); };
      char obis[40];
      std::snprintf(obis, sizeof obis, "%u-%u:%u.%u.%u(", o(0), o(1), o(2), o(3), o(4));
      lines += obis + text + ")\r\n";
      continue;
    }
    if (!string) continue;
    if (clock.empty() && it.tag == kOctetString && DateTime(it.bytes, &clock)) continue;
    if (serial.empty() && it.bytes.size() <= 96 && Printable(it.bytes)) serial = it.bytes;
  }
  if (lines.empty()) {
    *err = "DLMS data-notification without OBIS values";
    return false;
  }
  if (clock.empty()) DateTime(header_time, &clock);

  std::string& out = *telegram;
  out = "/";
  const bool letters = system_title.size() >= 3 && Printable(system_title.substr(0, 3));
  out += letters ? system_title.substr(0, 3) : std::string_view("XXX");
  out += "5\\DLMS\r\n\r\n";
  if (!clock.empty()) out += "0-0:1.0.0(" + clock + ")\r\n";
  if (!serial.empty()) out += "0-0:96.1.0(" + serial + ")\r\n";
  out += lines;
  out += '!';
  char crc[8];
  std::snprintf(crc, sizeof crc, "%04X\r\n", Crc16(out));
  out += crc;
  return true;
}

}  // namespace p1
