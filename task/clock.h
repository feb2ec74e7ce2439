// torsion/task/clock.h: Clock, a deterministic ReactorTime for tests.
//
// Mirrors twisted.internet.task.Clock (IReactorTime with seconds, callLater,
// getDelayedCalls, plus advance and pump), but it orders calls exactly like
// the real Reactor, because both schedule on the same TimerQueue:
//   * equal deadlines run first-in first-out;
//   * advance(d) moves time forward by d and then runs ONE pass at the new
//     time, like one reactor iteration: every call due by then that was
//     scheduled before the pass began runs, in (deadline, schedule order);
//     a call scheduled (or reset/delayed) while the pass runs waits for the
//     next advance, even if it is already due. So a callable that
//     reschedules itself with callLater(0) runs once per advance(0) instead
//     of looping forever (Twisted's Clock does, twisted#5962).
//   * every call in a pass sees seconds() == the new time (as in a reactor
//     that woke up late; twisted#9819).
// advanceToNext() jumps to the earliest pending deadline and runs that pass
// (twisted#8991). See docs/task.md for why.
//
//   torsion::task::Clock clock;
//   int ran = 0;
//   clock.callLater(2s, [&] { ++ran; });
//   clock.advance(1.0);   // t = 1: nothing due
//   clock.advance(1.0);   // t = 2: ran == 1
//
// Exceptions thrown by a call escape advance() (as in Twisted's Clock, so a
// test sees them): that call is consumed, the other due calls stay pending
// and run at the next advance.
//
// Thread-safety: none; use a Clock from one thread.
#ifndef TORSION_TASK_CLOCK_H_
#define TORSION_TASK_CLOCK_H_

#include <initializer_list>
#include <span>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "base/delayed_call.h"
#include "base/reactor_time.h"
#include "core/timer_queue.h"

namespace torsion::task {

class Clock : public ReactorTime {
 public:
  // A clock at time 0.0 with no pending calls.
  Clock();
  // Pending calls are cancelled (their callables destroyed).
  ~Clock() override;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;

  // The simulated time, in seconds; starts at 0.0 and only advance() moves it.
  double seconds() const override { return now_; }

  using ReactorTime::callLater;
  // Schedules `f` at seconds() + delay. A negative delay counts as zero
  // (the ReactorTime rule; Twisted's Clock would schedule in the past);
  // NaN throws std::invalid_argument.
  DelayedCall callLater(Seconds delay, absl::AnyInvocable<void()> f) override;

  // Pending calls, in the order they would run.
  std::vector<DelayedCall> getDelayedCalls() const override { return timers_.pending(); }

  // Moves time forward by `amount`, then runs one pass (see above).
  // Throws std::invalid_argument for a negative or NaN amount: time never
  // goes backwards. Exceptions from calls propagate (see above). May be
  // called from inside a call (Twisted's test_callbackTimeSkips does).
  void advance(Seconds amount);
  void advance(double amount) { advance(Seconds(amount)); }

  // advance() once per element (Twisted's pump).
  void pump(std::span<const double> timings);
  void pump(std::initializer_list<double> timings) {
    pump(std::span<const double>(timings.begin(), timings.size()));
  }

  // Jumps to the earliest pending deadline (staying put if it is already
  // due) and runs one pass there. Returns false, doing nothing, when no
  // call is pending.
  bool advanceToNext();

 private:
  void runPass();

  double now_ = 0.0;
  internal::TimerQueue timers_;
};

}  // namespace torsion::task

#endif  // TORSION_TASK_CLOCK_H_
