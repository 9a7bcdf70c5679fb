#include "gateway/runtime/telegram_pool.h"

#include <utility>

namespace p1 {

TelegramPool& TelegramPool::ThisThread() {
  thread_local TelegramPool pool;
  return pool;
}

std::shared_ptr<Telegram> TelegramPool::Make() {
  if (idle_.empty()) return std::make_shared<Telegram>();
  // Made non-const by Make and unshared since Recycle: writing it is sound.
  std::shared_ptr<Telegram> t = std::const_pointer_cast<Telegram>(std::move(idle_.back()));
  idle_.pop_back();
  t->raw.clear();
  t->plaintext.clear();
  t->encrypted = false;
  t->crc = CrcStatus::kAbsent;
  t->received_unix_ms = 0;
  t->reading.Clear();
  return t;
}

void TelegramPool::Recycle(TelegramPtr t) {
  // use_count() == 1 means no other holder, on this thread or any other:
  // a copy can only be made from a holder, and this is the only one.
  if (!t || t.use_count() != 1 || idle_.size() >= kMaxIdle) return;
  if (t->plaintext.capacity() > kMaxKeptBytes || t->raw.capacity() > kMaxKeptBytes) return;
  idle_.push_back(std::move(t));
}

}  // namespace p1
