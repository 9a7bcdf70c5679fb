// libFuzzer target: ParseConfig on arbitrary text never crashes or throws; a
// failure gives one non-empty line; a success dumps (DumpConfig) to TOML that
// parses back to an equal config (keys aside: the dump redacts them, and
// must never contain them). Then a decryption key line with a 32-hex-digit
// value derived from the input is put into the text (quoted or not, with or
// without 0x) and an error message must never contain that value.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/base/hex.h"
#include "config/config.h"

namespace {

void Fail(const char* what, std::string_view a, std::string_view b = {}) {
  std::fprintf(stderr, "config_fuzz: %s\n--- a ---\n%.*s\n--- b ---\n%.*s\n", what,
               static_cast<int>(a.size()), a.data(), static_cast<int>(b.size()), b.data());
  std::abort();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

std::string Hex(const std::array<uint8_t, 16>& key) { return p1::ToHex(key); }

bool ParseChecked(std::string_view text, p1::GatewayConfig* out, std::string* err) {
  err->clear();
  const bool ok = p1::ParseConfig(text, "fuzz", out, err);
  if (!ok && (err->empty() || err->find('\n') != std::string::npos)) {
    Fail("error is not one non-empty line", text, *err);
  }
  return ok;
}

void CheckRoundTrip(std::string_view text, p1::GatewayConfig config) {
  // The dump redacts keys and "<redacted>" does not parse (by design); it must
  // not contain the key itself.
  const std::string with_keys = Lower(p1::DumpConfig(config));
  for (p1::MeterConfig& m : config.meters) {
    for (auto* key : {&m.key, &m.aad_key}) {
      if (*key && with_keys.find(Hex(**key)) != std::string::npos) Fail("dump shows a key", text);
      key->reset();
    }
  }
  const std::string dump = p1::DumpConfig(config);
  p1::GatewayConfig again;
  std::string err;
  if (!ParseChecked(dump, &again, &err)) Fail("dump does not parse", dump, err);
  if (!(again == config)) Fail("dump parses to a different config", text, dump);
}

// A key line with a value derived from the input, in one of several forms.
void CheckKeyNotEchoed(std::string_view text) {
  uint64_t h1 = 0xcbf29ce484222325u, h2 = 0x84222325cbf29ce4u;
  for (unsigned char c : text) {
    h1 = (h1 ^ c) * 0x100000001b3u;
    h2 = (h2 ^ c) * 0x100000001b3u + 0x9e3779b97f4a7c15u;
  }
  std::array<uint8_t, 16> key;
  for (int i = 0; i < 8; ++i) {
    key[i] = static_cast<uint8_t>(h1 >> (8 * i));
    key[8 + i] = static_cast<uint8_t>(h2 >> (8 * i));
  }
  const std::string hex = Hex(key);
  const uint64_t pick = h1 ^ (h2 >> 7);
  std::string value = hex;
  if (pick & 1) {
    for (char& c : value) c = (c >= 'a' && c <= 'f') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  static constexpr const char* kForms[][2] = {{"", ""},   {"0x", ""}, {"\"", "\""}, {"'", "'"},
                                              {"\"", ""}, {"", "\""}, {"0x", "\""}, {"\"0x", "\""}};
  const auto& form = kForms[(pick >> 1) % 8];
  const char* name = (pick & 16) ? "aad_key" : "key";
  const std::string line = std::string(name) + " = " + form[0] + value + form[1] + "\n";

  // A line inserted into a multi-line string is not a key line; then the key
  // goes first (top level, or in a [[meters]] table the input continues).
  std::string doc;
  const bool multiline =
      text.find("\"\"\"") != std::string_view::npos || text.find("'''") != std::string_view::npos;
  if (multiline) {
    doc = ((pick & 32) ? "[[meters]]\n" : "") + line + std::string(text);
  } else {
    size_t lines = 1;
    for (char c : text) lines += c == '\n';
    size_t before = (pick >> 8) % (lines + 1), pos = 0;
    for (; before > 0 && pos < text.size(); --before) {
      pos = text.find('\n', pos);
      pos = pos == std::string_view::npos ? text.size() : pos + 1;
    }
    doc = std::string(text.substr(0, pos));
    if (!doc.empty() && doc.back() != '\n') doc += '\n';
    doc += line;
    doc += text.substr(pos);
  }
  if (Lower(text).find(hex) != std::string::npos) return;  // the input had it already
  p1::GatewayConfig config;
  std::string err;
  if (!ParseChecked(doc, &config, &err) && Lower(err).find(hex) != std::string::npos) {
    Fail("error message shows a key", doc, err);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size > 64 * 1024) return 0;  // the loader caps files at 1 MiB; keep runs fast
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  p1::GatewayConfig config;
  std::string err;
  if (ParseChecked(text, &config, &err)) CheckRoundTrip(text, config);
  CheckKeyNotEchoed(text);
  return 0;
}
