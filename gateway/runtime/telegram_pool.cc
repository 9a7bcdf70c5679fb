#include "gateway/runtime/telegram_pool.h"

#include <utility>

namespace p1 {
namespace {

// Trivially destructible, so still readable while (and after) the thread's
// pool is destroyed: a telegram released then is simply deleted.
thread_local bool pool_gone = false;

}  // namespace

TelegramPool::~TelegramPool() { pool_gone = true; }

TelegramPool* TelegramPool::ThisThread() {
  if (pool_gone) return nullptr;
  thread_local TelegramPool pool;
  return &pool;
}

std::shared_ptr<Telegram> TelegramPool::Make() {
  TelegramPool* pool = ThisThread();
  std::unique_ptr<Telegram> t;
  if (pool != nullptr && !pool->idle_.empty()) {
    t = std::move(pool->idle_.back());
    pool->idle_.pop_back();
    t->raw.clear();
    t->plaintext.clear();
    t->encrypted = false;
    t->crc = CrcStatus::kAbsent;
    t->received_unix_ms = 0;
    t->reading.Clear();
  } else {
    t = std::make_unique<Telegram>();
  }
  return std::shared_ptr<Telegram>(t.release(), Release);
}

size_t TelegramPool::Idle() {
  const TelegramPool* pool = ThisThread();
  return pool != nullptr ? pool->idle_.size() : 0;
}

void TelegramPool::Release(Telegram* t) {
  std::unique_ptr<Telegram> owned(t);
  TelegramPool* pool = ThisThread();
  if (pool == nullptr || pool->idle_.size() >= kMaxIdle) return;
  if (t->plaintext.capacity() > kMaxKeptBytes || t->raw.capacity() > kMaxKeptBytes) return;
  pool->idle_.push_back(std::move(owned));
}

}  // namespace p1
