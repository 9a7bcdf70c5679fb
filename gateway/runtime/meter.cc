#include "gateway/runtime/meter.h"

#include <algorithm>
#include <spdlog/spdlog.h>

#include "gateway/core/parser.h"
#include "gateway/core/telegram_shape.h"
#include "gateway/loop/wall_clock.h"
#include "gateway/runtime/serial_source.h"
#include "gateway/runtime/telegram_pool.h"

namespace p1 {
namespace {

// Variants whose spec has no CRC line ("!" alone). Every other meter sends
// one, so a frame without it is line noise. "auto" learns it from the meter.
bool CrcOptional(const std::string& preset) {
  const SerialPreset* p = FindSerialPreset(preset);
  return p != nullptr && p->crc_optional;
}

FramerOptions MakeFramerOptions(const MeterConfig& c) {
  FramerOptions o;
  o.max_telegram_bytes = c.max_telegram_bytes;
  o.key = c.key;
  o.aad_key = c.aad_key;
  return o;
}

}  // namespace

Meter::Meter(uv_loop_t* loop, MeterConfig config, MeterObserver* observer)
    : loop_(loop),
      config_(std::move(config)),
      observer_(observer),
      framer_(MakeFramerOptions(config_)),
      unwrapper_(config_.wrapping),
      crc_required_(!CrcOptional(config_.preset)),
      auto_probing_(config_.preset == "auto" && config_.source == SourceKind::kSerial),
      auto_settings_(config_.serial_settings) {}

Meter::~Meter() {
  source_.reset();
  stale_.Reset();
}

bool Meter::Start(std::string* err) {
  if (!Prepare(err)) return false;
  Run();
  return true;
}

bool Meter::Prepare(std::string* err) {
  if (!config_.timezone.empty() && !TimeZone::Find(config_.timezone, &zone_, err)) {
    *err = "meter " + config_.name + ": " + *err;
    return false;
  }
  if (!config_.trace_file.empty()) {
    trace_ = std::make_unique<TraceWriter>(loop_);
    if (!trace_->Open(config_.trace_file, err)) return false;
  }
  if (int r = stale_.Init(uv_timer_init, loop_, this); r != 0) {
    *err = std::string("timer: ") + uv_strerror(r);
    return false;
  }
  source_ = MakeSource(loop_, config_, this);
  if (!source_) {
    *err = "meter " + config_.name + ": cannot create source";
    return false;
  }
  return true;
}

void Meter::Run() {
  uv_timer_start(stale_.get(), OnStale, static_cast<uint64_t>(config_.stale_after.count()), 0);
  spdlog::info("meter {}: {}", config_.name, source_->Describe());
  source_->Start();
}

void Meter::ToggleAutoSettings() {
  // config_ stays as configured so a reload still sees an unchanged meter.
  SerialSettings& s = auto_settings_;
  size_t next = 0;
  for (size_t i = 0; i < std::size(kProbeSettings); ++i) {
    if (kProbeSettings[i] == s) next = (i + 1) % std::size(kProbeSettings);
  }
  s = kProbeSettings[next];
  spdlog::info("meter {}: auto: trying {}", config_.name, SerialSettingsString(s));
  framer_.Reset();
  if (source_) source_->Reconfigure(s);
}

std::string Meter::DescribeSource() const { return source_ ? source_->Describe() : ""; }

void Meter::OnSourceData(std::string_view bytes) {
  counters_.received_bytes += bytes.size();
  if (trace_) trace_->Append(bytes);  // the bytes as they came, wrapped or not
  // payload = "bytes" clients get the P1 stream: unwrapped from RFXtrx
  // packets, but M-Bus as it came (the APDUs alone are no format any
  // consumer reads; Austrian M-Bus decoders read the frames).
  const std::string_view wire = bytes;
  if (unwrapper_.active()) {
    bytes = unwrapper_.Feed(bytes);
    counters_.foreign_packets = unwrapper_.foreign_packets();
  }
  const std::string_view stream = config_.wrapping == Wrapping::kMbus ? wire : bytes;
  std::shared_ptr<const std::string> chunk;
  for (TelegramSink* s : sinks_) {
    if (stream.empty() || !s->WantsBytes()) continue;
    if (!chunk) chunk = std::make_shared<const std::string>(stream);
    s->OnBytes(chunk);
  }
  if (bytes.empty()) return;
  framer_.Feed(bytes, [this](const Frame& f) { OnFrame(f); });
}

void Meter::OnSourceState(bool connected, std::string_view reason) {
  if (connected && !connected_) {
    if (ever_connected_) ++counters_.reconnects;
    ever_connected_ = true;
    // Bytes from before a loss must never be glued to the next telegram.
    framer_.Reset();
    unwrapper_.Reset();
  }
  if (!connected && connected_) spdlog::debug("meter {}: source lost: {}", config_.name, reason);
  connected_ = connected;
  if (observer_ != nullptr) observer_->OnMeterChanged(this);
}

void Meter::OnFrame(const Frame& frame) {
  switch (frame.status) {
    case FrameStatus::kTruncated:
      ++counters_.truncated_errors;
      spdlog::debug("meter {}: truncated telegram ({} bytes)", config_.name, frame.raw.size());
      break;
    case FrameStatus::kOverflow:
      ++counters_.overflow_errors;
      spdlog::debug("meter {}: telegram over {} bytes dropped", config_.name,
                    config_.max_telegram_bytes);
      break;
    case FrameStatus::kDecryptError:
      ++counters_.decrypt_errors;
      spdlog::debug("meter {}: decrypt error: {}", config_.name, frame.error);
      break;
    case FrameStatus::kTelegram: {
      if (frame.crc == CrcStatus::kInvalid) {
        ++counters_.crc_errors;
        spdlog::debug("meter {}: CRC mismatch, telegram dropped", config_.name);
        break;
      }
      if (frame.crc == CrcStatus::kAbsent && crc_required_) {
        ++counters_.crc_missing_errors;
        spdlog::debug("meter {}: frame without CRC dropped ({} bytes)", config_.name,
                      frame.raw.size());
        break;
      }
      const char* why = nullptr;
      if (!CheckTelegramShape(frame.plaintext, &why)) {
        ++counters_.malformed_errors;
        spdlog::debug("meter {}: not a telegram ({}), {} bytes dropped", config_.name, why,
                      frame.raw.size());
        break;
      }
      if (frame.crc == CrcStatus::kValid && !crc_required_) {
        // This meter sends CRCs: from now on a frame without one is noise.
        crc_required_ = true;
        spdlog::debug("meter {}: sends CRCs; frames without one are dropped", config_.name);
      }
      std::shared_ptr<Telegram> t = TelegramPool::Make();
      if (frame.encrypted) t->raw.assign(frame.raw);
      t->plaintext.assign(frame.plaintext);
      t->encrypted = frame.encrypted;
      t->crc = frame.crc;
      t->received_unix_ms = WallClockMs();
      // At most one object per line: sized once, not grown by doubling (a
      // 40-object telegram kept 64 slots, ~2.6 KiB per meter in a fleet).
      t->reading.objects.reserve(
          static_cast<size_t>(std::count(t->plaintext.begin(), t->plaintext.end(), '\n')));
      if (!ParseTelegram(t->plaintext, &t->reading)) {
        ++counters_.parse_errors;
        spdlog::debug("meter {}: {}", config_.name, t->reading.errors.front());
      }
      if (zone_.valid()) zone_.Rezone(&t->reading);
      t->reading.crc = frame.crc;
      ++counters_.telegrams;
      if (auto_probing_) {
        auto_probing_ = false;
        spdlog::info("meter {}: auto: valid telegram at {}", config_.name, DescribeSource());
      }
      latest_ = std::move(t);
      if (stale_) {
        uv_timer_start(stale_.get(), OnStale, static_cast<uint64_t>(config_.stale_after.count()),
                       0);
      }
      for (TelegramSink* s : sinks_) s->OnTelegram(latest_);
      break;
    }
  }
  if (observer_ != nullptr) observer_->OnMeterChanged(this);
}

void Meter::OnStale(uv_timer_t* timer) {
  auto* self = static_cast<Meter*>(timer->data);
  if (self == nullptr) return;
  ++self->counters_.timeouts;
  spdlog::warn("meter {}: no valid telegram for {} ms", self->config_.name,
               self->config_.stale_after.count());
  const uint64_t hints = self->framer_.stats().encrypted_hints;
  if (hints > self->encrypted_hints_seen_) {
    self->encrypted_hints_seen_ = hints;
    spdlog::warn("meter {}: the stream holds encrypted DLMS frames (0xDB) but no key is set",
                 self->config_.name);
  }
  if (self->auto_probing_) self->ToggleAutoSettings();
  // Keep counting timeouts while the silence lasts.
  uv_timer_start(timer, OnStale, static_cast<uint64_t>(self->config_.stale_after.count()), 0);
  if (self->observer_ != nullptr) self->observer_->OnMeterChanged(self);
}

}  // namespace p1
