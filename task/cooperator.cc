#include "task/cooperator.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace torsion {
namespace internal {

// How a task ended; kNone while it may still run.
enum class Completion { kNone, kDone, kStopped, kFailed, kSchedulerStopped };

struct CoopState : std::enable_shared_from_this<CoopState> {
  CoopState(ReactorTime& t, task::CooperatorOptions o)
      : time(&t), options(std::move(o)) {}

  ReactorTime* time;
  task::CooperatorOptions options;
  bool started = false;
  bool stopped = false;
  // The tasks that may run (not paused, not finished), round-robin from
  // `cursor`, which survives from one tick to the next.
  std::vector<std::shared_ptr<CoopTask>> tasks;
  std::size_t cursor = 0;
  DelayedCall tick;  // at most one tick is ever scheduled

  void addTask(std::shared_ptr<CoopTask> t);
  void removeTask(const CoopTask* t);
  void reschedule();
  void runTick();
  void stop();
  absl::AnyInvocable<bool()> newPredicate();
};

struct CoopTask : std::enable_shared_from_this<CoopTask> {
  CoopTask(std::weak_ptr<CoopState> c, CoopStep s)
      : coop(std::move(c)), step(std::move(s)) {}

  std::weak_ptr<CoopState> coop;
  CoopStep step;
  bool stepping = false;  // inside step(): it must not be destroyed yet
  int pauseCount = 0;
  Completion completion = Completion::kNone;
  std::optional<Failure> failure;  // the result for every ending but kDone
  std::vector<Deferred<void>> waiters;

  void oneWorkUnit();
  void completeWith(Completion how, std::optional<Failure> f);
  void checkFinish() const;
  void pause();
  void resume();
  void resumeAfterWait();
  void failLater(Failure f);
  Deferred<void> whenDone();
};

// --- CoopState ------------------------------------------------------------

absl::AnyInvocable<bool()> CoopState::newPredicate() {
  if (options.terminationPredicateFactory) return options.terminationPredicateFactory();
  // Twisted's _Timer: a 10 ms slice of real time. Real, not the
  // ReactorTime: a Clock's time does not move during a tick.
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(10);
  return [end] { return std::chrono::steady_clock::now() >= end; };
}

void CoopState::addTask(std::shared_ptr<CoopTask> t) {
  if (stopped) {
    t->completeWith(Completion::kSchedulerStopped, Failure(task::SchedulerStopped()));
    return;
  }
  tasks.push_back(std::move(t));
  reschedule();
}

void CoopState::removeTask(const CoopTask* t) {
  auto it =
      std::find_if(tasks.begin(), tasks.end(),
                   [t](const std::shared_ptr<CoopTask>& p) { return p.get() == t; });
  if (it == tasks.end()) return;
  const std::size_t i = static_cast<std::size_t>(it - tasks.begin());
  tasks.erase(it);
  // Keep the round-robin position on the task that was next.
  if (i < cursor) --cursor;
  if (tasks.empty() && tick.active()) {
    // Nothing left to run: no tick pending (Twisted's
    // test_removingLastTaskStopsScheduledCall; keeps reactors clean).
    tick.cancel();
    tick = DelayedCall();
  }
}

void CoopState::reschedule() {
  if (!started || stopped || tasks.empty() || tick.active()) return;
  std::weak_ptr<CoopState> weak = weak_from_this();
  tick = time->callLater(options.tickDelay, [weak] {
    if (auto self = weak.lock()) self->runTick();
  });
}

void CoopState::runTick() {
  std::shared_ptr<CoopState> keep = shared_from_this();
  tick = DelayedCall();
  absl::AnyInvocable<bool()> done = newPredicate();
  while (!tasks.empty()) {
    if (cursor >= tasks.size()) cursor = 0;
    std::shared_ptr<CoopTask> t = tasks[cursor++];
    t->oneWorkUnit();
    if (done()) break;
  }
  reschedule();
}

void CoopState::stop() {
  stopped = true;
  std::vector<std::shared_ptr<CoopTask>> running;
  running.swap(tasks);
  cursor = 0;
  if (tick.active()) tick.cancel();
  tick = DelayedCall();
  for (const std::shared_ptr<CoopTask>& t : running) {
    t->completeWith(Completion::kSchedulerStopped, Failure(task::SchedulerStopped()));
  }
}

// --- CoopTask ---------------------------------------------------------------

void CoopTask::oneWorkUnit() {
  CoopStepResult r;
  stepping = true;
  try {
    r = step();
  } catch (...) {
    stepping = false;
    if (completion == Completion::kNone) {
      completeWith(Completion::kFailed, Failure::current());
    } else {
      step = nullptr;
    }
    return;
  }
  stepping = false;
  if (completion != Completion::kNone) {
    // The iterator stopped its own task (or Cooperator): it is finished.
    step = nullptr;
    return;
  }
  if (r.exhausted) {
    completeWith(Completion::kDone, std::nullopt);
    return;
  }
  if (r.wait) {
    pause();
    // Strong references, as in Twisted: while paused, the yielded Deferred
    // is what keeps the task alive (coiterate() callers hold no handle).
    // Its steps are released once it fired, and a finished task drops its
    // iterator, so a frame holding that Deferred is no lasting cycle.
    std::shared_ptr<CoopTask> self = shared_from_this();
    (void)r.wait->addCallbacks([self] { self->resumeAfterWait(); },
                               [self](Failure f) { self->failLater(std::move(f)); });
  }
}

void CoopTask::completeWith(Completion how, std::optional<Failure> f) {
  completion = how;
  failure = std::move(f);
  if (pauseCount == 0) {
    if (auto c = coop.lock()) c->removeTask(this);
  }
  // Drop the iterator now (unless it is running: then oneWorkUnit does):
  // a finished task never runs again, and its frame may hold resources or
  // even a handle to this task.
  if (!stepping) step = nullptr;
  std::vector<Deferred<void>> fire;
  fire.swap(waiters);
  for (Deferred<void>& d : fire) {
    if (failure) {
      d.errback(*failure);
    } else {
      d.callback();
    }
  }
}

void CoopTask::checkFinish() const {
  switch (completion) {
    case Completion::kNone:
      return;
    case Completion::kDone:
      throw task::TaskDone();
    case Completion::kStopped:
      throw task::TaskStopped();
    case Completion::kFailed:
      throw task::TaskFailed();
    case Completion::kSchedulerStopped:
      throw task::SchedulerStopped();
  }
}

void CoopTask::pause() {
  checkFinish();
  if (++pauseCount == 1) {
    if (auto c = coop.lock()) c->removeTask(this);
  }
}

void CoopTask::resume() {
  if (pauseCount == 0) throw task::NotPaused();
  if (--pauseCount == 0 && completion == Completion::kNone) {
    if (auto c = coop.lock()) {
      c->addTask(shared_from_this());
    } else {
      completeWith(Completion::kSchedulerStopped, Failure(task::SchedulerStopped()));
    }
  }
}

void CoopTask::resumeAfterWait() {
  // An extra user resume() may already have taken the wait's pause.
  if (pauseCount > 0) resume();
}

void CoopTask::failLater(Failure f) {
  // A task stopped while it waited consumes the failure quietly.
  if (completion != Completion::kNone) return;
  completeWith(Completion::kFailed, std::move(f));
}

Deferred<void> CoopTask::whenDone() {
  Deferred<void> d;
  if (completion == Completion::kNone) {
    waiters.push_back(d);
  } else if (failure) {
    d.errback(*failure);
  } else {
    d.callback();
  }
  return d;
}

}  // namespace internal

namespace task {

Deferred<void> CooperativeTask::whenDone() { return task_->whenDone(); }
void CooperativeTask::pause() { task_->pause(); }
void CooperativeTask::resume() { task_->resume(); }
void CooperativeTask::stop() {
  task_->checkFinish();
  task_->completeWith(internal::Completion::kStopped, Failure(TaskStopped()));
}

Cooperator::Cooperator(ReactorTime& time, CooperatorOptions options)
    : state_(std::make_shared<internal::CoopState>(time, std::move(options))) {
  state_->started = state_->options.started;
}

Cooperator::~Cooperator() { state_->stop(); }

CooperativeTask Cooperator::add(internal::CoopStep step) {
  auto t = std::make_shared<internal::CoopTask>(state_, std::move(step));
  state_->addTask(t);
  return CooperativeTask(std::move(t));
}

void Cooperator::start() {
  state_->stopped = false;
  state_->started = true;
  state_->reschedule();
}

void Cooperator::stop() { state_->stop(); }

bool Cooperator::running() const { return state_->started && !state_->stopped; }

}  // namespace task
}  // namespace torsion
