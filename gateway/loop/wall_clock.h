// Wall-clock time for the runtime (the pure core never reads a clock).
#ifndef P1GW_GATEWAY_LOOP_WALL_CLOCK_H_
#define P1GW_GATEWAY_LOOP_WALL_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace p1 {

// Milliseconds since the Unix epoch. The loop's cached time is monotonic;
// telegrams and metrics need calendar time.
inline int64_t WallClockMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace p1

#endif  // P1GW_GATEWAY_LOOP_WALL_CLOCK_H_
