// Tests for task::deferLater, ported from Twisted's
// src/twisted/test/test_task.py DeferLaterTests (each cites its original).
#include "task/defer_later.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "deferred/test_util.h"
#include "gtest/gtest.h"
#include "task/clock.h"
#include "testing/clock_test_base.h"

namespace torsion::task {
namespace {

using namespace std::chrono_literals;
using torsion::testing::GenericError;

class DeferLaterTests : public torsion::testing::ClockTest {};

// test_task.py DeferLaterTests.test_callback: fires after the delay (not
// before) with what the function returned (arguments become captures).
TEST_F(DeferLaterTests, Callback) {
  std::vector<std::pair<std::string, std::string>> results;
  std::string foo = "foo", bar = "bar";
  Deferred<int> d = deferLater(clock, 3s, [&, foo, bar] {
    results.emplace_back(foo, bar);
    return 17;
  });
  clock.advance(2);
  EXPECT_TRUE(results.empty());
  EXPECT_TRUE(hasNoResult(d));
  clock.advance(1);
  EXPECT_EQ(results, (std::vector<std::pair<std::string, std::string>>{{"foo", "bar"}}));
  EXPECT_EQ(successResultOf(d), 17);
}

// test_task.py DeferLaterTests.test_errback.
TEST_F(DeferLaterTests, Errback) {
  Deferred<void> d = deferLater(clock, 1s, []() -> void { throw GenericError(); });
  clock.advance(1);
  EXPECT_TRUE(failureResultOf(d).check<GenericError>());
}

// test_task.py DeferLaterTests.test_cancel: cancelling removes the timer;
// the function never runs; the Deferred fails with CancelledError.
TEST_F(DeferLaterTests, Cancel) {
  bool called = false;
  Deferred<void> d = deferLater(clock, 1s, [&] { called = true; });
  d.cancel();
  EXPECT_TRUE(clock.getDelayedCalls().empty());
  EXPECT_TRUE(failureResultOf(d).check<CancelledError>());
  clock.advance(2);
  EXPECT_FALSE(called);
}

// test_task.py DeferLaterTests.test_noCallback: no function fires with void.
TEST_F(DeferLaterTests, NoCallback) {
  Deferred<void> d = deferLater(clock, 2s);
  EXPECT_TRUE(hasNoResult(d));
  clock.advance(2.0);
  successResultOf(d);
}

// Twisted DLT2: a returned Deferred is waited for and unwrapped.
TEST_F(DeferLaterTests, ReturnedDeferredIsChained) {
  Deferred<std::string> inner;
  Deferred<std::string> d = deferLater(clock, 1s, [&] { return inner; });
  clock.advance(1);
  EXPECT_TRUE(hasNoResult(d));
  inner.callback("late");
  EXPECT_EQ(successResultOf(d), "late");
}

// Cancelling after it fired does nothing; the value stays.
TEST_F(DeferLaterTests, CancelAfterFiring) {
  Deferred<int> d = deferLater(clock, 1s, [] { return 3; });
  clock.advance(1);
  d.cancel();
  EXPECT_EQ(successResultOf(d), 3);
}

// A clock destroyed before the delay: the function never runs, the
// Deferred stays unfired and nothing leaks (checked under ASan).
TEST(DeferLaterLifetime, ClockDestroyedFirst) {
  bool called = false;
  Deferred<void> d = [&] {
    Clock c;
    return deferLater(c, 1s, [&] { called = true; });
  }();
  EXPECT_FALSE(called);
  EXPECT_FALSE(d.called());
}

}  // namespace
}  // namespace torsion::task
