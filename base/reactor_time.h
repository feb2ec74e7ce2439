// torsion/base/reactor_time.h: the time interface (Twisted's IReactorTime).
//
// Everything that only needs time (LoopingCall, deferLater,
// Deferred::addTimeout, Cooperator) takes a ReactorTime&, so that tests can
// pass a task::Clock instead of a real reactor. Both the Reactor and
// task::Clock implement it over the same TimerQueue, so they order calls by
// the same rules: equal deadlines run first-in first-out, and a call
// scheduled while due calls run waits for the next pass.
//
// This target depends on abseil alone: deferred/ may use it without
// depending on the reactor.
//
//   void pingLater(torsion::ReactorTime& time) {
//     torsion::DelayedCall call = time.callLater(1.5s, [] { ping(); });
//     ...
//     if (call.active()) call.cancel();
//   }
#ifndef TORSION_BASE_REACTOR_TIME_H_
#define TORSION_BASE_REACTOR_TIME_H_

#include <chrono>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "base/delayed_call.h"

namespace torsion {

// Twisted measures time in floating-point seconds; so do we, so that
// callLater(1.5s, f) and callLater(Seconds(0.25), f) both read naturally and
// LoopingCall's arithmetic matches Twisted's to the bit.
using Seconds = std::chrono::duration<double>;

class ReactorTime {
 public:
  virtual ~ReactorTime() = default;

  // The current time in seconds. For the reactor this is a monotonic clock
  // (std::chrono::steady_clock), not wall-clock time.
  virtual double seconds() const = 0;

  // Calls `f` once, `delay` from now (a negative delay counts as zero), and
  // returns a handle that can cancel, reset or delay the call. A call never
  // runs before its deadline.
  virtual DelayedCall callLater(Seconds delay, absl::AnyInvocable<void()> f) = 0;

  // Any std::chrono duration: callLater(10ms, f).
  template <typename Rep, typename Period, typename F>
  DelayedCall callLater(std::chrono::duration<Rep, Period> delay, F&& f) {
    return callLater(std::chrono::duration_cast<Seconds>(delay),
                     absl::AnyInvocable<void()>(std::forward<F>(f)));
  }

  // Every call that is scheduled and neither run nor cancelled yet.
  virtual std::vector<DelayedCall> getDelayedCalls() const = 0;
};

}  // namespace torsion

#endif  // TORSION_BASE_REACTOR_TIME_H_
