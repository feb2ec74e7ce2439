// torsion/task/cooperator.h: Cooperator, many long jobs sharing one loop.
//
// Mirrors twisted.internet.task.Cooperator / CooperativeTask. A task is an
// iterator (here a Generator<T>, task/generator.h); each tick the
// Cooperator advances its tasks round-robin, one step each, until the
// time slice (10 ms of real time by default) is used up, then schedules the
// next tick on its ReactorTime, so other events get their turn. A task that
// yields a Deferred<X> (or an engaged std::optional<Deferred<X>>) pauses
// until it fires; if it fails, the task fails with that failure.
//
//   torsion::task::Generator<int> sendAll(Channel& c, std::vector<Msg> msgs) {
//     for (Msg& m : msgs) {
//       c.send(m);
//       co_yield 0;                      // let others run
//     }
//   }
//   torsion::task::Cooperator coop(reactor);
//   coop.coiterate(sendAll(channel, batch)).addCallback([] { done(); });
//
// Completion, as in Twisted: whenDone() Deferreds fire when the iterator is
// exhausted, fail with its exception (or the failed yielded Deferred's
// failure), with TaskStopped after stop(), with SchedulerStopped when the
// Cooperator stops. Differences: whenDone() fires with void, not with the
// iterator (a Generator is move-only and owned by the task); there is no
// global Cooperator behind free cooperate()/coiterate() functions because
// there is no global reactor.
//
// Thread-safety: none; use it on the thread that runs its ReactorTime.
#ifndef TORSION_TASK_COOPERATOR_H_
#define TORSION_TASK_COOPERATOR_H_

#include <memory>
#include <optional>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "base/reactor_time.h"
#include "deferred/deferred.h"
#include "task/errors.h"
#include "task/generator.h"
#include "task/internal/wait_for.h"

namespace torsion {
namespace internal {

// One step of a task's iterator: done, or go on (maybe after a Deferred).
struct CoopStepResult {
  bool exhausted = false;
  std::optional<Deferred<void>> wait;
};
using CoopStep = absl::AnyInvocable<CoopStepResult()>;

struct CoopState;
struct CoopTask;

}  // namespace internal

namespace task {

// A handle to one task of a Cooperator (Twisted's CooperativeTask). Cheap to
// copy; all copies name the same task.
class CooperativeTask {
 public:
  // A new Deferred each call: fires (void) when the iterator is exhausted,
  // fails with the task's error, TaskStopped or SchedulerStopped. After
  // completion it fires at once. Callbacks on one do not affect another.
  Deferred<void> whenDone();

  // Stops running the task until as many resume() calls (counted). Throws
  // the TaskFinished subclass (or SchedulerStopped) that ended the task.
  void pause();

  // Undoes one pause(); the task runs again from the next tick (not now).
  // Throws NotPaused when not paused. Resuming a task that finished while
  // paused does nothing.
  void resume();

  // Ends the task: whenDone() Deferreds fail with TaskStopped; it never
  // runs again. A Deferred it was waiting on is left alone; its result is
  // consumed when it fires. Throws TaskDone, TaskStopped, TaskFailed or
  // SchedulerStopped if the task already ended.
  void stop();

  friend bool operator==(const CooperativeTask& a, const CooperativeTask& b) {
    return a.task_ == b.task_;
  }

 private:
  friend class Cooperator;
  explicit CooperativeTask(std::shared_ptr<internal::CoopTask> t) : task_(std::move(t)) {}
  std::shared_ptr<internal::CoopTask> task_;
};

struct CooperatorOptions {
  // Called at the start of each tick for a fresh predicate; the tick stops
  // as soon as the predicate returns true (checked after every step).
  // Empty: a 10 ms slice of real (steady_clock) time, Twisted's default.
  absl::AnyInvocable<absl::AnyInvocable<bool()>()> terminationPredicateFactory;
  // How far ahead each tick is scheduled (Twisted: callLater(1e-8)). 0 is
  // the next reactor pass (the next Clock::advance).
  Seconds tickDelay{0};
  // When false, tasks queue up until start().
  bool started = true;
};

class Cooperator {
 public:
  // Schedules its ticks on `time`, which must outlive the Cooperator.
  explicit Cooperator(ReactorTime& time, CooperatorOptions options = {});
  // As stop(): remaining tasks complete with SchedulerStopped.
  ~Cooperator();
  Cooperator(const Cooperator&) = delete;
  Cooperator& operator=(const Cooperator&) = delete;

  // Adds a task driven by `iterator`. On a stopped Cooperator the task
  // completes at once with SchedulerStopped.
  template <typename T>
  CooperativeTask cooperate(Generator<T> iterator) {
    return add([g = std::move(iterator)]() mutable {
      internal::CoopStepResult r;
      if (!g.next()) {
        r.exhausted = true;
      } else {
        r.wait = internal::waitFor(std::move(g.value()));
      }
      return r;
    });
  }

  // cooperate(iterator).whenDone().
  template <typename T>
  Deferred<void> coiterate(Generator<T> iterator) {
    return cooperate(std::move(iterator)).whenDone();
  }
  // As above, also firing `doneDeferred` with the outcome; returns it.
  template <typename T>
  Deferred<void> coiterate(Generator<T> iterator, Deferred<void> doneDeferred) {
    (void)coiterate(std::move(iterator)).chainDeferred(doneDeferred);
    return doneDeferred;
  }

  // Starts (or restarts after stop()) running tasks.
  void start();
  // Completes every task it runs with SchedulerStopped and cancels the
  // pending tick. Tasks added afterwards fail at once until start().
  void stop();
  // Started and not stopped.
  bool running() const;

 private:
  CooperativeTask add(internal::CoopStep step);
  std::shared_ptr<internal::CoopState> state_;
};

}  // namespace task
}  // namespace torsion

#endif  // TORSION_TASK_COOPERATOR_H_
