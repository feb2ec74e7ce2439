// torsion/deferred/functions.h: the functions of twisted.internet.defer that
// make a Deferred from a value or a call: succeed, fail, maybeDeferred and
// execute, and whenFired (what the reactor waits on). Included by
// deferred/deferred.h.
//
//   torsion::Deferred<int> d = torsion::succeed(42);
//   auto page = torsion::maybeDeferred(fetchFromCache, key);  // value, Deferred or throw
#ifndef TORSION_DEFERRED_FUNCTIONS_H_
#define TORSION_DEFERRED_FUNCTIONS_H_

#include <functional>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "deferred/deferred.h"
#include "deferred/failure.h"
#include "deferred/internal/traits.h"
#include "deferred/outcome.h"

namespace torsion {

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

}  // namespace torsion

#endif  // TORSION_DEFERRED_FUNCTIONS_H_
