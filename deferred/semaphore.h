// torsion/deferred/semaphore.h: DeferredSemaphore, a counting semaphore
// whose acquire() is a Deferred.
//
// Mirrors twisted.internet.defer.DeferredSemaphore (behaviours P2-P4):
// acquire() fires at once when a token is free, else when release() hands
// one over, first come first served; run(f) brackets f with acquire and
// release.
//
//   torsion::DeferredSemaphore sem(3);              // at most 3 downloads
//   torsion::Deferred<std::string> body =
//       sem.run([&] { return client.getPage(url); });  // Deferred<std::string>
//
// Hand-off without recursion (twisted#9304): release() with waiters fires
// the first waiter's Deferred inside release(), as Twisted does. If that
// waiter's callbacks release again, synchronously (run() with a
// synchronous f does), Twisted recurses once per waiter until
// RecursionError. Here a release() made inside another release()'s
// hand-off only records the hand-off; the outermost release() fires the
// waiters one after another in a loop, so any number of waiters run at
// constant stack depth, still all before the outermost release() returns.
//
// Lifetime: the Deferreds from acquire() and run() may outlive the
// semaphore: cancelling a waiter of a destroyed semaphore only fails it
// with CancelledError, and run() keeps the semaphore's state alive until
// f's result arrives.
//
// Thread-safety: none (like Deferred).
#ifndef TORSION_DEFERRED_SEMAPHORE_H_
#define TORSION_DEFERRED_SEMAPHORE_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "deferred/deferred.h"

namespace torsion {

namespace internal {

// The shared state of DeferredSemaphore and DeferredLock: free tokens and
// the FIFO of waiters. Held by shared_ptr so run() and cancellers can
// refer to it safely.
class TokenPool : public std::enable_shared_from_this<TokenPool> {
 public:
  // `kind` names the primitive in error messages.
  TokenPool(int limit, std::string kind);

  Deferred<void> acquire();
  void release();
  int tokens() const { return tokens_; }
  int limit() const { return limit_; }
  std::size_t waiting() const { return waiters_.size(); }

  // acquire(), f() (via maybeDeferred), release() when f's result arrives
  // (value or Failure), and that result.
  template <typename F>
  static auto run(std::shared_ptr<TokenPool> pool, F&& f) {
    using R = std::invoke_result_t<std::decay_t<F>&>;
    using U = MaybeDeferredType<R>;
    Deferred<void> acquired = pool->acquire();
    return acquired.addCallback([pool, f = std::forward<F>(f)]() mutable {
      return maybeDeferred(f).addBoth([pool](Outcome<U> o) -> Outcome<U> {
        pool->release();
        return o;
      });
    });
  }

 private:
  void forget(const Deferred<void>& waiter);

  int tokens_;
  int limit_;
  std::string kind_;
  std::deque<Deferred<void>> waiters_;
  int handOffs_ = 0;         // releases waiting for the outermost release()
  bool handingOff_ = false;  // inside release()'s firing loop
};

}  // namespace internal

class DeferredSemaphore {
 public:
  // A semaphore with `tokens` tokens. Throws std::invalid_argument if
  // tokens < 1 (Twisted's ValueError).
  explicit DeferredSemaphore(int tokens);

  // A Deferred<void> fired when a token is ours: at once if one is free,
  // else in FIFO order from release(). cancel() on it while waiting leaves
  // the queue with CancelledError; once fired, cancel() does nothing (P3).
  Deferred<void> acquire() { return pool_->acquire(); }

  // Gives a token back, handing it to the first waiter if any (its
  // Deferred fires before this returns). Throws std::logic_error when no
  // token is out (Twisted's AssertionError: more releases than acquires).
  void release() { pool_->release(); }

  // acquire(); then f() (a value, Failure, Outcome or Deferred; a throw
  // fails it); release() when f's result arrives; fires with that result.
  template <typename F>
  requires std::invocable < std::decay_t<F>
  & > auto run(F&& f) { return internal::TokenPool::run(pool_, std::forward<F>(f)); }

  // Free tokens now (Twisted's `tokens`) and the total (`limit`).
  int tokens() const { return pool_->tokens(); }
  int limit() const { return pool_->limit(); }
  // How many acquire()s wait.
  std::size_t waiting() const { return pool_->waiting(); }

 private:
  std::shared_ptr<internal::TokenPool> pool_;
};

}  // namespace torsion

#endif  // TORSION_DEFERRED_SEMAPHORE_H_
