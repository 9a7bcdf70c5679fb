#include "gateway/runtime/source.h"

#include <spdlog/spdlog.h>

#include "gateway/runtime/serial_source.h"
#include "gateway/runtime/sim_source.h"
#include "gateway/runtime/tcp_source.h"

namespace p1 {

std::unique_ptr<Source> MakeSource(uv_loop_t* loop, const MeterConfig& config,
                                   SourceListener* listener) {
  switch (config.source) {
    case SourceKind::kSerial:
      return std::make_unique<SerialSource>(loop, config.serial, config.serial_settings, listener);
    case SourceKind::kTcp:
      return std::make_unique<TcpSource>(loop, config.tcp, config.silence_timeout, listener);
    case SourceKind::kSimulate: {
      std::string err;
      // A fixed seed per meter name keeps two demo meters from moving in step.
      uint64_t seed = std::hash<std::string>{}(config.name);
      auto sim = Simulator::Create(config.simulate, seed, config.key, config.aad_key, &err);
      if (!sim) {
        spdlog::error("meter {}: {}", config.name, err);
        return nullptr;
      }
      return std::make_unique<SimSource>(loop, config.simulate, std::move(sim),
                                         config.simulate_rate_hz, listener);
    }
  }
  return nullptr;
}

}  // namespace p1
