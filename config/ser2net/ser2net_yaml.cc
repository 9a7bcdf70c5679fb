// The ser2net.yaml subset P1 users write: "connection: &alias" blocks with
// accepter, connector, enable, timeout and options (block or flow mapping).
// Anything else (aliases, includes, defaults, admin, lists) is refused with
// its line number rather than guessed at.
#include <charconv>

#include "config/ser2net/ser2net_model.h"

namespace p1 {
namespace {

struct YamlLine {
  int no = 0;
  size_t indent = 0;
  std::string_view text;  // comment stripped, trimmed
};

// Drops a "#" comment that starts the line or follows whitespace, outside quotes.
std::string_view StripComment(std::string_view s) {
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
      return s.substr(0, i);
    }
  }
  return s;
}

std::string_view Unquote(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    return v.substr(1, v.size() - 2);
  }
  return v;
}

// "key: value" / "key:"; false if the line is no mapping entry.
bool SplitKeyValue(std::string_view text, std::string_view* key, std::string_view* value) {
  size_t colon = text.find(':');
  while (colon != std::string_view::npos && colon + 1 < text.size() && text[colon + 1] != ' ' &&
         text[colon + 1] != '\t') {
    colon = text.find(':', colon + 1);
  }
  if (colon == std::string_view::npos || colon == 0) return false;
  *key = Trim(text.substr(0, colon));
  *value = Trim(text.substr(colon + 1));
  return true;
}

class YamlReader {
 public:
  YamlReader(std::vector<Ser2netPort>* ports, std::string* why) : ports_(ports), why_(why) {}

  bool Read(std::string_view text);

 private:
  bool Fail(int line, const std::string& message) {
    *why_ = std::to_string(line) + ": " + message;
    return false;
  }
  bool ConnectionKey(const YamlLine& l, std::string_view key, std::string_view value);
  bool Option(const YamlLine& l, std::string_view key, std::string_view value);
  bool FlowOptions(const YamlLine& l, std::string_view value);
  bool FinishConnection();

  std::vector<YamlLine> lines_;
  size_t next_ = 0;
  std::vector<Ser2netPort>* ports_;
  std::string* why_;
  Ser2netPort* current_ = nullptr;
  bool has_accepter_ = false;
  bool has_connector_ = false;
};

bool YamlReader::Read(std::string_view text) {
  int no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? end : end - start);
    ++no;
    size_t indent = line.find_first_not_of(" \t");
    if (line.substr(0, indent).find('\t') != std::string_view::npos) {
      return Fail(no, "tabs are not allowed for YAML indentation");
    }
    std::string_view content = Trim(StripComment(line));
    if (!content.empty()) lines_.push_back(YamlLine{no, indent, content});
    if (end == std::string_view::npos) break;
    start = end + 1;
  }

  while (next_ < lines_.size()) {
    const YamlLine& l = lines_[next_++];
    if (l.indent == 0 && (l.text[0] == '%' || l.text == "---" || l.text == "...")) continue;
    if (l.text[0] == '-') return Fail(l.no, "YAML lists are not supported by import-ser2net");
    std::string_view key, value;
    if (!SplitKeyValue(l.text, &key, &value)) {
      return Fail(l.no, "expected 'key: value', got '" + std::string(l.text) + "'");
    }
    if (l.indent == 0) {
      if (key != "connection") {
        return Fail(l.no, "'" + std::string(key) +
                              "' is not supported by import-ser2net (only connection: blocks); "
                              "convert it by hand");
      }
      if (!FinishConnection()) return false;
      if (!value.empty() && (value[0] != '&' || value.find(' ') != std::string_view::npos)) {
        return Fail(l.no, "expected 'connection: &name', got '" + std::string(l.text) + "'");
      }
      ports_->emplace_back();
      current_ = &ports_->back();
      current_->line = l.no;
      current_->alias = std::string(value.empty() ? value : value.substr(1));
      continue;
    }
    if (current_ == nullptr) return Fail(l.no, "indented line outside a connection block");
    if (!ConnectionKey(l, key, value)) return false;
  }
  if (!FinishConnection()) return false;
  if (ports_->empty()) return Fail(no, "no 'connection:' blocks found");
  return true;
}

bool YamlReader::FinishConnection() {
  if (current_ == nullptr) return true;
  if (!has_accepter_) return Fail(current_->line, "connection without an accepter");
  if (!has_connector_) return Fail(current_->line, "connection without a connector");
  has_accepter_ = has_connector_ = false;
  return true;
}

bool YamlReader::ConnectionKey(const YamlLine& l, std::string_view key, std::string_view value) {
  if (!value.empty() && value[0] == '*') {
    return Fail(l.no,
                "alias and file substitutions (" + std::string(value) + ") are not supported");
  }
  bool block_scalar = !value.empty() && (value[0] == '|' || value[0] == '>');
  if (block_scalar) {
    // Multi-line text (banners): skip its lines; only ignorable keys may use it.
    while (next_ < lines_.size() && lines_[next_].indent > l.indent) ++next_;
  }
  std::string why;
  if (key == "accepter" || key == "connector") {
    if (block_scalar) return Fail(l.no, "multi-line " + std::string(key) + " is not supported");
    bool ok = key == "accepter" ? ParseAccepter(Unquote(value), current_, &why)
                                : ParseConnector(Unquote(value), current_, &why);
    if (!ok) return Fail(l.no, why);
    (key == "accepter" ? has_accepter_ : has_connector_) = true;
    return true;
  }
  if (key == "enable") {
    if (!ParseSer2netBool(Unquote(value), &current_->enabled)) {
      return Fail(l.no, "enable must be on or off, not '" + std::string(value) + "'");
    }
    return true;
  }
  if (key == "timeout") {
    int seconds = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || seconds < 0) {
      return Fail(l.no, "timeout must be a number of seconds, not '" + std::string(value) + "'");
    }
    if (seconds > 0) {
      current_->notes.push_back("timeout " + std::to_string(seconds) +
                                " s (idle client disconnect) dropped: clients stay connected; "
                                "a silent meter shows as dsmr_meter_up 0 after stale_after");
    }
    return true;
  }
  if (key == "options") {
    if (block_scalar) return Fail(l.no, "options must be a mapping");
    if (!value.empty()) return FlowOptions(l, value);
    while (next_ < lines_.size() && lines_[next_].indent > l.indent) {
      const YamlLine& o = lines_[next_++];
      std::string_view okey, ovalue;
      if (!SplitKeyValue(o.text, &okey, &ovalue)) {
        return Fail(o.no, "expected 'option: value', got '" + std::string(o.text) + "'");
      }
      if (!ovalue.empty() && (ovalue[0] == '|' || ovalue[0] == '>')) {
        while (next_ < lines_.size() && lines_[next_].indent > o.indent) ++next_;
        ovalue = "(multi-line text)";
      }
      if (!Option(o, okey, ovalue)) return false;
    }
    return true;
  }
  return Fail(l.no, "unknown connection key '" + std::string(key) + "'");
}

bool YamlReader::FlowOptions(const YamlLine& l, std::string_view value) {
  if (value.front() != '{' || value.back() != '}') {
    return Fail(l.no,
                "options must be a mapping on its own lines or {key: value, ...} on one line");
  }
  std::string_view inner = value.substr(1, value.size() - 2);
  // Split on commas outside quotes.
  char quote = 0;
  size_t start = 0;
  for (size_t i = 0; i <= inner.size(); ++i) {
    char c = i < inner.size() ? inner[i] : ',';
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    if (c != ',') continue;
    std::string_view entry = Trim(inner.substr(start, i - start));
    start = i + 1;
    if (entry.empty()) continue;
    std::string_view key, v;
    if (!SplitKeyValue(entry, &key, &v)) {
      return Fail(l.no, "expected 'option: value' in '" + std::string(entry) + "'");
    }
    if (!Option(l, key, v)) return false;
  }
  return true;
}

bool YamlReader::Option(const YamlLine& l, std::string_view key, std::string_view value) {
  if (!value.empty() && value[0] == '*') {
    return Fail(l.no,
                "alias and file substitutions (" + std::string(value) + ") are not supported");
  }
  std::string why;
  if (!ApplySer2netOption(key, Unquote(value), current_, &why)) return Fail(l.no, why);
  return true;
}

}  // namespace

bool ReadSer2netYaml(std::string_view text, std::vector<Ser2netPort>* ports, std::string* why) {
  return YamlReader(ports, why).Read(text);
}

}  // namespace p1
