// TelegramPool: Telegrams go back to a small per-thread pool when their last
// holder lets go (the meter that replaced it, a slow client's queued write,
// the API's resumable events, whichever is last), and the next telegram of
// any meter reuses one with its warm buffers (plaintext, the reading's
// vectors) instead of allocating and freeing them per telegram. At most
// kMaxIdle wait, so a fleet of hundreds of meters keeps a handful idle, not
// one per meter.
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
  // A telegram whose buffers grew beyond this is freed, not kept.
  static constexpr size_t kMaxKeptBytes = 16 * 1024;

  // An empty Telegram: a pooled one (cleared, its capacity kept) or a new
  // one. Whichever thread drops its last reference gets it back in its pool.
  static std::shared_ptr<Telegram> Make();
  // Telegrams waiting in this thread's pool.
  static size_t Idle();

 private:
  TelegramPool() = default;
  ~TelegramPool();
  static TelegramPool* ThisThread();  // nullptr once this thread's pool is gone
  static void Release(Telegram* t);

  std::vector<std::unique_ptr<Telegram>> idle_;
};

}  // namespace p1

#endif  // P1GW_GATEWAY_RUNTIME_TELEGRAM_POOL_H_
