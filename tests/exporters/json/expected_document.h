// Test helper for the JSON document tests: an expected document kept in
// tests/exporters/json/data (P1GW_JSON_TEST_DATA), without its final newline.
#ifndef P1GW_TESTS_EXPORTERS_JSON_EXPECTED_DOCUMENT_H_
#define P1GW_TESTS_EXPORTERS_JSON_EXPECTED_DOCUMENT_H_

#include <string>

#include "tests/support/corpus_files.h"

namespace p1::testing {

inline std::string JsonTestData(const std::string& name) {
  return ReadFile(std::string(P1GW_JSON_TEST_DATA) + "/" + name);
}

inline std::string ExpectedDocument(const std::string& name) {
  std::string s = JsonTestData(name);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace p1::testing

#endif  // P1GW_TESTS_EXPORTERS_JSON_EXPECTED_DOCUMENT_H_
