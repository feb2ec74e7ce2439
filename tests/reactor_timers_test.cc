// Timer rules checked on the real reactor, on every backend
// (AllBackends/ReactorTimersTest.*). task::Clock shares the next-pass rule
// (task/clock_test.cc), but lets a call's exception escape advance() where
// the reactor logs it and goes on (Twisted's C7 against DC13).
// Ported from Twisted's src/twisted/internet/test/test_time.py and the
// runUntilCurrent behaviours verified against Twisted 22.4 (DC11, DC13).
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/reactor.h"
#include "gtest/gtest.h"
#include "tests/reactor_test_base.h"

namespace torsion::testing {
namespace {

using namespace std::chrono_literals;
using Order = std::vector<std::string>;

class ReactorTimersTest : public ReactorTest {};

// Twisted DC11 (verified: pass 1 runs A and C, pass 2 runs B): a call
// scheduled by a timed call waits for the next pass, so a call that keeps
// rescheduling itself with zero delay cannot starve I/O.
TEST_P(ReactorTimersTest, CallsScheduledDuringPassRunNextPass) {
  Order order;
  reactor().callLater(0s, [&] {
    order.push_back("A");
    reactor().callLater(0s, [&] { order.push_back("B"); });
  });
  reactor().callLater(0s, [&] { order.push_back("C"); });
  reactor().iterate();
  EXPECT_EQ(order, (Order{"A", "C"}));
  reactor().iterate();
  EXPECT_EQ(order, (Order{"A", "C", "B"}));
}

// A zero-delay call that reschedules itself forever still lets I/O and
// other timers run.
TEST_P(ReactorTimersTest, SelfReschedulingCallDoesNotStarve) {
  int spins = 0;
  bool stop = false;
  std::function<void()> spin = [&] {
    ++spins;
    if (!stop) reactor().callLater(0s, spin);
  };
  reactor().callLater(0s, spin);
  reactor().callLater(0.02s, [&] {
    stop = true;
    reactor().stop();
  });
  runReactor();
  EXPECT_GT(spins, 1);
  reactor().iterate();  // the spin scheduled in the stopping pass sees stop
}

// reserveDelayedCalls only makes room: the calls then scheduled run in
// deadline order as any others, and a request past the queue's limit is
// refused with the call's name. (That it allocates nothing afterwards is
// core/timer_queue_reserve_test.cc's to show.)
TEST_P(ReactorTimersTest, ReserveDelayedCallsThenScheduleAsUsual) {
  reactor().reserveDelayedCalls(64);
  Order order;
  reactor().callLater(0.002s, [&] { order.push_back("late"); });
  reactor().callLater(0s, [&] { order.push_back("soon"); });
  reactor().callLater(0.004s, [&] { reactor().stop(); });
  runReactor();
  EXPECT_EQ(order, (Order{"soon", "late"}));
  EXPECT_THROW(reactor().reserveDelayedCalls(std::numeric_limits<std::size_t>::max()),
               std::length_error);
}

// Twisted DC13: an exception from a timed call is logged once and the loop
// goes on with the other calls.
TEST_P(ReactorTimersTest, TimedCallExceptionIsLogged) {
  int ran = 0;
  reactor().callLater(0s, [] { throw std::runtime_error("boom"); });
  reactor().callLater(0s, [&] { ++ran; });
  reactor().callLater(0.01s, [&] { reactor().stop(); });
  runReactor();
  EXPECT_EQ(ran, 1);
  std::vector<log::Event> errors = log().flushErrors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("timed call"), std::string::npos);
}

// Mirrors test_time.py TimeTestsBuilder.test_delayedCallStopsReactor.
TEST_P(ReactorTimersTest, DelayedCallStopsReactor) {
  reactor().callLater(0s, [&] { reactor().stop(); });
  runReactor();
}

// DC1 decided: a negative delay counts as zero (Twisted's reactor asserts).
TEST_P(ReactorTimersTest, NegativeDelayCountsAsZero) {
  double before = reactor().seconds();
  int ran = 0;
  DelayedCall call = reactor().callLater(-5s, [&] { ++ran; });
  EXPECT_GE(call.getTime(), before);
  reactor().iterate();
  EXPECT_EQ(ran, 1);
}

TEST_P(ReactorTimersTest, NaNDelayIsRejected) {
  const Seconds nan(std::numeric_limits<double>::quiet_NaN());
  EXPECT_THROW(reactor().callLater(nan, [] {}), std::invalid_argument);
  DelayedCall call = reactor().callLater(1s, [] {});
  EXPECT_THROW(call.reset(nan), std::invalid_argument);
  EXPECT_THROW(call.delay(nan), std::invalid_argument);
  EXPECT_TRUE(call.active());
  call.cancel();
  EXPECT_TRUE(reactor().getDelayedCalls().empty());
}

// A handle outliving its reactor reports the call cancelled.
TEST_P(ReactorTimersTest, HandleOutlivesReactor) {
  auto other = Reactor::create({.backend = GetParam()});
  ASSERT_TRUE(other.ok()) << other.status();
  DelayedCall call = (*other)->callLater(1s, [] {});
  other->reset();
  EXPECT_TRUE(call.cancelled());
  EXPECT_THROW(call.cancel(), AlreadyCancelled);
}

// callSoon: FIFO, next pass for calls made during a pass, before the
// pass's due timers.
TEST_P(ReactorTimersTest, CallSoonOrdering) {
  Order order;
  reactor().callLater(0s, [&] { order.push_back("timer"); });
  reactor().callSoon([&] {
    order.push_back("soon1");
    reactor().callSoon([&] { order.push_back("soon3"); });
  });
  reactor().callSoon([&] { order.push_back("soon2"); });
  reactor().iterate();
  EXPECT_EQ(order, (Order{"soon1", "soon2", "timer"}));
  reactor().iterate();
  EXPECT_EQ(order, (Order{"soon1", "soon2", "timer", "soon3"}));
}

// A pending callSoon makes the poll not block.
TEST_P(ReactorTimersTest, CallSoonDoesNotBlock) {
  DelayedCall far = reactor().callLater(30s, [] {});
  int ran = 0;
  reactor().callWhenRunning([&] {
    reactor().callSoon([&] {
      ++ran;
      reactor().stop();
    });
  });
  runReactor(20s);
  EXPECT_EQ(ran, 1);
  far.cancel();
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ReactorTimersTest,
                         ::testing::ValuesIn(availableBackends()), BackendName());

}  // namespace
}  // namespace torsion::testing
