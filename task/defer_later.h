// torsion/task/defer_later.h: deferLater, a Deferred that fires after a delay.
//
// Mirrors twisted.internet.task.deferLater: `delay` from now on `clock`, f()
// runs and its result fires the returned Deferred (a thrown exception fails
// it; a returned Deferred is waited for). Cancelling the returned Deferred
// before then cancels the timer: f never runs and the Deferred fails with
// CancelledError.
//
//   torsion::Deferred<int> d = torsion::task::deferLater(reactor, 2s, [] { return 42; });
//   torsion::Deferred<void> tick = torsion::task::deferLater(clock, 1s);
//   tick.cancel();   // CancelledError; nothing left in clock.getDelayedCalls()
//
// Thread-safety: none; use it on the thread that runs `clock`.
#ifndef TORSION_TASK_DEFER_LATER_H_
#define TORSION_TASK_DEFER_LATER_H_

#include <memory>
#include <type_traits>
#include <utility>

#include "base/delayed_call.h"
#include "base/reactor_time.h"
#include "deferred/deferred.h"

namespace torsion::task {

// A Deferred<void> that fires `delay` from now. NaN throws
// std::invalid_argument (from callLater).
inline Deferred<void> deferLater(ReactorTime& clock, Seconds delay) {
  auto call = std::make_shared<DelayedCall>();
  // The canceller holds the timer, the timer's callable holds the Deferred:
  // a cycle that firing, cancelling or destroying the clock breaks (the
  // canceller is released once the Deferred fired; the callable once it
  // ran or was cancelled).
  Deferred<void> d([call](Deferred<void>&) {
    if (call->active()) call->cancel();
  });
  *call = clock.callLater(delay, [d]() mutable { d.callback(); });
  return d;
}

// f() `delay` from now; the Deferred carries what f returns (unwrapping a
// returned Deferred<X> to X; void for void).
template <typename F>
requires std::invocable<F&>
auto deferLater(ReactorTime& clock, Seconds delay, F f) {
  return deferLater(clock, delay)
      .addCallback(
          [f = std::move(f)]() mutable -> std::invoke_result_t<F&> { return f(); });
}

}  // namespace torsion::task

#endif  // TORSION_TASK_DEFER_LATER_H_
