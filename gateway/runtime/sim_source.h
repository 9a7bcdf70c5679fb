// SimSource: a built-in simulated meter (demo, tests). Emits one telegram
// per interval from a Simulator; the bytes go through the same framer path
// as a real port's.
#ifndef P1GW_GATEWAY_RUNTIME_SIM_SOURCE_H_
#define P1GW_GATEWAY_RUNTIME_SIM_SOURCE_H_

#include <uv.h>

#include <memory>
#include <string>

#include "config/config.h"
#include "gateway/loop/uv_handle.h"
#include "gateway/runtime/source.h"
#include "gateway/sim/simulator.h"

namespace p1 {

class SimSource : public Source {
 public:
  // `simulator` must be non-null. rate_hz <= 0 uses the variant's interval.
  SimSource(uv_loop_t* loop, std::string variant, std::unique_ptr<Simulator> simulator,
            double rate_hz, SourceListener* listener);
  ~SimSource() override;

  void Start() override;
  std::string Describe() const override;

 private:
  static void OnTick(uv_timer_t* timer);

  uv_loop_t* loop_;
  std::string variant_;
  std::unique_ptr<Simulator> simulator_;
  uint64_t interval_ms_;
  SourceListener* listener_;
  UvHandle<uv_timer_t> timer_;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_RUNTIME_SIM_SOURCE_H_
