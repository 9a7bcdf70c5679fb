// Helpers shared by the config tests.
#ifndef P1GW_TESTS_CONFIG_CONFIG_TEST_UTIL_H_
#define P1GW_TESTS_CONFIG_CONFIG_TEST_UTIL_H_

#include <catch2/catch.hpp>
#include <string>

#include "config/config.h"

namespace p1 {

// Parses `text` as "t.toml"; the test fails (with the error) if it is invalid.
inline GatewayConfig Parse(const std::string& text) {
  GatewayConfig config;
  std::string err;
  INFO(text);
  bool ok = ParseConfig(text, "t.toml", &config, &err);
  INFO(err);
  REQUIRE(ok);
  return config;
}

}  // namespace p1

#endif  // P1GW_TESTS_CONFIG_CONFIG_TEST_UTIL_H_
