// torsion/deferred/deferred.h: Deferred<T>, the typed callback chain.
//
// Mirrors twisted.internet.defer: Deferred (addCallback, addErrback,
// addBoth, addCallbacks, callback, errback, pause, unpause, chainDeferred,
// cancel, addTimeout), succeed, fail, maybeDeferred and execute. Coroutines
// (Twisted's inlineCallbacks / ensureDeferred) are in deferred/coroutine.h,
// included here: any function returning Deferred<T> may co_await Deferreds.
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

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "base/reactor_time.h"
#include "deferred/debug.h"
#include "deferred/errors.h"
#include "deferred/failure.h"
#include "deferred/internal/chain_state.h"
#include "deferred/outcome.h"

namespace torsion {

template <typename T>
class Deferred;

namespace internal {

template <typename T>
class DeferredPromise;
template <typename T>
struct Awaiter;

template <typename R>
struct IsDeferredT : std::false_type {};
template <typename X>
struct IsDeferredT<Deferred<X>> : std::true_type {
  using Inner = X;
};
template <typename R>
struct IsOutcomeT : std::false_type {};
template <typename X>
struct IsOutcomeT<Outcome<X>> : std::true_type {
  using Inner = X;
};

template <typename R>
inline constexpr bool kIsDeferred = IsDeferredT<std::remove_cvref_t<R>>::value;
template <typename R>
inline constexpr bool kIsOutcome = IsOutcomeT<std::remove_cvref_t<R>>::value;
template <typename R>
inline constexpr bool kIsFailure = std::is_same_v<std::remove_cvref_t<R>, Failure>;

// The type a chain carries after a step whose function returned R;
// `Same` is the type before the step (kept when R is Failure).
template <typename R, typename Same>
struct ChainTypeOf {
  using type = std::remove_cvref_t<R>;
};
template <typename X, typename Same>
struct ChainTypeOf<Deferred<X>, Same> {
  using type = X;
};
template <typename X, typename Same>
struct ChainTypeOf<Outcome<X>, Same> {
  using type = X;
};
template <typename Same>
struct ChainTypeOf<Failure, Same> {
  using type = Same;
};
template <typename R, typename Same>
using ChainType = typename ChainTypeOf<std::remove_cvref_t<R>, Same>::type;

// A callable usable as a callback on a chain carrying T.
template <typename F, typename T>
concept CallbackFor = (std::is_void_v<T> && std::invocable<F>) ||
                      (!std::is_void_v<T> && std::invocable<F, T>);

template <typename F, typename T>
struct CallbackResultT {
  using type = std::invoke_result_t<F, T>;
};
template <typename F>
struct CallbackResultT<F, void> {
  using type = std::invoke_result_t<F>;
};
template <typename F, typename T>
using CallbackResult = typename CallbackResultT<F, T>::type;

// Whether a function returning R can continue a chain that must carry T.
template <typename R, typename T>
concept FitsChain = (std::is_void_v<T> && std::is_void_v<R>) || kIsFailure<R> ||
                    (kIsDeferred<R> && std::is_same_v<ChainType<R, T>, T>) ||
                    (kIsOutcome<R> && std::is_same_v<ChainType<R, T>, T>) ||
                    (!std::is_void_v<T> && !kIsDeferred<R> && !kIsOutcome<R> &&
                     std::convertible_to<R, T>);

// An errback usable on a chain that must go on carrying T.
template <typename G, typename T>
concept ErrbackFor =
    std::invocable<G, Failure> && FitsChain<std::invoke_result_t<G, Failure>, T>;

template <typename T>
inline constexpr bool kValidResultType = std::is_void_v<T> ||
                                         (std::is_object_v<T> && !std::is_const_v<T> &&
                                          std::is_move_constructible_v<T> &&
                                          !kIsDeferred<T> && !kIsOutcome<T> &&
                                          !kIsFailure<T>);

// Handle internals, for deferred/ code only.
struct Access {
  template <typename T>
  static ChainState* state(const Deferred<T>& d) {
    return d.state_;
  }
  template <typename T>
  static ChainState* release(Deferred<T>& d) {
    return std::exchange(d.state_, nullptr);
  }
  template <typename T>
  static Deferred<T> adopt(ChainState* s) {
    return Deferred<T>(s);
  }
  // Adds a step (a callable ChainState* (ChainState&), see Step) through
  // `d`, checked as addCallback is; the chain then carries U.
  template <typename U, typename T, typename StepFn>
  static Deferred<U> append(Deferred<T>& d, StepFn&& fn) {
    return d.template append<U>(std::forward<StepFn>(fn));
  }
};

// Stores a step's return value r as the chain's new result (of type U).
// Returns the referenced chain of a returned Deferred, else null.
template <typename U, typename R>
ChainState* storeResult(ChainState& s, R&& r) {
  using D = std::remove_cvref_t<R>;
  if constexpr (kIsDeferred<D>) {
    D handle(std::forward<R>(r));
    ChainState* returned = Access::release(handle);
    if (returned == nullptr) ChainState::nullHandle();
    if (returned->handOverType() != typeOf<U>()) {
      struct Unref {
        ChainState* c;
        ~Unref() { c->unref(); }
      } guard{returned};
      returned->handOverMismatch(typeOf<U>());
    }
    return returned;
  } else if constexpr (kIsOutcome<D>) {
    D outcome(std::forward<R>(r));
    if (outcome.isFailure()) {
      s.setFailure(std::move(outcome).failure());
    } else if constexpr (!std::is_void_v<U>) {
      s.value_.template emplace<U>(std::move(outcome).value());
    }
    return nullptr;
  } else if constexpr (kIsFailure<D>) {
    s.setFailure(Failure(std::forward<R>(r)));
    return nullptr;
  } else {
    s.value_.template emplace<U>(std::forward<R>(r));
    return nullptr;
  }
}

template <typename T, typename U, typename F>
ChainState* runCallback(ChainState& s, F& f) {
  if constexpr (std::is_void_v<T>) {
    s.value_.reset();
    if constexpr (std::is_void_v<std::invoke_result_t<F>>) {
      std::invoke(std::move(f));
      return nullptr;
    } else {
      return storeResult<U>(s, std::invoke(std::move(f)));
    }
  } else {
    T value = s.value_.template take<T>();
    if constexpr (std::is_void_v<std::invoke_result_t<F, T>>) {
      std::invoke(std::move(f), std::move(value));
      return nullptr;
    } else {
      return storeResult<U>(s, std::invoke(std::move(f), std::move(value)));
    }
  }
}

template <typename U, typename G>
ChainState* runErrback(ChainState& s, G& g) {
  Failure failure = s.takeFailure();
  if constexpr (std::is_void_v<std::invoke_result_t<G, Failure>>) {
    std::invoke(std::move(g), std::move(failure));
    return nullptr;
  } else {
    return storeResult<U>(s, std::invoke(std::move(g), std::move(failure)));
  }
}

struct PassThrough {};

// One (callback, errback) pair (Twisted's addCallbacks entry); either may be
// PassThrough.
template <typename T, typename U, typename F, typename G>
struct PairStep {
  [[no_unique_address]] F f;
  [[no_unique_address]] G g;
  ChainState* operator()(ChainState& s) {
    if (!s.isFailure_) {
      if constexpr (std::is_same_v<F, PassThrough>) {
        return nullptr;
      } else {
        return runCallback<T, U>(s, f);
      }
    } else {
      if constexpr (std::is_same_v<G, PassThrough>) {
        return nullptr;
      } else {
        return runErrback<U>(s, g);
      }
    }
  }
};

// addBoth: one function for both sides, given an Outcome<T>.
template <typename T, typename U, typename H>
struct BothStep {
  H h;
  ChainState* operator()(ChainState& s) {
    Outcome<T> outcome = takeOutcome(s);
    if constexpr (std::is_void_v<std::invoke_result_t<H, Outcome<T>>>) {
      std::invoke(std::move(h), std::move(outcome));
      return nullptr;
    } else {
      return storeResult<U>(s, std::invoke(std::move(h), std::move(outcome)));
    }
  }
  static Outcome<T> takeOutcome(ChainState& s) {
    if (s.isFailure_) return Outcome<T>(s.takeFailure());
    if constexpr (std::is_void_v<T>) {
      s.value_.reset();
      return Outcome<void>();
    } else {
      return Outcome<T>(s.value_.template take<T>());
    }
  }
};

struct NoValue {};

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
    state_->canceller_ = [c = std::move(canceller)](internal::ChainState& s) mutable {
      s.ref();
      Deferred<T> self(&s);
      c(self);
    };
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
    if (s->tail_ != internal::typeOf<T>()) s->typeMismatch(internal::typeOf<T>(), false);
    s->tail_ = internal::typeOf<void>();
    s->ref();
    Deferred<void> next(s);
    s->addChainedDeferred(internal::Access::release(other));
    return next;
  }

  // Cancels this Deferred if it has not fired within `timeout` on `clock`
  // (Twisted's addTimeout): the result then becomes TimeoutError, or
  // onTimeoutCancel(result, timeout) if given. Covers the steps added
  // before this call. Returns the handle for adding more.
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
    s->value_.template emplace<T>(std::move(value));
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
  bool called() const { return checked()->called_; }
  // Paused by pause(), or waiting on a Deferred a callback returned.
  bool paused() const {
    auto* s = checked();
    return s->paused_ > 0 || s->waiting_;
  }
  // How many pause() calls are not yet matched by unpause() (Twisted's
  // d.paused counts these, plus one while waiting; here waiting is
  // isWaiting()).
  std::uint32_t pauseCount() const { return checked()->paused_; }
  // Waiting on a Deferred a callback returned (Twisted's _chainedTo).
  bool isWaiting() const { return checked()->waiting_; }
  // True if the chain currently holds an unhandled Failure.
  bool hasFailure() const { return checked()->called_ && checked()->isFailure_; }

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
    if (s->isFailure_) return Outcome<T>(s->failure_);
    s->checkResultType(internal::typeOf<T>());
    if constexpr (std::is_void_v<T>) {
      return Outcome<void>();
    } else {
      return Outcome<T>(s->value_.template peek<T>());
    }
  }

  // The current value in place, when hasResult() and it is no Failure; else
  // null. Valid until the chain moves on. Type errors as result().
  const Arg* resultValue() const requires(!std::is_void_v<T>) {
    internal::ChainState* s = checked();
    if (!s->hasResult() || s->isFailure_) return nullptr;
    s->checkResultType(internal::typeOf<T>());
    return &s->value_.template peek<T>();
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
    if (s->created_ != internal::typeOf<T>())
      s->typeMismatch(internal::typeOf<T>(), true);
    return s;
  }
  template <typename U, typename StepFn>
  Deferred<U> append(StepFn&& fn) {
    internal::ChainState* s = checked();
    if (s->tail_ != internal::typeOf<T>()) s->typeMismatch(internal::typeOf<T>(), false);
    s->tail_ = internal::typeOf<U>();
    s->ref();
    Deferred<U> next(s);
    s->addStep(internal::Step(std::forward<StepFn>(fn)));
    return next;
  }

  internal::ChainState* state_;
};

// --- free functions ------------------------------------------------------------

// An already-fired Deferred (Twisted's succeed).
template <typename V>
Deferred<std::decay_t<V>> succeed(V&& value) {
  Deferred<std::decay_t<V>> d;
  d.callback(std::forward<V>(value));
  return d;
}
inline Deferred<void> succeed() {
  Deferred<void> d;
  d.callback();
  return d;
}

// An already-failed Deferred<T> (Twisted's fail).
template <typename T = void>
Deferred<T> fail(Failure failure) {
  Deferred<T> d;
  d.errback(std::move(failure));
  return d;
}
// Inside a catch block: fails with the exception being handled.
template <typename T = void>
Deferred<T> fail() {
  return fail<T>(Failure::current());
}

namespace internal {
template <typename R>
using MaybeDeferredType = ChainType<R, void>;
}  // namespace internal

// Calls f(args...) and makes its outcome a Deferred (Twisted's
// maybeDeferred): a thrown exception -> failed Deferred; a returned
// Deferred (coroutines included) -> that same Deferred; a returned Failure
// -> fail<void>(it); an Outcome<X> -> fired accordingly; a value ->
// succeed(value).
template <typename F, typename... A>
requires std::invocable<F, A...>
auto maybeDeferred(F&& f, A&&... args)
    -> Deferred<internal::MaybeDeferredType<std::invoke_result_t<F, A...>>> {
  using R = std::invoke_result_t<F, A...>;
  using U = internal::MaybeDeferredType<R>;
  try {
    if constexpr (std::is_void_v<R>) {
      std::invoke(std::forward<F>(f), std::forward<A>(args)...);
      return succeed();
    } else if constexpr (internal::kIsDeferred<R>) {
      return std::invoke(std::forward<F>(f), std::forward<A>(args)...);
    } else if constexpr (internal::kIsFailure<R>) {
      return fail<void>(std::invoke(std::forward<F>(f), std::forward<A>(args)...));
    } else if constexpr (internal::kIsOutcome<R>) {
      auto outcome = std::invoke(std::forward<F>(f), std::forward<A>(args)...);
      if (outcome.isFailure()) return fail<U>(std::move(outcome).failure());
      if constexpr (std::is_void_v<U>) {
        return succeed();
      } else {
        return succeed(std::move(outcome).value());
      }
    } else {
      return succeed(std::invoke(std::forward<F>(f), std::forward<A>(args)...));
    }
  } catch (...) {
    return fail<U>(Failure::current());
  }
}

// Calls f(args...) and returns a Deferred fired with its result, or failed
// with what it threw (Twisted's execute: no pass-through of Deferreds).
template <typename F, typename... A>
requires std::invocable<F, A...>
auto execute(F&& f, A&&... args)
    -> Deferred<std::remove_cvref_t<std::invoke_result_t<F, A...>>> {
  using R = std::remove_cvref_t<std::invoke_result_t<F, A...>>;
  static_assert(
      !internal::kIsDeferred<R> && !internal::kIsOutcome<R> && !internal::kIsFailure<R>,
      "execute() does not unwrap Deferred/Outcome/Failure results; use maybeDeferred()");
  try {
    if constexpr (std::is_void_v<R>) {
      std::invoke(std::forward<F>(f), std::forward<A>(args)...);
      return succeed();
    } else {
      return succeed(std::invoke(std::forward<F>(f), std::forward<A>(args)...));
    }
  } catch (...) {
    return fail<R>(Failure::current());
  }
}

// Calls `done` once `d` has fired, after the callbacks added before it,
// and passes the result on untouched: a failure stays the chain's to handle
// (or to report as unhandled). The reactor holds a "before" system event
// trigger's event until a returned Deferred fires through this function,
// found by argument-dependent lookup, so core/reactor.h needs no Deferred.
template <typename T>
void whenFired(Deferred<T>& d, absl::AnyInvocable<void()> done) {
  d.addBoth([done = std::move(done)](Outcome<T> outcome) mutable {
    done();
    return outcome;
  });
}

// --- addTimeout ------------------------------------------------------------------

template <typename T>
Deferred<T> Deferred<T>::addTimeout(
    Seconds timeout, ReactorTime& clock,
    absl::AnyInvocable<Outcome<T>(Outcome<T>, Seconds)> onTimeoutCancel) {
  checked();
  if (state_->tail_ != internal::typeOf<T>()) {
    state_->typeMismatch(internal::typeOf<T>(), false);
  }
  // Shared by the timer and the two steps below; addTimeout is not a hot
  // path, so one small allocation is fine here.
  struct Timer {
    bool timedOut = false;
    DelayedCall call;
  };
  auto timer = std::make_shared<Timer>();
  timer->call = clock.callLater(timeout, [timer, d = *this]() mutable {
    timer->timedOut = true;
    d.cancel();
  });
  return addBoth([timer, timeout, convert = std::move(onTimeoutCancel)](
                     Outcome<T> outcome) mutable -> Outcome<T> {
           if (!timer->timedOut) return outcome;
           if (convert) return convert(std::move(outcome), timeout);
           // AT4: only the CancelledError our cancel() caused becomes a
           // TimeoutError; anything else (a canceller's result) goes on.
           if (outcome.isFailure() &&
               outcome.failure().template check<CancelledError>()) {
             return Failure(TimeoutError(timeout.count()));
           }
           return outcome;
         })
      .addBoth([timer](Outcome<T> outcome) -> Outcome<T> {
        if (timer->call.active()) timer->call.cancel();
        // The timer lambda holds a handle to this chain; drop the cycle.
        timer->call = DelayedCall();
        return outcome;
      });
}

}  // namespace torsion

#include "deferred/coroutine.h"  // IWYU pragma: export

#endif  // TORSION_DEFERRED_DEFERRED_H_
