// torsion/deferred/timeout.h: Deferred<T>::addTimeout (Twisted's
// Deferred.addTimeout), declared with the class. Included by
// deferred/deferred.h.
#ifndef TORSION_DEFERRED_TIMEOUT_H_
#define TORSION_DEFERRED_TIMEOUT_H_

#include <memory>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "base/reactor_time.h"
#include "deferred/deferred.h"
#include "deferred/errors.h"
#include "deferred/outcome.h"

namespace torsion {

template <typename T>
Deferred<T> Deferred<T>::addTimeout(
    Seconds timeout, ReactorTime& clock,
    absl::AnyInvocable<Outcome<T>(Outcome<T>, Seconds)> onTimeoutCancel) {
  checked()->checkAdding(internal::typeOf<T>());
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

#endif  // TORSION_DEFERRED_TIMEOUT_H_
