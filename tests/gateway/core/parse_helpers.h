// Test helpers for the parser/render tests: a telegram text together with
// the Reading parsed from it (the Reading's views point into `text`, so the
// pair lives behind a unique_ptr and is never moved).
#ifndef P1GW_TESTS_GATEWAY_CORE_PARSE_HELPERS_H_
#define P1GW_TESTS_GATEWAY_CORE_PARSE_HELPERS_H_

#include <memory>
#include <string>

#include "gateway/core/parser.h"
#include "gateway/core/reading.h"
#include "tests/support/corpus_files.h"

namespace p1::testing {

struct Parsed {
  std::string text;
  Reading reading;
  bool ok = false;
};

inline std::unique_ptr<Parsed> ParseText(std::string text) {
  auto p = std::make_unique<Parsed>();
  p->text = std::move(text);
  p->ok = ParseTelegram(p->text, &p->reading);
  return p;
}

inline std::unique_ptr<Parsed> ParseCorpus(const std::string& name) {
  return ParseText(ReadCorpusFile(name));
}

inline Obis O(const char* code) {
  Obis o;
  ParseObis(code, &o);
  return o;
}

// The n-th (0-based) object with that code, or nullptr.
inline const CosemObject* FindNth(const Reading& r, const char* code, size_t n) {
  Obis o = O(code);
  for (const CosemObject& obj : r.objects) {
    if (obj.obis == o && n-- == 0) return &obj;
  }
  return nullptr;
}

inline const MbusDevice* Channel(const Reading& r, int channel) {
  for (const MbusDevice& d : r.mbus) {
    if (d.channel == channel) return &d;
  }
  return nullptr;
}

}  // namespace p1::testing

#endif  // P1GW_TESTS_GATEWAY_CORE_PARSE_HELPERS_H_
