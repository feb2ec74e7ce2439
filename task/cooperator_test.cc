// Tests for task::Cooperator, ported from Twisted's
// src/twisted/test/test_cooperator.py CooperatorTests and RunStateTests
// (each cites its original). Twisted's FakeScheduler becomes a task::Clock
// with tickDelay 0: each clock.advance(0) is one scheduler pump (one tick).
// Not ported: AliasTests.test_cooperate (there is no global Cooperator,
// since there is no global reactor), and checks of private attributes
// (_pauseCount, _iterator: whenDone fires with void here).
#include "task/cooperator.h"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "deferred/test_util.h"
#include "gtest/gtest.h"
#include "task/clock.h"
#include "task/generator.h"
#include "testing/clock_test_base.h"

namespace torsion::task {
namespace {

using namespace std::chrono_literals;

Generator<int> empty() { co_return; }

Generator<int> items(std::vector<int> xs) {
  for (int x : xs) co_yield x;
}

// Twisted's CooperatorTests.ebIter: SchedulerStopped becomes "done".
Deferred<std::string> expectSchedulerStopped(Deferred<void> d, bool& wronglySucceeded) {
  return d
      .addCallback([&wronglySucceeded]() -> std::string {
        wronglySucceeded = true;
        return "ran to completion";
      })
      .addErrback([](Failure f) -> std::string {
        f.trap<SchedulerStopped>();
        return "done";
      });
}

CooperatorOptions notStarted() {
  CooperatorOptions options;
  options.started = false;
  return options;
}

class CooperatorTests : public torsion::testing::ClockTest {
 protected:
  // Advances until `d` has a result (at most `limit` passes).
  template <typename T>
  void runUntil(Deferred<T>& d, int limit = 100) {
    for (int i = 0; i < limit && hasNoResult(d); ++i) clock.advance(0);
  }
};

// test_cooperator.py CooperatorTests.testStoppedRejectsNewTasks, with and
// without a doneDeferred.
TEST_F(CooperatorTests, StoppedRejectsNewTasks) {
  bool wrong = false;
  {
    Cooperator c(clock);
    c.stop();
    Deferred<std::string> d = expectSchedulerStopped(c.coiterate(empty()), wrong);
    EXPECT_EQ(successResultOf(d), "done");
  }
  {
    Cooperator c(clock);
    c.stop();
    Deferred<void> stuff;
    Deferred<void> returned = c.coiterate(empty(), stuff);
    EXPECT_TRUE(returned == stuff);
    Deferred<std::string> d = expectSchedulerStopped(returned, wrong);
    EXPECT_EQ(successResultOf(d), "done");
  }
  EXPECT_FALSE(wrong);
}

// test_cooperator.py CooperatorTests.testStopRunning.
TEST_F(CooperatorTests, StopRunning) {
  Cooperator c(clock);
  int value = -1;
  auto myiter = [&]() -> Generator<int> {
    for (int i = 0; i < 3; ++i) {
      value = i;
      co_yield i;
    }
  };
  bool wrong = false;
  Deferred<std::string> d = expectSchedulerStopped(c.coiterate(myiter()), wrong);
  c.stop();
  EXPECT_EQ(successResultOf(d), "done");
  EXPECT_EQ(value, -1);
  EXPECT_FALSE(wrong);
}

// test_cooperator.py CooperatorTests.testStopOutstanding: a task paused on
// a Deferred completes with SchedulerStopped when that Deferred fires after
// the Cooperator stopped.
TEST_F(CooperatorTests, StopOutstanding) {
  Deferred<void> testControlD;
  Deferred<void> outstandingD;
  bool failed = false;
  auto myiter = [&]() -> Generator<Deferred<void>> {
    clock.callLater(0s, [d = testControlD]() mutable { d.callback(); });
    co_yield outstandingD;
    failed = true;
  };
  Cooperator c(clock);
  bool wrong = false;
  Deferred<std::string> d = expectSchedulerStopped(c.coiterate(myiter()), wrong);
  (void)testControlD.addCallback([&] {
    c.stop();
    outstandingD.callback();
  });
  runUntil(d);
  EXPECT_EQ(successResultOf(d), "done");
  EXPECT_FALSE(failed);
  EXPECT_FALSE(wrong);
}

// test_cooperator.py CooperatorTests.testUnexpectedError.
TEST_F(CooperatorTests, UnexpectedError) {
  Cooperator c(clock);
  auto myiter = []() -> Generator<int> {
    throw std::runtime_error("boom");
    co_return;
  };
  Deferred<void> d = c.coiterate(myiter());
  runUntil(d);
  EXPECT_TRUE(failureResultOf(d).check<std::runtime_error>());
}

// test_cooperator.py CooperatorTests.testUnexpectedErrorActuallyLater.
TEST_F(CooperatorTests, UnexpectedErrorActuallyLater) {
  auto myiter = [&]() -> Generator<Deferred<void>> {
    Deferred<void> later;
    clock.callLater(0s,
                    [later]() mutable { later.errback(std::runtime_error("later")); });
    co_yield later;
  };
  Cooperator c(clock);
  Deferred<void> d = c.coiterate(myiter());
  runUntil(d);
  EXPECT_TRUE(failureResultOf(d).check<std::runtime_error>());
}

// test_cooperator.py CooperatorTests.testUnexpectedErrorNotActuallyLater.
TEST_F(CooperatorTests, UnexpectedErrorNotActuallyLater) {
  auto myiter = []() -> Generator<Deferred<void>> {
    co_yield fail(std::runtime_error("now"));
  };
  Cooperator c(clock);
  Deferred<void> d = c.coiterate(myiter());
  runUntil(d);
  EXPECT_TRUE(failureResultOf(d).check<std::runtime_error>());
}

// test_cooperator.py CooperatorTests.testCooperation: four tasks
// interleave in zip order.
TEST_F(CooperatorTests, Cooperation) {
  std::vector<std::string> l;
  auto myiter = [&](std::vector<std::string> things) -> Generator<int> {
    for (const std::string& th : things) {
      l.push_back(th);
      co_yield 0;
    }
  };
  Cooperator c(clock);
  std::vector<Deferred<void>> tasks;
  tasks.push_back(c.coiterate(myiter({"a", "b", "c"})));
  tasks.push_back(c.coiterate(myiter({"1", "2", "3"})));
  tasks.push_back(c.coiterate(myiter({"d", "e", "f"})));
  tasks.push_back(c.coiterate(myiter({"4", "5", "6"})));
  runUntil(tasks.back());
  for (Deferred<void>& d : tasks) successResultOf(d);
  EXPECT_EQ(l, (std::vector<std::string>{"a", "1", "d", "4", "b", "2", "e", "5", "c", "3",
                                         "f", "6"}));
}

// test_cooperator.py CooperatorTests.testResourceExhaustion: the tick ends
// when the termination predicate says so.
TEST_F(CooperatorTests, ResourceExhaustion) {
  std::vector<int> output;
  auto stopped = std::make_shared<bool>(false);
  auto myiter = [&]() -> Generator<int> {
    for (int i = 0; i < 100; ++i) {
      output.push_back(i);
      if (i == 9) *stopped = true;
      co_yield i;
    }
  };
  CooperatorOptions options;
  options.terminationPredicateFactory = [stopped] {
    return absl::AnyInvocable<bool()>([stopped] { return *stopped; });
  };
  Cooperator c(clock, std::move(options));
  bool wrong = false;
  Deferred<std::string> d = expectSchedulerStopped(c.coiterate(myiter()), wrong);
  clock.advance(0);  // one tick
  c.stop();
  EXPECT_TRUE(*stopped);
  EXPECT_EQ(output, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(successResultOf(d), "done");
}

// test_cooperator.py CooperatorTests.testCallbackReCoiterate: coiterate from
// a whenDone callback keeps at most one tick scheduled.
TEST_F(CooperatorTests, CallbackReCoiterate) {
  CooperatorOptions options;
  options.terminationPredicateFactory = [] {
    return absl::AnyInvocable<bool()>([] { return true; });
  };
  Cooperator c(clock, std::move(options));
  bool done = false;
  (void)c.coiterate(empty()).addCallback(
      [&] { (void)c.coiterate(empty()).addBoth([&](Outcome<void>) { done = true; }); });
  int work = 0;
  while (!done) {
    EXPECT_LE(clock.getDelayedCalls().size(), 1u);
    clock.advance(0);
    ASSERT_LT(++work, 50) << "Cooperator took too long";
  }
}

// test_cooperator.py CooperatorTests.test_removingLastTaskStopsScheduledCall.
TEST_F(CooperatorTests, RemovingLastTaskStopsScheduledCall) {
  Cooperator coop(clock);
  CooperativeTask task1 = coop.cooperate(items({1, 2}));
  CooperativeTask task2 = coop.cooperate(items({1, 2}));
  EXPECT_EQ(clock.getDelayedCalls().size(), 1u);
  task1.stop();
  EXPECT_EQ(clock.getDelayedCalls().size(), 1u);
  task2.stop();
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  CooperativeTask task3 = coop.cooperate(items({1, 2}));
  EXPECT_EQ(clock.getDelayedCalls().size(), 1u);
  coop.stop();
}

// test_cooperator.py CooperatorTests.test_runningWhenStarted.
TEST_F(CooperatorTests, RunningWhenStarted) {
  Cooperator c(clock);
  EXPECT_TRUE(c.running());
}

// test_cooperator.py CooperatorTests.test_runningWhenNotStarted.
TEST_F(CooperatorTests, RunningWhenNotStarted) {
  Cooperator c(clock, notStarted());
  EXPECT_FALSE(c.running());
}

// test_cooperator.py CooperatorTests.test_runningWhenRunning.
TEST_F(CooperatorTests, RunningWhenRunning) {
  Cooperator c(clock, notStarted());
  c.start();
  EXPECT_TRUE(c.running());
  c.stop();
}

// test_cooperator.py CooperatorTests.test_runningWhenStopped.
TEST_F(CooperatorTests, RunningWhenStopped) {
  Cooperator c(clock, notStarted());
  c.start();
  c.stop();
  EXPECT_FALSE(c.running());
}

// Twisted CO10: started=false queues work until start(); start() after
// stop() restarts.
TEST_F(CooperatorTests, NotStartedQueuesWork) {
  Cooperator c(clock, notStarted());
  int ran = 0;
  auto counting = [&]() -> Generator<int> {
    ++ran;
    co_yield 0;
  };
  Deferred<void> d = c.coiterate(counting());
  clock.advance(1);
  EXPECT_EQ(ran, 0);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  c.start();
  runUntil(d);
  EXPECT_EQ(ran, 1);
  successResultOf(d);
  c.stop();
  c.start();
  Deferred<void> again = c.coiterate(empty());
  runUntil(again);
  successResultOf(again);
}

// A task's step that throws a non-std exception still fails the task.
TEST_F(CooperatorTests, NonStandardException) {
  Cooperator c(clock);
  auto myiter = []() -> Generator<int> {
    co_yield 1;
    throw 42;
  };
  Deferred<void> d = c.coiterate(myiter());
  runUntil(d);
  EXPECT_TRUE(failureResultOf(d).check<int>());
}

// A generator may stop its own task from inside its body.
TEST_F(CooperatorTests, TaskStopsItselfFromInside) {
  Cooperator c(clock);
  std::optional<CooperativeTask> self;
  int steps = 0;
  auto myiter = [&]() -> Generator<int> {
    for (;;) {
      if (++steps == 2) self->stop();
      co_yield 0;
    }
  };
  self = c.cooperate(myiter());
  Deferred<void> d = self->whenDone();
  for (int i = 0; i < 5; ++i) clock.advance(0);
  EXPECT_EQ(steps, 2);
  EXPECT_TRUE(failureResultOf(d).check<TaskStopped>());
}

// --- RunStateTests ------------------------------------------------------------

class UnhandledException : public std::runtime_error {
 public:
  UnhandledException() : std::runtime_error("UnhandledException") {}
};

// test_cooperator.py RunStateTests: a Cooperator doing one unit of work per
// tick over a worker that yields ints, or a Deferred, stops or dies on
// request.
class RunStateTests : public torsion::testing::DeferredTest {
 protected:
  RunStateTests()
      : cooperator_(clock_,
                    {.terminationPredicateFactory =
                         [] { return absl::AnyInvocable<bool()>([] { return true; }); }}),
        task_(cooperator_.cooperate(worker())) {
    cooperator_.start();
  }
  void TearDown() override {
    cooperator_.stop();
    EXPECT_TRUE(clock_.getDelayedCalls().empty());
    DeferredTest::TearDown();
  }

  // A yielded Deferred is recorded as 0 in work_ and kept in deferreds_.
  Generator<std::optional<Deferred<void>>> worker() {
    int i = 0;
    for (;;) {
      ++i;
      if (doDeferNext_) {
        doDeferNext_ = false;
        Deferred<void> d;
        work_.push_back(0);
        deferreds_.push_back(d);
        co_yield d;
      } else if (doStopNext_) {
        co_return;
      } else if (doDieNext_) {
        throw UnhandledException();
      } else {
        work_.push_back(i);
        co_yield std::nullopt;
      }
    }
  }
  void pump() { clock_.advance(0); }
  void deferNext() { doDeferNext_ = true; }
  void stopNext() { doStopNext_ = true; }
  void dieNext() { doDieNext_ = true; }

  bool doDeferNext_ = false;
  bool doStopNext_ = false;
  bool doDieNext_ = false;
  std::vector<int> work_;
  std::vector<Deferred<void>> deferreds_;
  Clock clock_;
  Cooperator cooperator_;
  CooperativeTask task_;
};

// test_cooperator.py RunStateTests.test_pauseResume.
TEST_F(RunStateTests, PauseResume) {
  pump();
  EXPECT_EQ(work_, (std::vector<int>{1}));
  pump();
  EXPECT_EQ(work_, (std::vector<int>{1, 2}));
  task_.pause();
  pump();
  EXPECT_EQ(work_, (std::vector<int>{1, 2}));
  task_.resume();
  EXPECT_EQ(work_, (std::vector<int>{1, 2}));  // resuming does no work itself
  pump();
  EXPECT_EQ(work_, (std::vector<int>{1, 2, 3}));
}

// test_cooperator.py RunStateTests.test_resumeNotPaused.
TEST_F(RunStateTests, ResumeNotPaused) {
  EXPECT_THROW(task_.resume(), NotPaused);
  task_.pause();
  task_.resume();
  EXPECT_THROW(task_.resume(), NotPaused);
}

// test_cooperator.py RunStateTests.test_pauseTwice.
TEST_F(RunStateTests, PauseTwice) {
  task_.pause();
  pump();
  EXPECT_TRUE(work_.empty());
  task_.pause();
  pump();
  EXPECT_TRUE(work_.empty());
  task_.resume();
  pump();
  EXPECT_TRUE(work_.empty());
  task_.resume();
  pump();
  EXPECT_EQ(work_, (std::vector<int>{1}));
}

// test_cooperator.py RunStateTests.test_pauseWhileDeferred.
TEST_F(RunStateTests, PauseWhileDeferred) {
  deferNext();
  pump();
  ASSERT_EQ(work_.size(), 1u);
  ASSERT_EQ(deferreds_.size(), 1u);
  pump();
  EXPECT_EQ(work_.size(), 1u);
  task_.pause();
  pump();
  EXPECT_EQ(work_.size(), 1u);
  task_.resume();
  pump();
  EXPECT_EQ(work_.size(), 1u);
  deferreds_[0].callback();
  pump();
  ASSERT_EQ(work_.size(), 2u);
  EXPECT_EQ(work_[1], 2);
}

// test_cooperator.py RunStateTests.test_whenDone: each whenDone() is a new
// Deferred; callbacks on one do not change another's result.
TEST_F(RunStateTests, WhenDone) {
  Deferred<void> deferred1 = task_.whenDone();
  Deferred<void> deferred2 = task_.whenDone();
  EXPECT_FALSE(deferred1 == deferred2);
  int results1 = 0, results2 = 0;
  std::vector<int> final1, final2;
  (void)deferred1
      .addCallback([&] {
        ++results1;
        return 1;
      })
      .addCallback([&](int v) { final1.push_back(v); });
  (void)deferred2
      .addCallback([&] {
        ++results2;
        return 2;
      })
      .addCallback([&](int v) { final2.push_back(v); });
  stopNext();
  pump();
  EXPECT_EQ(results1, 1);
  EXPECT_EQ(results2, 1);
  EXPECT_EQ(final1, (std::vector<int>{1}));
  EXPECT_EQ(final2, (std::vector<int>{2}));
}

// test_cooperator.py RunStateTests.test_whenDoneError.
TEST_F(RunStateTests, WhenDoneError) {
  std::vector<Failure> results;
  (void)task_.whenDone().addErrback([&](Failure f) { results.push_back(f); });
  dieNext();
  pump();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].check<UnhandledException>());
}

// test_cooperator.py RunStateTests.test_whenDoneStop.
TEST_F(RunStateTests, WhenDoneStop) {
  std::vector<Failure> errors;
  (void)task_.whenDone().addErrback([&](Failure f) { errors.push_back(f); });
  task_.stop();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].check<TaskStopped>());
}

// test_cooperator.py RunStateTests.test_whenDoneAlreadyDone.
TEST_F(RunStateTests, WhenDoneAlreadyDone) {
  stopNext();
  pump();
  int results = 0;
  (void)task_.whenDone().addCallback([&] { ++results; });
  EXPECT_EQ(results, 1);
}

// test_cooperator.py RunStateTests.test_stopStops.
TEST_F(RunStateTests, StopStops) {
  task_.stop();
  pump();
  EXPECT_TRUE(work_.empty());
  EXPECT_THROW(task_.stop(), TaskStopped);
  EXPECT_THROW(task_.pause(), TaskStopped);
  pump();
  EXPECT_TRUE(work_.empty());
}

// test_cooperator.py RunStateTests.test_pauseStopResume.
TEST_F(RunStateTests, PauseStopResume) {
  task_.pause();
  task_.stop();
  task_.resume();
  pump();
  EXPECT_TRUE(work_.empty());
}

// test_cooperator.py RunStateTests.test_stopDeferred: stopping a task that
// waits on a Deferred; when it fires, nothing more runs and its result was
// consumed (void), so no unhandled error.
TEST_F(RunStateTests, StopDeferred) {
  deferNext();
  pump();
  ASSERT_EQ(deferreds_.size(), 1u);
  Deferred<void> d = deferreds_.back();
  deferreds_.clear();
  work_.pop_back();
  int results = 0;
  (void)d.addBoth([&](Outcome<void> o) {
    EXPECT_FALSE(o.isFailure());
    ++results;
  });
  pump();
  task_.stop();
  pump();
  d.callback();
  pump();
  EXPECT_EQ(results, 1);
  EXPECT_TRUE(work_.empty());
}

// test_cooperator.py RunStateTests.test_stopExhausted.
TEST_F(RunStateTests, StopExhausted) {
  stopNext();
  pump();
  EXPECT_THROW(task_.stop(), TaskDone);
}

// test_cooperator.py RunStateTests.test_stopErrored.
TEST_F(RunStateTests, StopErrored) {
  dieNext();
  pump();
  EXPECT_THROW(task_.stop(), TaskFailed);
}

// test_cooperator.py RunStateTests.test_stopCooperatorReentrancy.
TEST_F(RunStateTests, StopCooperatorReentrancy) {
  std::vector<std::string> callbackPhases;
  (void)task_.whenDone().addCallback([&] {
    callbackPhases.push_back("result");
    cooperator_.stop();
    callbackPhases.push_back("done");
  });
  stopNext();
  pump();
  EXPECT_EQ(callbackPhases, (std::vector<std::string>{"result", "done"}));
}

// Twisted CO9: Cooperator.stop() completes a running task with
// SchedulerStopped; its pause()/stop() then throw SchedulerStopped.
TEST_F(RunStateTests, SchedulerStoppedState) {
  std::vector<Failure> errors;
  (void)task_.whenDone().addErrback([&](Failure f) { errors.push_back(f); });
  cooperator_.stop();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].check<SchedulerStopped>());
  EXPECT_THROW(task_.stop(), SchedulerStopped);
  EXPECT_THROW(task_.pause(), SchedulerStopped);
}

}  // namespace
}  // namespace torsion::task
