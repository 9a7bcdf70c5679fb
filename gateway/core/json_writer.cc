#include "gateway/core/json_writer.h"

#include <cassert>
#include <charconv>
#include <cmath>

#include "gateway/base/hex.h"

namespace p1 {

// Control bytes are escaped and bytes that are not well-formed UTF-8 become
// U+FFFD, so a header with binary noise (Iskra IE's 0x02, line garbage)
// still yields valid JSON.
void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out->append("\\u00");
            AppendHexByte(out, c);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    size_t len = c >= 0xc2 && c <= 0xdf   ? 2
                 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4
                                          : 0;
    bool ok = len != 0 && i + len <= s.size();
    uint32_t cp = ok ? (c & (0x7f >> len)) : 0;
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (ok) {
      ok = !(len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) &&
           !(len == 4 && (cp < 0x10000 || cp > 0x10ffff));
    }
    if (ok) {
      out->append(s.substr(i, len));
      i += len;
    } else {
      out->append("\\ufffd");
      ++i;
    }
  }
  out->push_back('"');
}

void AppendJsonNumber(std::string* out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc() || !std::isfinite(v)) {
    out->append("null");
    return;
  }
  out->append(buf, end);
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ > 0) {
    uint64_t bit = uint64_t{1} << (depth_ - 1);
    if (has_member_ & bit) out_->push_back(',');
    has_member_ |= bit;
  }
}

JsonWriter& JsonWriter::Open(char c) {
  BeforeValue();
  assert(depth_ < 64);
  out_->push_back(c);
  ++depth_;
  has_member_ &= ~(uint64_t{1} << (depth_ - 1));
  return *this;
}

JsonWriter& JsonWriter::Close(char c) {
  assert(depth_ > 0 && !after_key_);
  --depth_;
  out_->push_back(c);
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  BeforeValue();
  AppendJsonString(out_, key);
  out_->push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view v) {
  BeforeValue();
  AppendJsonString(out_, v);
  return *this;
}

JsonWriter& JsonWriter::Number(double v) {
  BeforeValue();
  AppendJsonNumber(out_, v);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) {
  BeforeValue();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, end);
  return *this;
}

}  // namespace p1
