// torsion/deferred/deferred.h: Deferred<T>, the typed callback chain.
//
// Mirrors twisted.internet.defer: Deferred (addCallback, addErrback,
// addBoth, addCallbacks, callback, errback, pause, unpause, chainDeferred,
// cancel, addTimeout). Included with it: succeed, fail, maybeDeferred and
// execute (deferred/functions.h), addTimeout's definition
// (deferred/timeout.h) and coroutines, Twisted's inlineCallbacks /
// ensureDeferred (deferred/coroutine.h): any function returning Deferred<T>
// may co_await Deferreds.
//
//   torsion::Deferred<int> d;                       // unfired, fires with int
//   torsion::Deferred<std::string> s =
//       d.addCallback([](int n) { return std::to_string(n); });
//   s.addErrback([](torsion::Failure f) -> std::string {
//     return "error: " + f.getErrorMessage();       // recover
//   });
//   d.callback(42);                                 // runs the chain now
//
// The typed model. A Deferred<T> is a cheap handle (one pointer, intrusive
// count) to ONE shared chain, exactly like one Twisted Deferred object. The
// chain remembers two types: the one it was created for (what callback()
// takes, for life) and the one it carries now (what the next addCallback
// receives). addCallback(f) with f: T -> U returns a Deferred<U> to the SAME
// chain; if f returns a Deferred<X>, the chain waits for it and goes on
// with X. Because handles are copied freely (a timer holds one to fire it,
// the caller chains on another), a stale handle is caught at run time: adding
// through a handle whose T is not what the chain carries now, or firing
// through a handle whose T is not what it was created for, throws
// DeferredTypeError naming both types. The check is one pointer comparison.
// A callable whose parameter does not accept T does not compile.
//
// Callback return values: U (go on with it), Deferred<U> (wait for it),
// Outcome<U> (value or Failure, chosen at run time), Failure (switch to the
// errback path), void (U = void, Twisted's None). Throwing switches to the
// errback path. Errbacks g: Failure -> T recover by returning a T (or
// Deferred<T> / Outcome<T>), and propagate by rethrowing, by a trap() that
// does not match, or by returning the Failure.
//
// Results are MOVED along the chain: a callback receives the value by value
// (take T, const T& or T&&). A Deferred returned from a callback gives its
// result to the outer chain and is left carrying void (None): callbacks
// added to it afterwards need a Deferred<void> handle (d.as<void>()).
//
// Unhandled errors: when the last handle (and internal reference) to a chain
// goes while it holds a Failure, "Unhandled error in Deferred:" is logged
// once through torsion::log::err (base/log.h), at that moment.
//
// Chains run iteratively: a million callbacks, a million nested returned
// Deferreds or a million chainDeferred() links run in constant stack depth.
//
// Looking at a result without taking it (Twisted's d.result): result(),
// resultValue(), hasResult(); Twisted's d.paused: pauseCount().
//
// Thread-safety: none. A Deferred and every handle to its chain must be used
// from one thread at a time (normally the reactor thread).
#ifndef TORSION_DEFERRED_DEFERRED_H_
#define TORSION_DEFERRED_DEFERRED_H_

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "base/reactor_time.h"
#include "deferred/debug.h"
#include "deferred/errors.h"
#include "deferred/failure.h"
#include "deferred/internal/access.h"
#include "deferred/internal/callback_steps.h"
#include "deferred/internal/chain_state.h"
#include "deferred/internal/traits.h"
#include "deferred/outcome.h"

namespace torsion {

template <typename T>
class Deferred;

namespace internal {
template <typename T>
class DeferredPromise;
}  // namespace internal

template <typename T>
class Deferred {
  static_assert(internal::kValidResultType<T>,
                "Deferred<T>: T must be void or a non-const, movable object type "
                "other than Deferred, Outcome and Failure");
  using Arg = std::conditional_t<std::is_void_v<T>, internal::NoValue, T>;

 public:
  using value_type = T;
  using promise_type = internal::DeferredPromise<T>;

  // A new, unfired Deferred whose callback() takes a T.
  Deferred() : state_(internal::ChainState::create(internal::typeOf<T>())) {}

  // A new Deferred with a canceller (Twisted's Deferred(canceller)):
  // cancel() on it while unfired calls canceller(d) once; if that does not
  // fire d, d errbacks with CancelledError. Released once d has fired.
  template <typename C>
  requires std::invocable < C&, Deferred<T>
  & > explicit Deferred(C canceller) : Deferred() {
    state_->setCanceller([c = std::move(canceller)](internal::ChainState& s) mutable {
      s.ref();
      Deferred<T> self(&s);
      c(self);
    });
  }

  Deferred(const Deferred& other) noexcept : state_(other.state_) {
    if (state_) state_->ref();
  }
  Deferred(Deferred&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  Deferred& operator=(Deferred other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~Deferred() {
    if (state_) state_->unref();
  }

  // --- adding to the chain --------------------------------------------------
  // All of these throw DeferredTypeError if the chain no longer carries T
  // (use the handle the previous add returned), std::logic_error on an empty
  // handle. If the Deferred has a result (and is not paused or waiting) the
  // new step runs before they return (Twisted's D9).

  // f: T -> R (f: () -> R for Deferred<void>). Returns the handle for what
  // the chain carries next (see the header comment for R).
  template <typename F>
  requires internal::CallbackFor<F, T>
  auto addCallback(F&& f)
      -> Deferred<internal::ChainType<internal::CallbackResult<F, T>, T>> {
    using U = internal::ChainType<internal::CallbackResult<F, T>, T>;
    return append<U>(internal::PairStep<T, U, std::decay_t<F>, internal::PassThrough>{
        std::forward<F>(f), {}});
  }

  // g: Failure -> T (or Deferred<T>, Outcome<T>, Failure; void for
  // Deferred<void>). Values pass through untouched.
  template <typename G>
  requires internal::ErrbackFor<G, T> Deferred<T> addErrback(G&& g) {
    return append<T>(internal::PairStep<T, T, internal::PassThrough, std::decay_t<G>>{
        {}, std::forward<G>(g)});
  }

  // One step with both sides: exactly one of f (value) and g (Failure) runs.
  template <typename F, typename G>
  requires internal::CallbackFor<F, T> &&
      internal::ErrbackFor<G, internal::ChainType<internal::CallbackResult<F, T>, T>>
  auto addCallbacks(F&& f, G&& g)
      -> Deferred<internal::ChainType<internal::CallbackResult<F, T>, T>> {
    using U = internal::ChainType<internal::CallbackResult<F, T>, T>;
    return append<U>(internal::PairStep<T, U, std::decay_t<F>, std::decay_t<G>>{
        std::forward<F>(f), std::forward<G>(g)});
  }

  // h: Outcome<T> -> R, called with the value or the Failure.
  template <typename H>
  requires std::invocable<H, Outcome<T>>
  auto addBoth(H&& h)
      -> Deferred<internal::ChainType<std::invoke_result_t<H, Outcome<T>>, T>> {
    using U = internal::ChainType<std::invoke_result_t<H, Outcome<T>>, T>;
    return append<U>(internal::BothStep<T, U, std::decay_t<H>>{std::forward<H>(h)});
  }

  // Fires `other` with this chain's result when it gets there, and runs
  // other's callbacks before this chain's next step; this chain then carries
  // void (Twisted's chainDeferred: d1's result becomes None). Runs in
  // constant stack depth however long a line of chained Deferreds is.
  // AlreadyCalledError from `other` becomes this chain's Failure. Throws at
  // once, adding nothing, for an empty `other` (std::logic_error) or one
  // whose T is not what its callback() takes (DeferredTypeError).
  Deferred<void> chainDeferred(Deferred<T> other) {
    other.firing();  // checks `other` before anything is added
    internal::ChainState* s = checked();
    s->retype(internal::typeOf<T>(), internal::typeOf<void>());
    s->ref();
    Deferred<void> next(s);
    s->addChainedDeferred(internal::Access::release(other));
    return next;
  }

  // Cancels this Deferred if it has not fired within `timeout` on `clock`
  // (Twisted's addTimeout): the result then becomes TimeoutError, or
  // onTimeoutCancel(result, timeout) if given. Covers the steps added
  // before this call. Returns the handle for adding more. Defined in
  // deferred/timeout.h.
  Deferred<T> addTimeout(
      Seconds timeout, ReactorTime& clock,
      absl::AnyInvocable<Outcome<T>(Outcome<T>, Seconds)> onTimeoutCancel = nullptr);

  // --- firing -----------------------------------------------------------------
  // Gives the Deferred its result and runs the chain before returning.
  // Throws AlreadyCalledError if it already has one (except the one late
  // result swallowed after a canceller-less cancel()), DeferredTypeError
  // when this handle's T is not the type the chain was created for.
  void callback(Arg value) requires(!std::is_void_v<T>) {
    internal::ChainState* s = firing();
    if (!s->beginFire()) return;
    s->emplaceValue<T>(std::move(value));
    s->endFire();
  }
  void callback() requires std::is_void_v<T> {
    internal::ChainState* s = firing();
    if (!s->beginFire()) return;
    s->endFire();
  }
  // Fires the errback side with `failure` (also accepts any std::exception:
  // d.errback(std::runtime_error("x"))). Errors as callback().
  void errback(Failure failure) {
    if (failure.empty()) throw std::invalid_argument("errback: the Failure is empty");
    firing()->fireFailure(std::move(failure));
  }
  // Inside a catch block: errbacks with the exception being handled.
  // Elsewhere throws NoCurrentExceptionError.
  void errback() { errback(Failure::current()); }

  // --- control ----------------------------------------------------------------
  // Stops running callbacks until as many unpause() calls as pause() calls
  // (a callback pausing its own Deferred does not stop the steps already
  // being run, as in Twisted).
  void pause() { checked()->pause(); }
  // Unpausing a Deferred that is not paused does nothing (Twisted would let
  // its counter go negative).
  void unpause() { checked()->unpause(); }

  // Twisted's cancel(): unfired -> the canceller, then CancelledError if it
  // did not fire; fired and waiting on a returned Deferred -> cancels that;
  // otherwise nothing. Exceptions from the canceller propagate. Works
  // through any handle of the chain.
  void cancel() { checked()->cancel(); }

  // Has had callback()/errback() (never reverts).
  bool called() const { return checked()->called(); }
  // Paused by pause(), or waiting on a Deferred a callback returned.
  bool paused() const {
    auto* s = checked();
    return s->pauseCount() > 0 || s->waiting();
  }
  // How many pause() calls are not yet matched by unpause() (Twisted's
  // d.paused counts these, plus one while waiting; here waiting is
  // isWaiting()).
  std::uint32_t pauseCount() const { return checked()->pauseCount(); }
  // Waiting on a Deferred a callback returned (Twisted's _chainedTo).
  bool isWaiting() const { return checked()->waiting(); }
  // True if the chain currently holds an unhandled Failure.
  bool hasFailure() const { return checked()->called() && checked()->isFailure(); }

  // Whether the Deferred has a result to look at (Twisted: d.result is set
  // and is not a Deferred): fired, not waiting on a Deferred a callback
  // returned, and not lending it to one of its own callbacks running now
  // (that callback took it as its argument). Paused or not.
  bool hasResult() const { return checked()->hasResult(); }

  // Twisted's d.result, without taking it: a copy of the current result, the
  // value (Outcome<void> for None) or the Failure, when hasResult(); else
  // nullopt. Nothing changes: a Failure seen here is still unhandled.
  // Throws DeferredTypeError if the result is a value of another type than
  // T (look through a handle of the type the chain holds now: while paused
  // with callbacks queued, that is the type before them). Move-only T:
  // resultValue().
  std::optional<Outcome<T>> result() const
      requires(std::is_void_v<T> || std::is_copy_constructible_v<T>) {
    internal::ChainState* s = checked();
    if (!s->hasResult()) return std::nullopt;
    if (s->isFailure()) return Outcome<T>(s->failure());
    s->checkResultType(internal::typeOf<T>());
    if constexpr (std::is_void_v<T>) {
      return Outcome<void>();
    } else {
      return Outcome<T>(s->peekValue<T>());
    }
  }

  // The current value in place, when hasResult() and it is no Failure; else
  // null. Valid until the chain moves on. Type errors as result().
  const Arg* resultValue() const requires(!std::is_void_v<T>) {
    internal::ChainState* s = checked();
    if (!s->hasResult() || s->isFailure()) return nullptr;
    s->checkResultType(internal::typeOf<T>());
    return &s->peekValue<T>();
  }

  // Another handle to the same chain, typed U. Nothing is converted: using
  // it is checked like any handle. For a Deferred returned from a callback
  // (now carrying void): d.as<void>().addCallback(...).
  template <typename U>
  Deferred<U> as() const {
    internal::ChainState* s = checked();
    s->ref();
    return Deferred<U>(s);
  }

  // False for a moved-from handle.
  explicit operator bool() const { return state_ != nullptr; }
  // Same chain.
  friend bool operator==(const Deferred& a, const Deferred& b) {
    return a.state_ == b.state_;
  }

 private:
  template <typename U>
  friend class Deferred;
  friend struct internal::Access;

  // Adopts one reference.
  explicit Deferred(internal::ChainState* s) : state_(s) {}

  internal::ChainState* checked() const {
    if (state_ == nullptr) internal::ChainState::nullHandle();
    return state_;
  }
  internal::ChainState* firing() const {
    internal::ChainState* s = checked();
    s->checkFiring(internal::typeOf<T>());
    return s;
  }
  template <typename U, typename StepFn>
  Deferred<U> append(StepFn&& fn) {
    internal::ChainState* s = checked();
    s->retype(internal::typeOf<T>(), internal::typeOf<U>());
    s->ref();
    Deferred<U> next(s);
    s->addStep(std::forward<StepFn>(fn));
    return next;
  }

  internal::ChainState* state_;
};

}  // namespace torsion

// What users of Deferred<T> expect with it. Each includes this header
// first, so any of them may be included alone.
#include "deferred/coroutine.h"  // IWYU pragma: export
#include "deferred/functions.h"  // IWYU pragma: export
#include "deferred/timeout.h"    // IWYU pragma: export

#endif  // TORSION_DEFERRED_DEFERRED_H_
