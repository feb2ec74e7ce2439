// Tests for task::Clock. The ClockTests cases port Twisted's
// src/twisted/test/test_task.py ClockTests (each cites its original); the
// rest pin down where torsion's Clock deliberately follows the reactor
// instead of Twisted's Clock (twisted#5962, #9819, #8991; docs/task.md).
#include "task/clock.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "gtest/gtest.h"

namespace torsion::task {
namespace {

using namespace std::chrono_literals;

// test_task.py ClockTests.testSeconds.
TEST(ClockTests, Seconds) {
  Clock c;
  EXPECT_EQ(c.seconds(), 0.0);
}

// test_task.py ClockTests.testCallLater.
TEST(ClockTests, CallLater) {
  Clock c;
  DelayedCall call = c.callLater(1s, [] {});
  EXPECT_EQ(call.getTime(), 1.0);
  EXPECT_TRUE(call.active());
  call.cancel();
}

// test_task.py ClockTests.testCallLaterCancelled.
TEST(ClockTests, CallLaterCancelled) {
  Clock c;
  DelayedCall call = c.callLater(1s, [] {});
  call.cancel();
  EXPECT_FALSE(call.active());
}

// test_task.py ClockTests.test_callLaterOrdering.
TEST(ClockTests, CallLaterOrdering) {
  Clock c;
  DelayedCall call1 = c.callLater(10s, [] {});
  DelayedCall call2 = c.callLater(1s, [] {});
  EXPECT_FALSE(call1 == call2);
  call1.cancel();
  call2.cancel();
}

// test_task.py ClockTests.testAdvance.
TEST(ClockTests, Advance) {
  Clock c;
  int events = 0;
  DelayedCall call = c.callLater(2s, [&] { ++events; });
  c.advance(1);
  EXPECT_EQ(events, 0);
  c.advance(1);
  EXPECT_EQ(events, 1);
  EXPECT_FALSE(call.active());
}

// test_task.py ClockTests.testAdvanceCancel: cancel() inside the call
// raises AlreadyCalled, because called is set before the call runs.
TEST(ClockTests, AdvanceCancel) {
  Clock c;
  auto call = std::make_shared<DelayedCall>();
  bool raised = false;
  *call = c.callLater(1s, [&raised, call] {
    try {
      call->cancel();
    } catch (const AlreadyCalled&) {
      raised = true;
    }
    *call = DelayedCall();  // break the cycle
  });
  c.advance(1);
  EXPECT_TRUE(raised);
}

// test_task.py ClockTests.testCallLaterDelayed.
TEST(ClockTests, CallLaterDelayed) {
  Clock c;
  std::vector<std::pair<int, int>> events;
  DelayedCall call = c.callLater(1s, [&] { events.emplace_back(1, 2); });
  call.delay(1s);
  EXPECT_EQ(call.getTime(), 2.0);
  c.advance(1.5);
  EXPECT_TRUE(events.empty());
  c.advance(1.0);
  EXPECT_EQ(events, (std::vector<std::pair<int, int>>{{1, 2}}));
}

// test_task.py ClockTests.testCallLaterResetLater.
TEST(ClockTests, CallLaterResetLater) {
  Clock c;
  int events = 0;
  DelayedCall call = c.callLater(2s, [&] { ++events; });
  c.advance(1);
  call.reset(3s);
  EXPECT_EQ(call.getTime(), 4.0);
  c.advance(2);
  EXPECT_EQ(events, 0);
  c.advance(1);
  EXPECT_EQ(events, 1);
}

// test_task.py ClockTests.testCallLaterResetSooner.
TEST(ClockTests, CallLaterResetSooner) {
  Clock c;
  int events = 0;
  DelayedCall call = c.callLater(4s, [&] { ++events; });
  call.reset(3s);
  EXPECT_EQ(call.getTime(), 3.0);
  c.advance(3);
  EXPECT_EQ(events, 1);
}

// test_task.py ClockTests.test_getDelayedCalls.
TEST(ClockTests, GetDelayedCalls) {
  Clock c;
  DelayedCall call = c.callLater(1s, [] {});
  DelayedCall call2 = c.callLater(2s, [] {});
  std::vector<DelayedCall> calls = c.getDelayedCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_NE(std::find(calls.begin(), calls.end(), call), calls.end());
  EXPECT_NE(std::find(calls.begin(), calls.end(), call2), calls.end());
  call.cancel();
  call2.cancel();
}

// test_task.py ClockTests.test_getDelayedCallsEmpty.
TEST(ClockTests, GetDelayedCallsEmpty) {
  Clock c;
  EXPECT_TRUE(c.getDelayedCalls().empty());
}

// test_task.py ClockTests.test_providesIReactorTime: a Clock is a
// ReactorTime (checked at compile time).
TEST(ClockTests, ProvidesIReactorTime) {
  static_assert(std::is_base_of_v<ReactorTime, Clock>);
  Clock c;
  ReactorTime& time = c;
  EXPECT_EQ(time.seconds(), 0.0);
}

using Log = std::vector<std::pair<std::string, double>>;

// test_task.py ClockTests.test_callLaterKeepsCallsOrdered.
TEST(ClockTests, CallLaterKeepsCallsOrdered) {
  Clock clock;
  Log result;
  auto logtime = [&](std::string n) {
    return [&, n] { result.emplace_back(n, clock.seconds()); };
  };
  DelayedCall callA = clock.callLater(1s, logtime("a"));
  callA.reset(3s);
  clock.callLater(2s, logtime("b"));
  clock.pump({1, 1, 1});
  EXPECT_EQ(result, (Log{{"b", 2.0}, {"a", 3.0}}));
}

// test_task.py ClockTests.test_callLaterResetKeepsCallsOrdered.
TEST(ClockTests, CallLaterResetKeepsCallsOrdered) {
  Clock clock;
  Log result;
  auto logtime = [&](std::string n) {
    return [&, n] { result.emplace_back(n, clock.seconds()); };
  };
  DelayedCall callA = clock.callLater(1s, logtime("a"));
  clock.callLater(2s, logtime("b"));
  callA.reset(3s);
  clock.pump({1, 1, 1});
  EXPECT_EQ(result, (Log{{"b", 2.0}, {"a", 3.0}}));
}

// test_task.py ClockTests.test_callLaterResetInsideCallKeepsCallsOrdered.
TEST(ClockTests, CallLaterResetInsideCallKeepsCallsOrdered) {
  Clock clock;
  Log result;
  auto logtime = [&](std::string n) {
    return [&, n] { result.emplace_back(n, clock.seconds()); };
  };
  DelayedCall callB = clock.callLater(2s, logtime("b"));
  clock.callLater(1s, [&] { callB.reset(3s); });
  clock.callLater(3s, logtime("c"));
  clock.pump({0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5});
  EXPECT_EQ(result, (Log{{"c", 3.0}, {"b", 4.0}}));
}

// --- where torsion's Clock follows the reactor (docs/task.md) --------------

// twisted#5962: a call that reschedules itself with zero delay runs once
// per advance, like once per reactor iteration, instead of looping forever.
TEST(ClockReactorRules, ZeroDelayRescheduleRunsOncePerAdvance) {
  Clock clock;
  int runs = 0;
  std::function<void()> again = [&] {
    ++runs;
    clock.callLater(0s, again);
  };
  clock.callLater(0s, again);
  clock.advance(0);
  EXPECT_EQ(runs, 1);
  clock.advance(0);
  EXPECT_EQ(runs, 2);
  clock.advance(5);
  EXPECT_EQ(runs, 3);
  for (DelayedCall& c : clock.getDelayedCalls()) c.cancel();
}

// Twisted DC11 on the Clock: A schedules B at 0; C was scheduled before the
// pass: the pass runs A and C, the next one B.
TEST(ClockReactorRules, CallsScheduledDuringAPassRunNextPass) {
  Clock clock;
  std::vector<std::string> order;
  clock.callLater(1s, [&] {
    order.push_back("A");
    clock.callLater(0s, [&] { order.push_back("B"); });
  });
  clock.callLater(1s, [&] { order.push_back("C"); });
  clock.advance(1);
  EXPECT_EQ(order, (std::vector<std::string>{"A", "C"}));
  clock.advance(0);
  EXPECT_EQ(order, (std::vector<std::string>{"A", "C", "B"}));
}

// A call scheduled during a pass with a deadline already passed still waits
// for the next pass, even if its deadline is earlier than the pass time.
TEST(ClockReactorRules, ChainedDelaysNeedOneAdvanceEach) {
  Clock clock;
  std::vector<double> at;
  clock.callLater(1s, [&] {
    at.push_back(clock.seconds());
    clock.callLater(1s, [&] { at.push_back(clock.seconds()); });
  });
  clock.advance(10);  // one pass at t=10: the first call only
  EXPECT_EQ(at, (std::vector<double>{10.0}));
  clock.advance(0);  // the second (due at 11) is not due yet
  EXPECT_EQ(at.size(), 1u);
  clock.advance(1);
  EXPECT_EQ(at, (std::vector<double>{10.0, 11.0}));
}

// twisted#9819 kept on purpose: every call of one pass sees the pass time.
TEST(ClockReactorRules, CallsOfOnePassSeeTheNewTime) {
  Clock clock;
  std::vector<double> at;
  clock.callLater(1s, [&] { at.push_back(clock.seconds()); });
  clock.callLater(2s, [&] { at.push_back(clock.seconds()); });
  clock.advance(5);
  EXPECT_EQ(at, (std::vector<double>{5.0, 5.0}));
}

// twisted#8991: advanceToNext jumps to the next deadline, one pass each.
TEST(ClockReactorRules, AdvanceToNext) {
  Clock clock;
  std::vector<double> at;
  EXPECT_FALSE(clock.advanceToNext());
  EXPECT_EQ(clock.seconds(), 0.0);
  clock.callLater(2.5s, [&] { at.push_back(clock.seconds()); });
  clock.callLater(1s, [&] {
    at.push_back(clock.seconds());
    clock.callLater(0s, [&] { at.push_back(clock.seconds()); });
  });
  EXPECT_TRUE(clock.advanceToNext());
  EXPECT_EQ(at, (std::vector<double>{1.0}));
  EXPECT_TRUE(clock.advanceToNext());  // already due: stays at 1
  EXPECT_EQ(at, (std::vector<double>{1.0, 1.0}));
  EXPECT_TRUE(clock.advanceToNext());
  EXPECT_EQ(at, (std::vector<double>{1.0, 1.0, 2.5}));
  EXPECT_EQ(clock.seconds(), 2.5);
  EXPECT_FALSE(clock.advanceToNext());
}

// Twisted C7: an exception escapes advance(); that call is consumed, the
// others stay pending for the next advance.
TEST(ClockReactorRules, ExceptionEscapesAdvance) {
  Clock clock;
  int ran = 0;
  clock.callLater(1s, [] { throw std::runtime_error("boom"); });
  clock.callLater(1s, [&] { ++ran; });
  EXPECT_THROW(clock.advance(1), std::runtime_error);
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(clock.getDelayedCalls().size(), 1u);
  clock.advance(0);
  EXPECT_EQ(ran, 1);
}

// Time never goes backwards; NaN is rejected with a clear error.
TEST(ClockReactorRules, BadAdvanceAndDelay) {
  Clock clock;
  EXPECT_THROW(clock.advance(-1), std::invalid_argument);
  EXPECT_THROW(clock.advance(std::nan("")), std::invalid_argument);
  EXPECT_THROW(clock.callLater(Seconds(std::nan("")), [] {}), std::invalid_argument);
  EXPECT_EQ(clock.seconds(), 0.0);
}

// The ReactorTime rule: a negative delay counts as zero (Twisted's Clock
// would schedule it in the past, DC1).
TEST(ClockReactorRules, NegativeDelayCountsAsZero) {
  Clock clock;
  clock.advance(5);
  int ran = 0;
  DelayedCall call = clock.callLater(-1s, [&] { ++ran; });
  EXPECT_EQ(call.getTime(), 5.0);
  clock.advance(0);
  EXPECT_EQ(ran, 1);
}

// A call may advance the clock itself (Twisted's test_callbackTimeSkips
// relies on it): the nested pass runs at the later time.
TEST(ClockReactorRules, NestedAdvance) {
  Clock clock;
  std::vector<std::pair<std::string, double>> log;
  clock.callLater(1s, [&] {
    log.emplace_back("outer", clock.seconds());
    clock.advance(2);
  });
  clock.callLater(2.5s, [&] { log.emplace_back("inner", clock.seconds()); });
  clock.advance(1);
  EXPECT_EQ(log, (Log{{"outer", 1.0}, {"inner", 3.0}}));
  EXPECT_EQ(clock.seconds(), 3.0);
}

// Destroying a Clock cancels what is pending and releases the callables.
TEST(ClockReactorRules, DestructionCancelsPendingCalls) {
  auto token = std::make_shared<int>(0);
  DelayedCall call;
  {
    Clock clock;
    call = clock.callLater(1s, [token] {});
    EXPECT_EQ(token.use_count(), 2);
  }
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_TRUE(call.cancelled());
}

}  // namespace
}  // namespace torsion::task
