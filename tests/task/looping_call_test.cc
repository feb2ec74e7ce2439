// Tests for task::LoopingCall, ported from Twisted's
// src/twisted/test/test_task.py LoopTests and ReactorLoopTests (each cites
// its original), plus the torsion-specific state machine rules (generation
// counter, errors on misuse; docs/task.md). Where a Twisted test relied on
// Twisted's Clock running calls scheduled during advance() in the same
// advance (twisted#5962), the port advances once more and says so.
#include "task/looping_call.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "backends/registry.h"
#include "core/reactor.h"
#include "deferred/test_util.h"
#include "gtest/gtest.h"
#include "task/clock.h"
#include "testing/clock_test_base.h"
#include "tests/reactor_test_base.h"

namespace torsion::task {
namespace {

using namespace std::chrono_literals;
using torsion::testing::GenericError;

class LoopTests : public torsion::testing::ClockTest {
 protected:
  // An f that waits: each call returns a new Deferred, kept in `pendings`
  // (one per call, in order) for the test to fire.
  std::function<Deferred<void>()> waitingF() {
    return [this] {
      pendings.emplace_back();
      return pendings.back();
    };
  }
  std::vector<Deferred<void>> pendings;
};

// test_task.py LoopTests.test_defaultClock, adapted: there is no global
// reactor, so the clock is the one given; setClock replaces it.
TEST_F(LoopTests, DefaultClock) {
  LoopingCall call(clock, [] {});
  EXPECT_EQ(&call.clock(), &clock);
  Clock other;
  call.setClock(other);
  EXPECT_EQ(&call.clock(), &other);
}

// test_task.py LoopTests.test_callbackTimeSkips.
TEST_F(LoopTests, CallbackTimeSkips) {
  std::vector<double> times;
  double callDuration = 0;
  LoopingCall call(clock, [&] {
    times.push_back(clock.seconds());
    clock.advance(callDuration);
  });
  callDuration = 2;
  Deferred<LoopingCall*> d = call.start(0.5s);
  EXPECT_EQ(times, (std::vector<double>{0}));
  EXPECT_EQ(clock.seconds(), 2.0);
  // The grid point 2 is the present, not the future: skipped.
  clock.advance(0);
  EXPECT_EQ(times, (std::vector<double>{0}));
  callDuration = 1;
  clock.advance(0.5);
  EXPECT_EQ(times, (std::vector<double>{0, 2.5}));
  EXPECT_EQ(clock.seconds(), 3.5);
  clock.advance(0);
  EXPECT_EQ(times, (std::vector<double>{0, 2.5}));
  callDuration = 0;
  clock.advance(0.5);
  EXPECT_EQ(times, (std::vector<double>{0, 2.5, 4}));
  EXPECT_EQ(clock.seconds(), 4.0);
  call.stop();
  EXPECT_EQ(successResultOf(d), &call);
}

// test_task.py LoopTests.test_reactorTimeSkips.
TEST_F(LoopTests, ReactorTimeSkips) {
  std::vector<double> times;
  LoopingCall call(clock, [&] { times.push_back(clock.seconds()); });
  call.start(0.5s);
  EXPECT_EQ(times, (std::vector<double>{0}));
  clock.advance(2);
  EXPECT_EQ(times, (std::vector<double>{0, 2}));
  clock.advance(1);
  EXPECT_EQ(times, (std::vector<double>{0, 2, 3}));
  clock.advance(0);
  EXPECT_EQ(times, (std::vector<double>{0, 2, 3}));
  call.stop();
}

using Counts = std::vector<std::pair<double, std::int64_t>>;

// The interval and the lateness (REALISTIC_DELAY) of Twisted's count tests.
constexpr double kInterval = 0.5;
constexpr double kRealisticDelay = 0.01;

// A withCount loop on `clock` recording (time, count) for every call.
LoopingCall countingLoop(Clock& clock, Counts& times) {
  return LoopingCall::withCount(clock, [&clock, &times](std::int64_t n) {
    times.emplace_back(clock.seconds(), n);
  });
}

// test_task.py LoopTests.test_reactorTimeCountSkips.
TEST_F(LoopTests, ReactorTimeCountSkips) {
  Counts times;
  LoopingCall call = countingLoop(clock, times);
  call.start(Seconds(kInterval));
  EXPECT_EQ(times, (Counts{{0, 1}}));
  clock.advance(kInterval + kRealisticDelay);
  EXPECT_EQ(times, (Counts{{0, 1}, {kInterval + kRealisticDelay, 1}}));
  clock.advance(3 * kInterval + kRealisticDelay);
  const Counts expected{
      {0, 1}, {kInterval + kRealisticDelay, 1}, {4 * kInterval + 2 * kRealisticDelay, 3}};
  EXPECT_EQ(times, expected);
  clock.advance(0);
  EXPECT_EQ(times, expected);
  call.stop();
}

// test_task.py LoopTests.test_countLengthyIntervalCounts.
TEST_F(LoopTests, CountLengthyIntervalCounts) {
  Counts times;
  LoopingCall call = countingLoop(clock, times);
  call.start(Seconds(kInterval));
  ASSERT_EQ(times.size(), 1u);
  EXPECT_EQ(times.back(), (std::pair<double, std::int64_t>{0, 1}));
  clock.advance(kInterval + kRealisticDelay);
  EXPECT_EQ(times.back(),
            (std::pair<double, std::int64_t>{kInterval + kRealisticDelay, 1}));
  clock.advance(kInterval * 1.75);
  EXPECT_EQ(times.back(),
            (std::pair<double, std::int64_t>{2.75 * kInterval + kRealisticDelay, 1}));
  clock.advance(kInterval * 0.25);
  EXPECT_EQ(times.back(),
            (std::pair<double, std::int64_t>{3.0 * kInterval + kRealisticDelay, 1}));
  EXPECT_EQ(times.size(), 4u);
  call.stop();
}

// test_task.py LoopTests.test_withCountFloatingPointBoundary: with 0.1 the
// counts never include 0 and add up to the 10 intervals of 1.0 s.
TEST_F(LoopTests, WithCountFloatingPointBoundary) {
  std::vector<std::int64_t> accumulator;
  LoopingCall call =
      LoopingCall::withCount(clock, [&](std::int64_t n) { accumulator.push_back(n); });
  const int count = 10;
  const double timespan = 1.0;
  const double interval = timespan / count;
  call.start(Seconds(interval), false);
  for (int i = 0; i < count; ++i) clock.advance(interval);
  double sum = 0;
  for (int i = 0; i < count; ++i) sum += interval;
  const double epsilon = timespan - sum;
  clock.advance(epsilon);
  // The case is only interesting if 0.1 really is inexact here.
  EXPECT_GT(std::abs(epsilon), 0.0);
  EXPECT_GE(clock.seconds(), timespan);
  std::int64_t total = 0;
  for (std::int64_t n : accumulator) total += n;
  EXPECT_EQ(total, count);
  for (std::int64_t n : accumulator) EXPECT_NE(n, 0);
  call.stop();
}

// test_task.py LoopTests.test_withCountIntervalZero. Adapted: Twisted's
// Clock ran all five calls in one advance(0) (twisted#5962); here each
// advance(0) is one pass, so one call each.
TEST_F(LoopTests, WithCountIntervalZero) {
  std::vector<std::int64_t> accumulator;
  LoopingCall* loopPtr = nullptr;
  LoopingCall loop = LoopingCall::withCount(clock, [&](std::int64_t n) {
    accumulator.push_back(n);
    if (accumulator.size() > 4) loopPtr->stop();
  });
  loopPtr = &loop;
  Deferred<LoopingCall*> deferred = loop.start(0s, false);
  for (int i = 0; i < 5; ++i) clock.advance(0);
  EXPECT_EQ(successResultOf(deferred), &loop);
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1, 1, 1, 1}));
}

// test_task.py LoopTests.test_withCountIntervalZeroDelay. Adapted as above:
// one advance(0) per call.
TEST_F(LoopTests, WithCountIntervalZeroDelay) {
  Deferred<void> deferred;
  std::vector<std::int64_t> accumulator;
  LoopingCall* loopPtr = nullptr;
  LoopingCall loop =
      LoopingCall::withCount(clock, [&](std::int64_t n) -> std::optional<Deferred<void>> {
        accumulator.push_back(n);
        if (accumulator.size() == 2) return deferred;
        if (accumulator.size() > 4) loopPtr->stop();
        return std::nullopt;
      });
  loopPtr = &loop;
  Deferred<LoopingCall*> done = loop.start(0s, false);
  clock.advance(0);
  clock.advance(0);
  // The loop waits on the Deferred the second call returned.
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1}));
  clock.advance(2);
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1}));
  deferred.callback();
  for (int i = 0; i < 3; ++i) clock.advance(0);
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1, 1, 1, 1}));
  EXPECT_EQ(successResultOf(done), &loop);
}

// test_task.py LoopTests.test_withCountIntervalZeroDelayThenNonZeroInterval.
// Adapted: the second call (interval 0) needs its own advance(0).
TEST_F(LoopTests, WithCountIntervalZeroDelayThenNonZeroInterval) {
  Deferred<void> deferred;
  std::vector<std::int64_t> accumulator;
  LoopingCall loop =
      LoopingCall::withCount(clock, [&](std::int64_t n) -> std::optional<Deferred<void>> {
        accumulator.push_back(n);
        if (accumulator.size() == 2) return deferred;
        return std::nullopt;
      });
  loop.start(0s, false);
  clock.advance(10);
  clock.advance(0);
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1}));
  loop.setInterval(2s);
  deferred.callback();
  clock.advance(7);
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1, 3}));
  clock.advance(2);
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1, 3, 1}));
  clock.advance(4);
  EXPECT_EQ(accumulator, (std::vector<std::int64_t>{1, 1, 3, 1, 2}));
  loop.stop();
}

// test_task.py LoopTests.testBasicFunction (arguments become captures).
TEST_F(LoopTests, BasicFunction) {
  std::vector<std::string> calls;
  std::string a = "a", b = "b";
  LoopingCall lc(clock, [&, a, b] { calls.push_back(a + b); });
  Deferred<LoopingCall*> d = lc.start(0.1s);
  std::vector<LoopingCall*> theResult;
  d = d.addCallback([&](LoopingCall* r) {
    theResult.push_back(r);
    return r;
  });
  clock.pump({0.05, 0.1, 0.1});
  EXPECT_EQ(calls.size(), 3u) << "got " << calls.size() << " iterations, not 3";
  for (const std::string& c : calls) EXPECT_EQ(c, "ab");
  lc.stop();
  ASSERT_EQ(theResult.size(), 1u);
  EXPECT_EQ(theResult[0], &lc);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// test_task.py LoopTests.testDelayedStart.
TEST_F(LoopTests, DelayedStart) {
  int calls = 0;
  LoopingCall lc(clock, [&] { ++calls; });
  Deferred<LoopingCall*> d = lc.start(0.1s, false);
  clock.pump({0.05, 0.1, 0.1});
  EXPECT_EQ(calls, 2) << "got " << calls << " iterations, not 2";
  lc.stop();
  EXPECT_EQ(successResultOf(d), &lc);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// test_task.py LoopTests.testBadDelay.
TEST_F(LoopTests, BadDelay) {
  LoopingCall lc(clock, [] {});
  EXPECT_THROW(lc.start(-1s), std::invalid_argument);
  EXPECT_THROW(lc.start(Seconds(std::nan(""))), std::invalid_argument);
  EXPECT_FALSE(lc.running());
}

// test_task.py LoopTests._stoppingTest, testStopAtOnce (delay 0) and
// testStoppingBeforeDelayedStart (delay 10).
void stoppingTest(Clock& clock, Seconds delay) {
  int ran = 0;
  LoopingCall lc(clock, [&] { ++ran; });
  Deferred<LoopingCall*> d = lc.start(delay, false);
  lc.stop();
  EXPECT_EQ(ran, 0);
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  EXPECT_EQ(testing::successResultOf(d), &lc);
}
TEST_F(LoopTests, StopAtOnce) { stoppingTest(clock, 0s); }
TEST_F(LoopTests, StoppingBeforeDelayedStart) { stoppingTest(clock, 10s); }

// test_task.py LoopTests.test_reset.
TEST_F(LoopTests, Reset) {
  int ran = 0;
  LoopingCall lc(clock, [&] { ++ran; });
  lc.start(2s, false);
  clock.advance(1);
  lc.reset();
  clock.advance(1);
  EXPECT_EQ(ran, 0);
  clock.advance(1);
  EXPECT_EQ(ran, 1);
  lc.stop();
}

// test_task.py ReactorLoopTests.testWaitDeferred (on a Clock, as there).
TEST_F(LoopTests, WaitDeferred) {
  LoopingCall* lcPtr = nullptr;
  int calls = 0;
  LoopingCall lc(clock, [&] {
    ++calls;
    Deferred<void> d;
    Deferred<void> next = d.addCallback([&] { lcPtr->stop(); });
    clock.callLater(1s, [d]() mutable { d.callback(); });
    return next;
  });
  lcPtr = &lc;
  Deferred<LoopingCall*> done = lc.start(0.2s);
  clock.pump({0.2, 0.8});
  EXPECT_EQ(calls, 1);  // not called again before its Deferred fired
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  EXPECT_EQ(successResultOf(done), &lc);
}

// test_task.py ReactorLoopTests.testFailurePropagation (on a Clock).
TEST_F(LoopTests, FailurePropagation) {
  LoopingCall lc(clock, [&] {
    Deferred<void> d;
    clock.callLater(0.3s, [d]() mutable { d.errback(GenericError()); });
    return d;
  });
  Deferred<LoopingCall*> d = lc.start(1s);
  clock.pump({0.3});
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  EXPECT_FALSE(lc.running());
  EXPECT_TRUE(failureResultOf(d).check<GenericError>());
}

// test_task.py ReactorLoopTests.test_deferredWithCount (on a Clock).
TEST_F(LoopTests, DeferredWithCount) {
  Deferred<void> d;
  std::vector<std::int64_t> deferredCounts;
  LoopingCall lc =
      LoopingCall::withCount(clock, [&](std::int64_t n) -> std::optional<Deferred<void>> {
        deferredCounts.push_back(n);
        if (deferredCounts.size() == 1) return d;
        return std::nullopt;
      });
  Deferred<LoopingCall*> done = lc.start(0.2s, false);
  EXPECT_TRUE(deferredCounts.empty());
  clock.pump({0.2, 0.4});
  EXPECT_EQ(deferredCounts.size(), 1u);
  d.callback();
  clock.pump({0.2});
  EXPECT_EQ(deferredCounts, (std::vector<std::int64_t>{1, 3}));
  lc.stop();
  EXPECT_EQ(successResultOf(done), &lc);
}

// --- the state machine (torsion rules; docs/task.md) ------------------------

// Twisted L2 / L6: start twice and stop when not running are errors.
TEST_F(LoopTests, StartTwiceAndStopTwiceThrow) {
  LoopingCall lc(clock, [] {});
  EXPECT_THROW(lc.stop(), std::logic_error);
  EXPECT_THROW(lc.reset(), std::logic_error);
  lc.start(1s);
  EXPECT_TRUE(lc.running());
  EXPECT_THROW(lc.start(1s), std::logic_error);
  EXPECT_THROW(lc.setClock(clock), std::logic_error);
  lc.stop();
  EXPECT_FALSE(lc.running());
  EXPECT_THROW(lc.stop(), std::logic_error);
}

// Twisted L5: f throwing synchronously ends the loop with that failure.
TEST_F(LoopTests, SynchronousFailureEndsLoop) {
  int calls = 0;
  LoopingCall lc(clock, [&] {
    if (++calls == 2) throw GenericError();
  });
  Deferred<LoopingCall*> d = lc.start(1s);
  clock.advance(1);
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(lc.running());
  EXPECT_TRUE(failureResultOf(d).check<GenericError>());
}

// Twisted L6 [verified]: stop() while f's Deferred is pending fires
// start()'s Deferred only when f's Deferred fires; nothing more runs.
TEST_F(LoopTests, StopWhileDeferredPending) {
  LoopingCall lc(clock, waitingF());
  Deferred<LoopingCall*> done = lc.start(1s);
  lc.stop();
  EXPECT_TRUE(hasNoResult(done));
  ASSERT_EQ(pendings.size(), 1u);
  pendings[0].callback();
  EXPECT_EQ(successResultOf(done), &lc);
  EXPECT_EQ(pendings.size(), 1u);  // f ran once
}

// Twisted L10: running is false by the time start()'s Deferred fires.
TEST_F(LoopTests, NotRunningWhenDeferredFires) {
  LoopingCall lc(clock, [] {});
  bool runningInside = true;
  (void)lc.start(1s).addCallback([&](LoopingCall* l) { runningInside = l->running(); });
  lc.stop();
  EXPECT_FALSE(runningInside);
}

// Complaint row 10 (twisted#2998): stop while f's Deferred is pending, start
// again, then the old Deferred fires: it finishes the OLD run only. The new
// run's Deferred stays unfired and its schedule is untouched.
TEST_F(LoopTests, StaleCompletionCannotFireNewRun) {
  LoopingCall lc(clock, waitingF());
  Deferred<LoopingCall*> first = lc.start(1s);
  lc.stop();
  Deferred<LoopingCall*> second = lc.start(1s);  // calls f again: pending #2
  ASSERT_EQ(pendings.size(), 2u);
  pendings[0].callback();  // the first run's f finishes
  EXPECT_EQ(successResultOf(first), &lc);
  EXPECT_TRUE(hasNoResult(second));
  EXPECT_TRUE(lc.running());
  EXPECT_TRUE(clock.getDelayedCalls().empty());  // still waiting on #2
  pendings[1].callback();
  EXPECT_EQ(clock.getDelayedCalls().size(), 1u);
  lc.stop();
  EXPECT_EQ(successResultOf(second), &lc);
}

// A stale failure fails the old run's Deferred, not the new run.
TEST_F(LoopTests, StaleFailureCannotFailNewRun) {
  LoopingCall lc(clock, waitingF());
  Deferred<LoopingCall*> first = lc.start(1s);
  lc.stop();
  Deferred<LoopingCall*> second = lc.start(1s, false);
  pendings[0].errback(GenericError());
  EXPECT_TRUE(failureResultOf(first).check<GenericError>());
  EXPECT_TRUE(lc.running());
  clock.advance(1);
  ASSERT_EQ(pendings.size(), 2u);
  pendings[1].callback();
  lc.stop();
  EXPECT_EQ(successResultOf(second), &lc);
}

// Twisted L11: after a stop, start() works again with a new Deferred.
TEST_F(LoopTests, RestartReturnsNewDeferred) {
  int calls = 0;
  LoopingCall lc(clock, [&] { ++calls; });
  Deferred<LoopingCall*> a = lc.start(1s);
  lc.stop();
  Deferred<LoopingCall*> b = lc.start(1s);
  EXPECT_FALSE(a == b);
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(hasNoResult(b));
  lc.stop();
  EXPECT_EQ(successResultOf(b), &lc);
}

// f may stop the loop and start it again from inside itself (twisted#2804).
TEST_F(LoopTests, RestartFromInsideF) {
  int calls = 0;
  LoopingCall* self = nullptr;
  std::vector<Deferred<LoopingCall*>> runs;
  LoopingCall lc(clock, [&] {
    if (++calls == 2) {
      self->stop();
      runs.push_back(self->start(5s, false));
    }
  });
  self = &lc;
  runs.push_back(lc.start(1s));
  clock.advance(1);  // second call: restarts
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(successResultOf(runs[0]), &lc);
  EXPECT_TRUE(hasNoResult(runs[1]));
  ASSERT_EQ(clock.getDelayedCalls().size(), 1u);
  EXPECT_EQ(clock.getDelayedCalls()[0].getTime(), 6.0);
  lc.stop();
  EXPECT_EQ(successResultOf(runs[1]), &lc);
}

// Complaint row 9 (twisted#6656): cancelling start()'s Deferred ends the
// loop; the Deferred fails with CancelledError; no call is left pending.
TEST_F(LoopTests, CancelStopsLoop) {
  int calls = 0;
  LoopingCall lc(clock, [&] { ++calls; });
  Deferred<LoopingCall*> d = lc.start(1s);
  d.cancel();
  EXPECT_FALSE(lc.running());
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  EXPECT_TRUE(failureResultOf(d).check<CancelledError>());
  clock.advance(5);
  EXPECT_EQ(calls, 1);
  // The LoopingCall can be started again.
  Deferred<LoopingCall*> again = lc.start(1s);
  lc.stop();
  EXPECT_EQ(successResultOf(again), &lc);
}

// Cancelling while f's Deferred is pending: the loop ends now, and f's
// Deferred firing later neither schedules nor fires anything.
TEST_F(LoopTests, CancelWhileFPending) {
  LoopingCall lc(clock, waitingF());
  Deferred<LoopingCall*> d = lc.start(1s);
  d.cancel();
  EXPECT_FALSE(lc.running());
  EXPECT_TRUE(failureResultOf(d).check<CancelledError>());
  ASSERT_EQ(pendings.size(), 1u);
  pendings[0].callback();
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  EXPECT_EQ(pendings.size(), 1u);  // f ran once
}

// setInterval validates its argument; interval() reports it.
TEST_F(LoopTests, SetInterval) {
  LoopingCall lc(clock, [] {});
  lc.start(1s);
  EXPECT_EQ(lc.interval(), 1s);
  EXPECT_THROW(lc.setInterval(-1s), std::invalid_argument);
  lc.setInterval(3s);
  EXPECT_EQ(lc.interval(), 3s);
  clock.advance(1);  // the call scheduled with the old interval runs...
  ASSERT_EQ(clock.getDelayedCalls().size(), 1u);
  EXPECT_EQ(clock.getDelayedCalls()[0].getTime(), 3.0);  // ...then the new grid
  lc.stop();
}

// Destroying a running LoopingCall cancels its scheduled call; a pending
// Deferred of f firing later is harmless.
TEST_F(LoopTests, DestroyWhileRunning) {
  Deferred<void> pending;
  {
    LoopingCall lc(clock, [] {});
    (void)lc.start(1s);
  }
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  {
    LoopingCall lc(clock, [&] { return pending; });
    (void)lc.start(1s);
  }
  pending.callback();
  EXPECT_TRUE(clock.getDelayedCalls().empty());
}

// f returning a Deferred with a value: the value is ignored, the loop goes on.
TEST_F(LoopTests, DeferredValueIgnored) {
  int calls = 0;
  LoopingCall lc(clock, [&] {
    ++calls;
    return succeed(42);
  });
  lc.start(1s);
  clock.advance(1);
  EXPECT_EQ(calls, 2);
  lc.stop();
}

// --- on a real reactor: test_task.py ReactorLoopTests -----------------------

class ReactorLoopTests : public torsion::testing::ReactorTest {};

// test_task.py ReactorLoopTests.testFailure.
TEST_P(ReactorLoopTests, Failure) {
  LoopingCall lc(reactor(), [] { throw GenericError(); });
  Deferred<LoopingCall*> d = lc.start(0.1s);
  EXPECT_TRUE(testing::failureResultOf(d).check<GenericError>());
}

// test_task.py ReactorLoopTests.testFailAndStop.
TEST_P(ReactorLoopTests, FailAndStop) {
  LoopingCall* self = nullptr;
  LoopingCall lc(reactor(), [&] {
    self->stop();
    throw GenericError();
  });
  self = &lc;
  Deferred<LoopingCall*> d = lc.start(0.1s);
  EXPECT_TRUE(testing::failureResultOf(d).check<GenericError>());
}

// test_task.py ReactorLoopTests.testEveryIteration: interval 0 runs once per
// reactor iteration.
TEST_P(ReactorLoopTests, EveryIteration) {
  int ran = 0;
  LoopingCall* self = nullptr;
  LoopingCall lc(reactor(), [&] {
    if (++ran > 5) self->stop();
  });
  self = &lc;
  Deferred<LoopingCall*> d = lc.start(0s);
  EXPECT_EQ(ran, 1);
  for (int i = 0; i < 2; ++i) reactor().iterate(0s);
  EXPECT_EQ(ran, 3);  // one per pass
  ASSERT_TRUE(iterateUntil([&] { return !lc.running(); }));
  EXPECT_EQ(ran, 6);
  EXPECT_EQ(testing::successResultOf(d), &lc);
}

// test_task.py ReactorLoopTests.testStopAtOnceLater: stop() from a reactor
// callback before the first call means f never runs.
TEST_P(ReactorLoopTests, StopAtOnceLater) {
  bool ran = false;
  bool done = false;
  LoopingCall lc(reactor(), [&] { ran = true; });
  Deferred<LoopingCall*> d = lc.start(1s, false);
  reactor().callLater(0s, [&] {
    lc.stop();
    reactor().callLater(0s, [&] { done = true; });
  });
  ASSERT_TRUE(iterateUntil([&] { return done; }));
  EXPECT_FALSE(ran);
  EXPECT_EQ(testing::successResultOf(d), &lc);
}

// twisted#9935 / #11: a LoopingCall on a real reactor never runs before its
// grid point (lateness >= 0), and withCount's counts add up to the grid
// points passed.
TEST_P(ReactorLoopTests, NeverFiresEarly) {
  const double interval = 0.01;
  std::vector<double> times;
  std::int64_t counted = 0;
  LoopingCall* self = nullptr;
  LoopingCall lc = LoopingCall::withCount(reactor(), [&](std::int64_t n) {
    times.push_back(reactor().seconds());
    counted += n;
    if (times.size() == 5) self->stop();
  });
  self = &lc;
  const double before = reactor().seconds();
  Deferred<LoopingCall*> d = lc.start(Seconds(interval), false);
  ASSERT_TRUE(iterateUntil([&] { return !lc.running(); }));
  ASSERT_EQ(times.size(), 5u);
  for (std::size_t k = 0; k < times.size(); ++k) {
    EXPECT_GE(times[k], before + static_cast<double>(k + 1) * interval) << "call " << k;
  }
  EXPECT_GE(counted, 5);
  EXPECT_EQ(testing::successResultOf(d), &lc);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ReactorLoopTests,
                         ::testing::ValuesIn(availableBackends()),
                         torsion::testing::BackendName());

}  // namespace
}  // namespace torsion::task
