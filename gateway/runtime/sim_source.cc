#include "gateway/runtime/sim_source.h"

#include "gateway/loop/wall_clock.h"

namespace p1 {

SimSource::SimSource(uv_loop_t* loop, std::string variant, std::unique_ptr<Simulator> simulator,
                     double rate_hz, SourceListener* listener)
    : loop_(loop),
      variant_(std::move(variant)),
      simulator_(std::move(simulator)),
      interval_ms_(rate_hz > 0 ? static_cast<uint64_t>(1000.0 / rate_hz)
                               : static_cast<uint64_t>(simulator_->interval_ms())),
      listener_(listener) {
  if (interval_ms_ == 0) interval_ms_ = 1;
}

SimSource::~SimSource() { timer_.Reset(); }

std::string SimSource::Describe() const {
  return "simulated " + variant_ + " every " + std::to_string(interval_ms_) + " ms";
}

void SimSource::Start() {
  if (timer_.Init(uv_timer_init, loop_, this) != 0) return;
  listener_->OnSourceState(true, "simulator started");
  // First telegram soon after start so the demo shows data at once.
  uv_timer_start(timer_.get(), OnTick, 50, interval_ms_);
}

void SimSource::OnTick(uv_timer_t* timer) {
  auto* self = static_cast<SimSource*>(timer->data);
  if (self == nullptr) return;
  std::string bytes = self->simulator_->Next(WallClockMs());
  self->listener_->OnSourceData(bytes);
}

}  // namespace p1
