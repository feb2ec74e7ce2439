#include "deferred/semaphore.h"

#include <algorithm>
#include <stdexcept>

namespace torsion {
namespace internal {

TokenPool::TokenPool(int limit, std::string kind)
    : tokens_(limit), limit_(limit), kind_(std::move(kind)) {}

Deferred<void> TokenPool::acquire() {
  if (tokens_ > 0) {
    --tokens_;
    return succeed();
  }
  // The canceller only knows the pool weakly: a waiter may outlive it.
  Deferred<void> waiter([weak = weak_from_this()](Deferred<void>& self) {
    if (auto pool = weak.lock()) pool->forget(self);
  });
  waiters_.push_back(waiter);
  return waiter;
}

void TokenPool::forget(const Deferred<void>& waiter) {
  auto it = std::find(waiters_.begin(), waiters_.end(), waiter);
  if (it != waiters_.end()) waiters_.erase(it);
}

void TokenPool::release() {
  if (tokens_ + handOffs_ >= limit_) {
    throw std::logic_error(kind_ +
                           ".release(): nothing to release (more releases than "
                           "acquires)");
  }
  if (waiters_.empty()) {
    ++tokens_;
    return;
  }
  ++handOffs_;
  if (handingOff_) return;  // the loop below, further up the stack, fires it
  handingOff_ = true;
  struct Done {
    TokenPool* pool;
    ~Done() { pool->handingOff_ = false; }
  } done{this};
  // Keeps us alive if a waiter's callback destroys the owner.
  std::shared_ptr<TokenPool> self = shared_from_this();
  while (handOffs_ > 0) {
    --handOffs_;
    if (waiters_.empty()) {  // cancelled meanwhile: the token is free
      ++tokens_;
      continue;
    }
    Deferred<void> next = std::move(waiters_.front());
    waiters_.pop_front();
    next.callback();  // the token goes with it: tokens_ unchanged
  }
}

}  // namespace internal

DeferredSemaphore::DeferredSemaphore(int tokens) {
  if (tokens < 1) {
    throw std::invalid_argument("DeferredSemaphore: tokens must be at least 1, got " +
                                std::to_string(tokens));
  }
  pool_ = std::make_shared<internal::TokenPool>(tokens, "DeferredSemaphore");
}

}  // namespace torsion
