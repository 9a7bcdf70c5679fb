// The send path the proxy tests run on, from P1GW_IO_URING as ctest sets it:
// unset or "off": one write per client; "on": batched on io_uring (required);
// "late": batched, every send reported later through the eventfd.
#ifndef P1GW_TESTS_PROXY_BATCH_MODE_H_
#define P1GW_TESTS_PROXY_BATCH_MODE_H_

#include <catch2/catch.hpp>
#include <cstdlib>
#include <memory>
#include <string>

#include "proxy/send_batch.h"

namespace p1::testing {

inline std::string BatchModeName() {
  const char* env = std::getenv("P1GW_IO_URING");
  return env == nullptr || *env == '\0' ? "off" : env;
}

inline std::unique_ptr<SendBatch> BatchForTests(uv_loop_t* loop) {
  const std::string mode = BatchModeName();
  if (mode == "off") return nullptr;
  REQUIRE((mode == "on" || mode == "late"));
  SendBatch::Options options;
  options.late = mode == "late";
  std::string why;
  auto batch = SendBatch::Create(loop, &why, options);
  INFO(why);
  REQUIRE(batch != nullptr);
  return batch;
}

}  // namespace p1::testing

#endif  // P1GW_TESTS_PROXY_BATCH_MODE_H_
