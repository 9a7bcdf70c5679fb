// TelegramPool: recycles the Telegrams a meter has replaced, so a steady
// stream of telegrams reuses warm buffers (plaintext, the reading's vectors)
// instead of allocating and freeing them for every one. A telegram is only
// taken back once nothing else holds it (a slow client's queued write, an
// exporter's snapshot), and at most kMaxIdle wait, whatever their meter:
// a fleet of hundreds of meters keeps a handful idle, not one per meter.
// One pool per thread: Make and Recycle are meant for the loop thread.
#ifndef P1GW_GATEWAY_RUNTIME_TELEGRAM_POOL_H_
#define P1GW_GATEWAY_RUNTIME_TELEGRAM_POOL_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "gateway/core/telegram.h"

namespace p1 {

class TelegramPool {
 public:
  static constexpr size_t kMaxIdle = 4;
  // A telegram whose plaintext grew beyond this is freed, not kept.
  static constexpr size_t kMaxKeptBytes = 16 * 1024;

  static TelegramPool& ThisThread();

  // An empty Telegram: a recycled one (cleared, its capacity kept) or new.
  std::shared_ptr<Telegram> Make();
  // Takes `t` back if this was its last holder; otherwise just drops it.
  void Recycle(TelegramPtr t);

  size_t idle() const { return idle_.size(); }

 private:
  // Every entry was created by Make as a non-const Telegram.
  std::vector<TelegramPtr> idle_;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_RUNTIME_TELEGRAM_POOL_H_
