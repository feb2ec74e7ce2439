// torsion/deferred/internal/callback_steps.h: the steps Deferred<T> wraps user
// callables into (addCallback, addErrback, addCallbacks, addBoth), and how a
// callable's return value becomes the chain's next result. Private to
// deferred/.
//
// A step is a callable `ChainState* (ChainState&)` (see Step): it takes the
// chain's result, calls the user's function with it and stores what comes
// back. The types were checked when the step was added, so a step knows the
// type of the value it takes.
#ifndef TORSION_DEFERRED_INTERNAL_CALLBACK_STEPS_H_
#define TORSION_DEFERRED_INTERNAL_CALLBACK_STEPS_H_

#include <functional>
#include <type_traits>
#include <utility>

#include "deferred/failure.h"
#include "deferred/internal/access.h"
#include "deferred/internal/chain_state.h"
#include "deferred/internal/traits.h"
#include "deferred/outcome.h"

namespace torsion::internal {

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
      s.emplaceValue<U>(std::move(outcome).value());
    }
    return nullptr;
  } else if constexpr (kIsFailure<D>) {
    s.setFailure(Failure(std::forward<R>(r)));
    return nullptr;
  } else {
    s.emplaceValue<U>(std::forward<R>(r));
    return nullptr;
  }
}

// Takes the chain's result, value (None for void) or Failure, as an
// Outcome<T>; the chain is left with None.
template <typename T>
Outcome<T> takeOutcome(ChainState& s) {
  if (s.isFailure()) return Outcome<T>(s.takeFailure());
  if constexpr (std::is_void_v<T>) {
    s.clearValue();
    return Outcome<void>();
  } else {
    return Outcome<T>(s.takeValue<T>());
  }
}

template <typename T, typename U, typename F>
ChainState* runCallback(ChainState& s, F& f) {
  if constexpr (std::is_void_v<T>) {
    s.clearValue();
    if constexpr (std::is_void_v<std::invoke_result_t<F>>) {
      std::invoke(std::move(f));
      return nullptr;
    } else {
      return storeResult<U>(s, std::invoke(std::move(f)));
    }
  } else {
    T value = s.takeValue<T>();
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
    if (!s.isFailure()) {
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
    Outcome<T> outcome = takeOutcome<T>(s);
    if constexpr (std::is_void_v<std::invoke_result_t<H, Outcome<T>>>) {
      std::invoke(std::move(h), std::move(outcome));
      return nullptr;
    } else {
      return storeResult<U>(s, std::invoke(std::move(h), std::move(outcome)));
    }
  }
};

}  // namespace torsion::internal

#endif  // TORSION_DEFERRED_INTERNAL_CALLBACK_STEPS_H_
