// torsion/deferred/lock.h: DeferredLock, a mutex whose acquire() is a
// Deferred.
//
// Mirrors twisted.internet.defer.DeferredLock (behaviours P1-P3): acquire()
// fires at once when the lock is free, else when release() hands the lock
// to it (FIFO; the lock stays locked across the hand-off); run(f) holds the
// lock while f's result is pending.
//
//   torsion::DeferredLock lock;
//   lock.run([&] { return writeRecord(file, record); });  // one at a time
//
// Re-entrant hand-off runs in a loop, not by recursion (twisted#9304): see
// semaphore.h, which this shares its implementation with. Lifetime as
// DeferredSemaphore.
//
// Thread-safety: none (like Deferred). Not a thread mutex.
#ifndef TORSION_DEFERRED_LOCK_H_
#define TORSION_DEFERRED_LOCK_H_

#include <memory>
#include <utility>

#include "deferred/deferred.h"
#include "deferred/semaphore.h"

namespace torsion {

class DeferredLock {
 public:
  DeferredLock() : pool_(std::make_shared<internal::TokenPool>(1, "DeferredLock")) {}

  // A Deferred<void> fired when the lock is ours (at once if free).
  // cancel() while waiting: CancelledError, out of the queue; once fired,
  // cancel() does nothing.
  Deferred<void> acquire() { return pool_->acquire(); }

  // Unlocks, or hands the lock to the first waiter (its Deferred fires
  // before this returns; the lock stays locked). Throws std::logic_error
  // if not locked (Twisted's AssertionError).
  void release() { pool_->release(); }

  // acquire(); f(); release() when f's result (value or Failure) arrives;
  // fires with that result. (Twisted's run() without f is a TypeError;
  // here it does not compile.)
  template <typename F>
  requires std::invocable < std::decay_t<F>
  & > auto run(F&& f) { return internal::TokenPool::run(pool_, std::forward<F>(f)); }

  // Twisted's `locked`.
  bool locked() const { return pool_->tokens() == 0; }
  // How many acquire()s wait.
  std::size_t waiting() const { return pool_->waiting(); }

 private:
  std::shared_ptr<internal::TokenPool> pool_;
};

}  // namespace torsion

#endif  // TORSION_DEFERRED_LOCK_H_
