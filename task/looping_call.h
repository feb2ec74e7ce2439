// torsion/task/looping_call.h: LoopingCall, call a function every interval.
//
// Mirrors twisted.internet.task.LoopingCall. start(interval) calls f now
// (or after one interval) and then on the grid start + k * interval;
// grid points missed because f or the loop ran late are skipped, never
// bunched up. If f returns a Deferred the next call is scheduled only after
// it fired. start() returns a Deferred that fires with the LoopingCall when
// stop() ends the loop, or fails with f's error. withCount(f) passes f the
// number of intervals elapsed since its previous call (> 1 after skips).
//
//   torsion::task::LoopingCall heartbeat(reactor, [&] { sendPing(); });
//   heartbeat.start(5s).addErrback([](torsion::Failure f) {
//     std::cerr << "heartbeat died: " << f.getErrorMessage() << "\n";
//   });
//   ...
//   heartbeat.stop();   // the Deferred fires with &heartbeat
//
// The schedule keeps Twisted's double-seconds arithmetic (same modulo, same
// truncation) so counts and times match Twisted's to the bit. A run
// generation protects against twisted#2998/#2804: a completion of f left
// over from a stopped run only finishes that run's Deferred, never the new
// run's. See docs/task.md for the state machine.
//
// Thread-safety: none; use it on the thread that runs its clock. The
// LoopingCall must outlive its running loop; destroying it cancels the
// pending call and leaves the start() Deferred unfired.
#ifndef TORSION_TASK_LOOPING_CALL_H_
#define TORSION_TASK_LOOPING_CALL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "base/delayed_call.h"
#include "base/reactor_time.h"
#include "deferred/deferred.h"
#include "task/internal/wait_for.h"

namespace torsion {
namespace task {
class LoopingCall;
}  // namespace task

namespace internal {

// f's outcome as the loop sees it: nothing (finished synchronously) or a
// Deferred to wait for. Exceptions propagate.
using LoopStep = absl::AnyInvocable<std::optional<Deferred<void>>(std::int64_t count)>;

struct LoopState;

}  // namespace internal

namespace task {

class LoopingCall {
 public:
  // Loops `f()` on `clock`. f may return void, any value (ignored), a
  // Deferred<X> (waited for; its value ignored, its failure ends the loop)
  // or std::optional<Deferred<X>> (waited for when engaged).
  template <typename F>
  requires std::invocable<F&> LoopingCall(ReactorTime& clock, F f)
      : LoopingCall(clock, internal::LoopStep([f = std::move(f)](std::int64_t) mutable {
                      if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
                        f();
                        return std::optional<Deferred<void>>();
                      } else {
                        return internal::waitFor(f());
                      }
                    }),
                    false) {}

  // Twisted's LoopingCall.withCount: `f(count)` gets how many intervals
  // passed since its previous call (1 normally; more after skips; always 1
  // at interval 0). f is not called at all when the count would be 0.
  template <typename F>
  requires std::invocable<F&, std::int64_t>
  static LoopingCall withCount(ReactorTime& clock, F f) {
    return LoopingCall(
        clock, internal::LoopStep([f = std::move(f)](std::int64_t n) mutable {
          if constexpr (std::is_void_v<std::invoke_result_t<F&, std::int64_t>>) {
            f(n);
            return std::optional<Deferred<void>>();
          } else {
            return internal::waitFor(f(n));
          }
        }),
        true);
  }

  // Not copyable or movable: the start() Deferred fires with `this`.
  LoopingCall(const LoopingCall&) = delete;
  LoopingCall& operator=(const LoopingCall&) = delete;
  ~LoopingCall();

  // Starts the loop: f runs now (now = true, before start returns) or one
  // interval from now, then on the grid start + k * interval. Interval 0
  // runs f once per reactor pass (per Clock::advance). Returns a Deferred
  // that fires with this LoopingCall when stop() ends the loop, or fails
  // with what f threw (or its Deferred failed with). Cancelling it ends
  // the loop (no more calls; f's pending Deferred is left alone) and fails
  // it with CancelledError (twisted#6656, where Twisted cannot). Throws
  // std::invalid_argument for a negative or NaN interval, std::logic_error
  // if already running. May be called again after the loop ended.
  Deferred<LoopingCall*> start(Seconds interval, bool now = true);

  // Stops the loop. If a call is scheduled, it is cancelled and start()'s
  // Deferred fires with this now; if f is running or its Deferred is
  // pending, that Deferred fires once f has finished (f's Deferred is not
  // cancelled; Twisted's rule). Throws std::logic_error if not running.
  void stop();

  // Restarts the grid at the current time: a scheduled call moves to now +
  // interval. No effect while f runs. Throws std::logic_error if not
  // running.
  void reset();

  // True between start() and stop() (or f's failure).
  bool running() const;

  // The interval of the current (or last) run.
  Seconds interval() const;
  // Changes the interval; takes effect at the next scheduling (Twisted's
  // `lc.interval = x`). Throws std::invalid_argument if negative or NaN.
  void setInterval(Seconds interval);

  ReactorTime& clock() const;
  // Replaces the clock. Throws std::logic_error while running.
  void setClock(ReactorTime& clock);

 private:
  LoopingCall(ReactorTime& clock, internal::LoopStep step, bool withCount);

  std::shared_ptr<internal::LoopState> state_;
};

}  // namespace task
}  // namespace torsion

#endif  // TORSION_TASK_LOOPING_CALL_H_
