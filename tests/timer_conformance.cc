// The timer conformance suite: IReactorTime behaviour every ReactorTime
// (the reactor on every backend, and task::Clock) must show. Ported from
// Twisted's src/twisted/test/test_internet.py (TimeTests, DelayedTests),
// src/twisted/internet/test/test_base.py (DelayedCallMixin) and
// src/twisted/test/test_task.py (ClockTests), citing each test mirrored.
// See tests/time_driver.h for how a time source plugs in.
#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/errors.h"
#include "gtest/gtest.h"
#include "tests/time_driver.h"

namespace torsion::testing {

void TimerConformanceTest::SetUp() { driver_ = GetParam().make(); }

void TimerConformanceTest::TearDown() {
  // Twisted's dirty-reactor check: a test must not leave calls pending.
  std::vector<DelayedCall> left = time().getDelayedCalls();
  EXPECT_TRUE(left.empty()) << "test left " << left.size()
                            << " pending DelayedCall(s) behind";
  for (DelayedCall& c : left) c.cancel();
}

namespace {

using namespace std::chrono_literals;

// Mirrors test_internet.py TimeTests.test_seconds: seconds() is a number
// that does not go backwards.
TEST_P(TimerConformanceTest, Seconds) {
  double a = time().seconds();
  driver().advance(units(0.1));
  double b = time().seconds();
  EXPECT_TRUE(std::isfinite(a));
  EXPECT_GE(b, a);
}

// Mirrors test_internet.py TimeTests.test_callLaterUsesReactorSecondsInDelayedCall:
// getTime() is in seconds() time base, delay after scheduling.
TEST_P(TimerConformanceTest, CallLaterUsesReactorSecondsInDelayedCall) {
  double before = time().seconds();
  DelayedCall call = time().callLater(units(5), [] {});
  double after = time().seconds();
  EXPECT_GE(call.getTime(), before + units(5).count());
  EXPECT_LE(call.getTime(), after + units(5).count());
  call.cancel();
}

// Mirrors test_internet.py TimeTests.test_callLater: the call runs, once.
TEST_P(TimerConformanceTest, CallLater) {
  int ran = 0;
  DelayedCall call = time().callLater(units(1), [&] { ++ran; });
  EXPECT_TRUE(call.active());
  driver().advance(units(1));
  EXPECT_EQ(ran, 1);
  EXPECT_FALSE(call.active());
  driver().advance(units(1));
  EXPECT_EQ(ran, 1);
}

// A timer never fires before its deadline, measured on the same clock.
TEST_P(TimerConformanceTest, NeverFiresBeforeDeadline) {
  std::vector<DelayedCall> calls;
  int checked = 0;
  for (int i = 0; i < 20; ++i) {
    auto c = std::make_shared<DelayedCall>();
    *c = time().callLater(units(0.05 * i), [this, c, &checked] {
      EXPECT_GE(time().seconds(), c->getTime());
      ++checked;
      *c = DelayedCall();  // break the cycle
    });
  }
  driver().advance(units(1));
  EXPECT_EQ(checked, 20);
}

// Mirrors test_internet.py TimeTests.test_callLaterReset and
// test_task.py ClockTests.testCallLaterResetLater / ...ResetSooner: reset
// makes the new time "now + delay". The new deadline is far beyond the
// original one, so that a real reactor on a loaded machine, whose advance()
// may overshoot by a stall, still checks the original deadline passing
// without the call.
TEST_P(TimerConformanceTest, CallLaterReset) {
  int ran = 0;
  DelayedCall call = time().callLater(units(2), [&] { ++ran; });
  driver().advance(units(1));
  double before = time().seconds();
  call.reset(units(30));
  double after = time().seconds();
  EXPECT_GE(call.getTime(), before + units(30).count());
  EXPECT_LE(call.getTime(), after + units(30).count());
  driver().advance(units(1.5));
  EXPECT_EQ(ran, 0);  // the original deadline passed: reset moved it
  call.reset(units(0.5));
  driver().advance(units(0.5));
  EXPECT_EQ(ran, 1);
}

// Twisted DC6 (verified against 22.4): delay() moves the current deadline.
TEST_P(TimerConformanceTest, CallLaterDelay) {
  DelayedCall call = time().callLater(units(1), [] {});
  double t0 = call.getTime();
  call.delay(units(1));
  EXPECT_DOUBLE_EQ(call.getTime(), t0 + units(1).count());
  call.delay(units(-0.5));
  EXPECT_DOUBLE_EQ(call.getTime(), t0 + units(0.5).count());
  call.cancel();
}

// Mirrors test_internet.py TimeTests.test_cancelDelayedCall.
TEST_P(TimerConformanceTest, CancelDelayedCall) {
  int ran = 0;
  DelayedCall call = time().callLater(units(0.5), [&] { ++ran; });
  call.cancel();
  EXPECT_FALSE(call.active());
  EXPECT_TRUE(call.cancelled());
  driver().advance(units(1));
  EXPECT_EQ(ran, 0);
}

// Mirrors test_internet.py TimeTests.test_cancelCancelledDelayedCall.
TEST_P(TimerConformanceTest, CancelCancelledDelayedCall) {
  DelayedCall call = time().callLater(units(1), [] {});
  call.cancel();
  EXPECT_THROW(call.cancel(), AlreadyCancelled);
}

// Mirrors test_internet.py TimeTests.test_cancelCalledDelayedCallSynchronous.
TEST_P(TimerConformanceTest, CancelCalledDelayedCallSynchronous) {
  auto call = std::make_shared<DelayedCall>();
  bool threw = false;
  *call = time().callLater(0s, [call, &threw] {
    try {
      call->cancel();
    } catch (const AlreadyCalled&) {
      threw = true;
    }
    *call = DelayedCall();
  });
  DelayedCall handle = *call;
  driver().advance(units(0.5));
  EXPECT_TRUE(threw);
  EXPECT_TRUE(handle.called());
}

// Mirrors test_internet.py TimeTests.test_cancelCalledDelayedCallAsynchronous.
TEST_P(TimerConformanceTest, CancelCalledDelayedCallAsynchronous) {
  DelayedCall call = time().callLater(0s, [] {});
  driver().advance(units(0.5));
  EXPECT_THROW(call.cancel(), AlreadyCalled);
}

// Twisted DC7 (verified against 22.4): after cancel or after run, cancel,
// reset and delay all raise, cancelled winning over called.
TEST_P(TimerConformanceTest, ResetAndDelayAfterCancelOrCall) {
  DelayedCall cancelled = time().callLater(units(1), [] {});
  cancelled.cancel();
  EXPECT_THROW(cancelled.reset(units(1)), AlreadyCancelled);
  EXPECT_THROW(cancelled.delay(units(1)), AlreadyCancelled);
  DelayedCall called = time().callLater(0s, [] {});
  driver().advance(units(0.5));
  EXPECT_THROW(called.reset(units(1)), AlreadyCalled);
  EXPECT_THROW(called.delay(units(1)), AlreadyCalled);
}

// Mirrors test_internet.py DelayedTests.testGetDelayedCalls: pending calls
// are listed; cancelled and called ones are not.
TEST_P(TimerConformanceTest, GetDelayedCalls) {
  EXPECT_TRUE(time().getDelayedCalls().empty());
  DelayedCall soon = time().callLater(0s, [] {});
  DelayedCall later = time().callLater(units(50), [] {});
  DelayedCall cancelled = time().callLater(units(50), [] {});
  cancelled.cancel();
  std::vector<DelayedCall> pending = time().getDelayedCalls();
  EXPECT_EQ(pending.size(), 2u);
  EXPECT_NE(std::find(pending.begin(), pending.end(), soon), pending.end());
  EXPECT_NE(std::find(pending.begin(), pending.end(), later), pending.end());
  driver().advance(units(0.5));
  pending = time().getDelayedCalls();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0], later);
  later.cancel();
}

// Mirrors test_internet.py DelayedTests.test_active: active until it starts
// running; False inside the call (called is set first, Twisted DC3).
TEST_P(TimerConformanceTest, Active) {
  auto call = std::make_shared<DelayedCall>();
  bool activeInside = true;
  *call = time().callLater(0s, [call, &activeInside] {
    activeInside = call->active();
    *call = DelayedCall();
  });
  DelayedCall handle = *call;
  EXPECT_TRUE(handle.active());
  driver().advance(units(0.5));
  EXPECT_FALSE(activeInside);
  EXPECT_FALSE(handle.active());
}

// Mirrors test_task.py ClockTests.test_callLaterOrdering: every callLater
// returns a distinct call, and calls run in deadline order.
TEST_P(TimerConformanceTest, CallLaterOrdering) {
  std::vector<int> order;
  DelayedCall a = time().callLater(units(1.0), [&] { order.push_back(3); });
  DelayedCall b = time().callLater(units(0.2), [&] { order.push_back(1); });
  DelayedCall c = time().callLater(units(0.6), [&] { order.push_back(2); });
  EXPECT_FALSE(a == b);
  EXPECT_FALSE(b == c);
  driver().advance(units(1.5));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

// Twisted DC10 / twisted#6718: calls with one deadline run first-in
// first-out (Twisted's reactor does not promise this; its Clock does).
TEST_P(TimerConformanceTest, EqualDeadlinesRunFirstInFirstOut) {
  std::vector<int> order;
  DelayedCall first = time().callLater(units(1), [&] { order.push_back(0); });
  for (int i = 1; i < 12; ++i) {
    DelayedCall c = time().callLater(units(1), [&, i] { order.push_back(i); });
    // Same deadline for all, whatever the clock did between the calls.
    c.delay(Seconds(first.getTime() - c.getTime()));
  }
  driver().advance(units(1.5));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
}

// Mirrors test_task.py ClockTests.test_callLaterResetKeepsCallsOrdered:
// resetting a pending call reorders it.
TEST_P(TimerConformanceTest, CallLaterResetKeepsCallsOrdered) {
  std::vector<std::string> order;
  DelayedCall first = time().callLater(units(1), [&] { order.push_back("a"); });
  time().callLater(units(2), [&] { order.push_back("b"); });
  first.reset(units(3));
  driver().advance(units(4));
  EXPECT_EQ(order, (std::vector<std::string>{"b", "a"}));
}

// Mirrors test_task.py ClockTests.test_callLaterResetInsideCallKeepsCallsOrdered:
// a reset made by a running call is honoured.
TEST_P(TimerConformanceTest, CallLaterResetInsideCallKeepsCallsOrdered) {
  std::vector<std::string> order;
  DelayedCall second = time().callLater(units(3), [&] { order.push_back("b"); });
  time().callLater(units(1), [&] {
    order.push_back("a");
    second.reset(units(0.5));
  });
  time().callLater(units(4), [&] { order.push_back("c"); });
  driver().advance(units(1));
  EXPECT_EQ(order, (std::vector<std::string>{"a"}));
  driver().advance(units(1));
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b"}));
  driver().advance(units(2.5));
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c"}));
}

// Mirrors test_base.py DelayedCallMixin test_lt/test_le/test_gt/test_ge/
// test_eq/test_ne: ordered by time, equal by identity.
TEST_P(TimerConformanceTest, DelayedCallComparison) {
  DelayedCall early = time().callLater(units(1), [] {});
  DelayedCall late = time().callLater(units(2), [] {});
  DelayedCall copy = early;
  EXPECT_TRUE(early < late);
  EXPECT_TRUE(early <= late);
  EXPECT_TRUE(late > early);
  EXPECT_TRUE(late >= early);
  EXPECT_TRUE(early == copy);
  EXPECT_TRUE(early != late);
  early.cancel();
  late.cancel();
}

// Cancelled calls release their callable (and what it owns) at once.
TEST_P(TimerConformanceTest, CancelReleasesCallable) {
  auto token = std::make_shared<int>(0);
  DelayedCall call = time().callLater(units(50), [token] {});
  EXPECT_EQ(token.use_count(), 2);
  call.cancel();
  EXPECT_EQ(token.use_count(), 1);
}

// Mirrors internet/test/test_time.py TimeTestsBuilder.test_distantDelayedCall:
// a call 2**128 seconds away is harmless.
TEST_P(TimerConformanceTest, DistantDelayedCall) {
  DelayedCall distant = time().callLater(Seconds(std::ldexp(1.0, 128)),
                                         [] { ADD_FAILURE() << "the distant call ran"; });
  int ran = 0;
  time().callLater(0s, [&] { ++ran; });
  driver().advance(units(0.5));
  EXPECT_EQ(ran, 1);
  EXPECT_TRUE(distant.active());
  distant.cancel();
}

// 100,000 timers with random deadlines, a third of them cancelled: the rest
// all run, in deadline order.
TEST_P(TimerConformanceTest, HundredThousandTimers) {
  constexpr int kCount = 100'000;
  std::mt19937 rng(4242);
  std::uniform_real_distribution<double> delay(0.0, 1.0);
  std::vector<double> ranAt;
  ranAt.reserve(kCount);
  std::vector<DelayedCall> calls;
  calls.reserve(kCount);
  for (int i = 0; i < kCount; ++i) {
    auto* sink = &ranAt;
    calls.push_back(time().callLater(units(delay(rng)), [sink, i, &calls] {
      sink->push_back(calls[static_cast<std::size_t>(i)].getTime());
    }));
  }
  int cancelled = 0;
  for (int i = 0; i < kCount; i += 3) {
    calls[static_cast<std::size_t>(i)].cancel();
    ++cancelled;
  }
  EXPECT_EQ(time().getDelayedCalls().size(),
            static_cast<std::size_t>(kCount - cancelled));
  driver().advance(units(1.5));
  EXPECT_EQ(ranAt.size(), static_cast<std::size_t>(kCount - cancelled));
  EXPECT_TRUE(std::is_sorted(ranAt.begin(), ranAt.end()));
}

}  // namespace
}  // namespace torsion::testing
