#include "gateway/sim/simulator.h"

#include "gateway/core/mbus.h"
#include "gateway/sim/sim_dlms.h"

namespace p1 {

std::unique_ptr<Simulator> Simulator::Create(std::string_view variant, uint64_t seed,
                                             const std::optional<AesKey>& key,
                                             const std::optional<AesKey>& aad_key,
                                             std::string* err) {
  const VariantInfo* info = FindVariant(variant);
  if (info == nullptr) {
    *err = "unknown simulated meter '" + std::string(variant) +
           "' (expected dsmr2, dsmr3, dsmr4, dsmr5, be, lu, se, q3d, at, at-mbus or ie)";
    return nullptr;
  }
  if ((key || aad_key) && !info->encrypted) {
    *err = "simulated meter '" + std::string(variant) +
           "' does not encrypt: only lu, at and at-mbus take a key";
    return nullptr;
  }
  if (!key && info->variant == Variant::kAtMbus) {
    *err = "simulated meter 'at-mbus' needs a key: its M-Bus frames are always encrypted";
    return nullptr;
  }
  if (aad_key && !key) {
    *err = "aad_key given without key";
    return nullptr;
  }
  std::unique_ptr<Simulator> sim(new Simulator(*info, seed));
  sim->key_ = key;
  sim->aad_key_ = aad_key;
  return sim;
}

bool Simulator::IsVariant(std::string_view variant) { return FindVariant(variant) != nullptr; }

Simulator::Simulator(const VariantInfo& info, uint64_t seed)
    : info_(info), model_(info.model, seed) {
  // A separate stream for the static identity, so it does not shift the model's draws.
  Rng rng(seed ^ 0x5AD0C0FFEE1D0000ULL);
  identity_ = MakeIdentity(info.variant, &rng);
  system_title_ = info.variant == Variant::kAtMbus ? "KFMgp" : "SAGgp";
  for (int i = 0; i < 3; ++i) system_title_ += static_cast<char>(rng.Int(0, 255));
  frame_counter_ = static_cast<uint32_t>(rng.Int(1, 0x00FFFFFF));
}

std::string Simulator::Next(int64_t unix_ms) {
  model_.Advance(unix_ms);
  if (info_.variant == Variant::kAtMbus) {
    // A Kaifa MA309M: the notification encrypted without an authentication
    // tag (security 0x20), in M-Bus long frames of up to 245 bytes.
    const std::string apdu =
        FormatDlmsNotification(model_.state(), identity_.equipment_id, frame_counter_);
    std::string frame;
    if (!EncryptGloFrame(apdu, *key_, nullptr, system_title_, frame_counter_, &frame, 0x20)) {
      return {};
    }
    ++frame_counter_;
    return MbusWrap(frame);
  }
  std::string text = FormatTelegram(info_.variant, model_.state(), &identity_);
  if (!key_) return text;
  const AesKey* aad = aad_key_ ? &*aad_key_ : nullptr;
  std::string frame;
  // Only a >64 KiB plaintext or a bad title could fail; neither can happen here.
  if (!EncryptGloFrame(text, *key_, aad, system_title_, frame_counter_, &frame)) return text;
  ++frame_counter_;
  return frame;
}

}  // namespace p1
