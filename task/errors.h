// torsion/task/errors.h: the typed exceptions of the task module.
//
// Mirrors twisted.internet.task's SchedulerStopped, TaskFinished (with
// TaskDone, TaskStopped, TaskFailed) and NotPaused, and Python's SystemExit
// as react() understands it.
//
//   task.whenDone().addErrback([](torsion::Failure f) {
//     f.trap<torsion::task::TaskStopped>();   // stopped on purpose: fine
//   });
//
// Header-only; the standard library alone.
#ifndef TORSION_TASK_ERRORS_H_
#define TORSION_TASK_ERRORS_H_

#include <stdexcept>
#include <string>

namespace torsion::task {

// The Cooperator was stopped: every task it still ran (and every task added
// to it afterwards) completes with this.
class SchedulerStopped : public std::runtime_error {
 public:
  SchedulerStopped()
      : std::runtime_error(
            "SchedulerStopped: the Cooperator running this task was stopped") {}
};

// A CooperativeTask has finished; thrown by pause()/stop() on a finished task.
class TaskFinished : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The task's iterator was exhausted.
class TaskDone : public TaskFinished {
 public:
  TaskDone() : TaskFinished("TaskDone: the task's iterator is exhausted") {}
};

// The task was stopped with stop(); also the Failure its whenDone()
// Deferreds get.
class TaskStopped : public TaskFinished {
 public:
  TaskStopped() : TaskFinished("TaskStopped: the task was stopped") {}
};

// The task's iterator threw (or a Deferred it yielded failed).
class TaskFailed : public TaskFinished {
 public:
  TaskFailed() : TaskFinished("TaskFailed: the task's iterator failed") {}
};

// resume() on a task that is not paused.
class NotPaused : public std::logic_error {
 public:
  NotPaused() : std::logic_error("NotPaused: resume() on a task that is not paused") {}
};

// Python's SystemExit for react(): a main whose Deferred fails with
// SystemExit(n) makes react() return n.
class SystemExit : public std::runtime_error {
 public:
  explicit SystemExit(int code)
      : std::runtime_error("SystemExit(" + std::to_string(code) + ")"), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

}  // namespace torsion::task

#endif  // TORSION_TASK_ERRORS_H_
