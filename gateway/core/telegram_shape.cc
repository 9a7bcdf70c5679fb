#include "gateway/core/telegram_shape.h"

#include <cstddef>

namespace p1 {
namespace {

constexpr size_t kMaxHeaderLine = 160;

bool IsLetter(char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Skips one or more digits at line[*i]; false if there is none.
bool Digits(std::string_view line, size_t* i) {
  const size_t start = *i;
  while (*i < line.size() && IsDigit(line[*i])) ++*i;
  return *i > start;
}

// "a-b:c.d.e" (optionally "*f") directly followed by '('.
bool IsObisLine(std::string_view line) {
  size_t i = 0;
  static constexpr char kSeparators[] = {'-', ':', '.', '.'};
  for (char sep : kSeparators) {
    if (!Digits(line, &i) || i >= line.size() || line[i] != sep) return false;
    ++i;
  }
  if (!Digits(line, &i)) return false;
  if (i < line.size() && line[i] == '*') {
    ++i;
    if (!Digits(line, &i)) return false;
  }
  return i < line.size() && line[i] == '(';
}

// Tab and every byte from space up, except DEL; bytes >= 0x80 pass (text
// values of old meters are not always ASCII).
bool IsTextByte(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7F); }

}  // namespace

bool CheckTelegramShape(std::string_view text, const char** why) {
  const size_t header_end = text.find('\n');
  if (text.empty() || text[0] != '/' || header_end == std::string_view::npos) {
    *why = "no header line";
    return false;
  }
  std::string_view header = text.substr(0, header_end);
  if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
  if (header.size() < 5 || header.size() > kMaxHeaderLine || !IsLetter(header[1]) ||
      !IsLetter(header[2]) || !IsLetter(header[3]) || header.find('\0') != std::string_view::npos ||
      header.find('\r') != std::string_view::npos) {
    *why = "bad header line";
    return false;
  }
  bool obis = false;
  size_t pos = header_end + 1;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line[0] == '!') break;  // the CRC line ends the telegram
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    for (char c : line) {
      if (!IsTextByte(static_cast<unsigned char>(c))) {
        *why = "control bytes in a line";
        return false;
      }
    }
    obis = obis || IsObisLine(line);
  }
  if (!obis) {
    *why = "no OBIS line";
    return false;
  }
  return true;
}

}  // namespace p1
