// torsion/testing/clock_test_base.h: the fixture for tests driven by a
// task::Clock, with the dirty checks of DeferredTest plus one of its own.
//
// A test FAILS if it leaves calls pending on the clock (the Clock analogue
// of the reactor fixture's dirty-reactor check, tests/reactor_test_base.h)
// or unhandled errors in the log.
//
//   class LoopTests : public torsion::testing::ClockTest {};
//   TEST_F(LoopTests, Example) {
//     clock.callLater(1s, [] {});
//     clock.advance(1);
//   }
#ifndef TORSION_TESTING_CLOCK_TEST_BASE_H_
#define TORSION_TESTING_CLOCK_TEST_BASE_H_

#include "deferred/test_util.h"
#include "gtest/gtest.h"
#include "task/clock.h"

namespace torsion::testing {

class ClockTest : public DeferredTest {
 protected:
  void TearDown() override {
    EXPECT_TRUE(clock.getDelayedCalls().empty())
        << clock.getDelayedCalls().size() << " call(s) left pending on the clock";
    DeferredTest::TearDown();
  }

  task::Clock clock;
};

}  // namespace torsion::testing

#endif  // TORSION_TESTING_CLOCK_TEST_BASE_H_
