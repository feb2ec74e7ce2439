// torsion/deferred/coroutine.h: coroutines over Deferreds.
//
// Mirrors twisted.internet.defer.inlineCallbacks / ensureDeferred /
// Deferred.fromCoroutine: a function returning Deferred<T> may `co_await`
// any Deferred<U> (giving U, or throwing the Failure's exception) and
// `co_return` a T. Included by deferred.h; nothing to include separately.
//
//   torsion::Deferred<int> pageLength(Client& c, std::string url) {
//     std::string body = co_await c.getPage(url);  // Deferred<std::string>
//     co_return static_cast<int>(body.size());
//   }
//
// Semantics (Twisted's IC1-IC10):
// * The body starts running synchronously, when called, up to the first
//   co_await on a Deferred without a result.
// * Awaiting a Deferred that already has a result neither suspends nor grows
//   the stack. Awaiting consumes the result: the awaited chain then carries
//   void (None), and its Failure, if any, is no longer unhandled.
// * An exception leaving the body fails the returned Deferred with it;
//   co_return fires it with the value.
// * cancel() on the returned Deferred cancels the Deferred being awaited;
//   what that then produces (CancelledError by default) is delivered at the
//   co_await, where the coroutine may catch it. The returned Deferred fires
//   only when the body ends, so a second cancel() reaches the next await.
//
// Ownership: while suspended, the coroutine frame is owned by the awaited
// chain (the step that will resume it). If that chain is destroyed unfired,
// the frame is destroyed with it, without resuming; the returned Deferred
// then never fires. The frame releases its own handle to the awaited
// Deferred while suspended, so `co_await f()` does not keep f's Deferred
// alive. A NAMED handle kept in the frame (`auto d = f(); co_await d;`) does,
// which makes frame and chain own each other: if nothing will ever fire
// such a Deferred, write `co_await std::move(d)`.
//
// Thread-safety: as Deferred (none).
#ifndef TORSION_DEFERRED_COROUTINE_H_
#define TORSION_DEFERRED_COROUTINE_H_

#include <coroutine>
#include <optional>
#include <utility>

#include "deferred/deferred.h"

namespace torsion::internal {

class PromiseBase : public CoroutineLink {
 public:
  // Cancels the Deferred this coroutine is suspended on, if any. The result
  // it produces resumes the coroutine before this returns.
  void cancelAwaited() override {
    ChainState* awaited = awaiting_;
    if (awaited == nullptr) return;  // running right now: nothing to cancel
    awaited->ref();
    struct Unref {
      ChainState* c;
      ~Unref() { c->unref(); }
    } guard{awaited};
    awaited->cancel();
  }

  ChainState* awaiting_ = nullptr;  // the chain we are suspended on
};

template <typename U>
struct Awaiter;

// The step a suspended coroutine leaves on the chain it awaits. Owns the
// coroutine frame until it runs.
template <typename U>
struct ResumeStep {
  Awaiter<U>* awaiter;
  std::coroutine_handle<> handle;

  ResumeStep(Awaiter<U>* a, std::coroutine_handle<> h) : awaiter(a), handle(h) {}
  ResumeStep(ResumeStep&& other) noexcept
      : awaiter(other.awaiter), handle(std::exchange(other.handle, nullptr)) {}
  ~ResumeStep() {
    // Never run: the awaited chain died unfired. Destroy the frame (its
    // locals' destructors run; the body does not resume).
    if (handle) handle.destroy();
  }
  ChainState* operator()(ChainState& s) {
    awaiter->outcome.emplace(takeOutcome<U>(s));  // IC7: s is left with None
    awaiter->promise->awaiting_ = nullptr;
    std::exchange(handle, nullptr).resume();
    return nullptr;
  }
};

template <typename U>
struct Awaiter {
  PromiseBase* promise;
  Deferred<U> deferred;
  std::optional<Outcome<U>> outcome;

  // IC2: a result is there: await_resume takes it, without suspending.
  bool await_ready() {
    ChainState* s = Access::state(deferred);
    if (s == nullptr) ChainState::nullHandle();
    if (s->handOverType() != typeOf<U>()) s->handOverMismatch(typeOf<U>());
    return s->resultReady();
  }

  void await_suspend(std::coroutine_handle<> h) {
    ChainState* s = Access::release(deferred);
    promise->awaiting_ = s;
    // Not resultReady(), so the chain will reach this step by itself (when
    // fired, unpaused, or when its running loop gets back to it).
    s->addAwaitStep(ResumeStep<U>(this, h));
    // If that was the last reference, this destroys the chain, the step and
    // the frame holding *this: touch nothing afterwards.
    s->unref();
  }

  U await_resume() {
    // Not suspended (await_ready): `deferred` still holds the chain, whose
    // result goes straight to the caller, through no Outcome (-45
    // instructions an await, W5 deferred_await, callgrind).
    if (ChainState* s = Access::state(deferred)) return takeReady(*s);
    if constexpr (std::is_void_v<U>) {
      outcome->value();
    } else {
      return std::move(*outcome).value();
    }
  }

  // The result of a chain that gives it at once (with steps still queued it
  // is None, and they keep their types); the chain carries None after it.
  static U takeReady(ChainState& s) {
    if (s.isFailure()) {
      Failure failure = s.takeFailure();  // IC7: no longer unhandled
      s.resultTaken();
      failure.raiseException();
    }
    if constexpr (std::is_void_v<U>) {
      s.clearValue();
      s.resultTaken();
    } else {
      U value = s.takeValue<U>();
      s.resultTaken();
      return value;
    }
  }
};

template <typename T>
class DeferredPromiseBase : public PromiseBase {
 public:
  DeferredPromiseBase() { Access::state(result_)->attachCoroutine(this); }
  ~DeferredPromiseBase() { detach(); }
  DeferredPromiseBase(const DeferredPromiseBase&) = delete;
  DeferredPromiseBase& operator=(const DeferredPromiseBase&) = delete;

  Deferred<T> get_return_object() { return result_; }
  std::suspend_never initial_suspend() noexcept { return {}; }
  std::suspend_never final_suspend() noexcept { return {}; }
  void unhandled_exception() {
    detach();
    result_.errback(Failure::current());
  }

  template <typename U>
  Awaiter<U> await_transform(Deferred<U> d) {
    return Awaiter<U>{this, std::move(d), std::nullopt};
  }

 protected:
  // From now on cancel() on the result is an ordinary one.
  void detach() { Access::state(result_)->detachCoroutine(this); }

  Deferred<T> result_;
};

template <typename T>
class DeferredPromise : public DeferredPromiseBase<T> {
 public:
  void return_value(T value) {
    this->detach();
    this->result_.callback(std::move(value));
  }
};

template <>
class DeferredPromise<void> : public DeferredPromiseBase<void> {
 public:
  void return_void() {
    detach();
    result_.callback();
  }
};

}  // namespace torsion::internal

#endif  // TORSION_DEFERRED_COROUTINE_H_
