// torsion/deferred/internal/access.h: a Deferred<T> handle's internals, for
// deferred/ code only (the steps, coroutines, compositions).
#ifndef TORSION_DEFERRED_INTERNAL_ACCESS_H_
#define TORSION_DEFERRED_INTERNAL_ACCESS_H_

#include <utility>

#include "deferred/internal/chain_state.h"

namespace torsion {

template <typename T>
class Deferred;

namespace internal {

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

}  // namespace internal
}  // namespace torsion

#endif  // TORSION_DEFERRED_INTERNAL_ACCESS_H_
