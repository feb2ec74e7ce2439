// Ports of twisted/test/test_defer.py RaceTests (Twisted >= 24; behaviours
// RC1-RC4) to deferred/race.h. Twisted's tests draw the inputs with
// hypothesis; these use fixed cases of the same properties.
#include "deferred/race.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "deferred/deferred.h"
#include "deferred/test_util.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

using testing::DeferredTest;

using RaceTests = DeferredTest;

// Inputs that count how often they are cancelled.
std::vector<Deferred<int>> countingInputs(int n, std::vector<int>& cancelled) {
  cancelled.assign(n, 0);
  std::vector<Deferred<int>> ds;
  for (int i = 0; i < n; ++i) {
    ds.emplace_back([&cancelled, i](Deferred<int>&) { ++cancelled[i]; });
  }
  return ds;
}

// twisted/test/test_defer.py RaceTests.test_success: the winner's index
// and result; every other input cancelled exactly once, the winner never.
TEST_F(RaceTests, Success) {
  for (int winner = 0; winner < 4; ++winner) {
    std::vector<int> cancelled;
    auto ds = countingInputs(4, cancelled);
    auto raced = race(ds);
    ds[winner].callback(100 + winner);
    auto r = successResultOf(raced);
    EXPECT_EQ(r.index, static_cast<std::size_t>(winner));
    EXPECT_EQ(r.result, 100 + winner);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(cancelled[i], i == winner ? 0 : 1) << i;
  }
}

// twisted/test/test_defer.py RaceTests.test_failure: all fail ->
// FailureGroup with the failures in input order; nothing cancelled.
TEST_F(RaceTests, Failure) {
  std::vector<int> cancelled;
  auto ds = countingInputs(3, cancelled);
  auto raced = race(ds);
  ds[2].errback(std::runtime_error("two"));
  ds[0].errback(std::runtime_error("zero"));
  EXPECT_TRUE(hasNoResult(raced));
  ds[1].errback(std::runtime_error("one"));
  Failure f = failureResultOf(raced);
  const FailureGroup* group = f.value<FailureGroup>();
  ASSERT_NE(group, nullptr) << f.typeName();
  ASSERT_EQ(group->failures.size(), 3u);
  EXPECT_EQ(group->failures[0].getErrorMessage(), "zero");
  EXPECT_EQ(group->failures[1].getErrorMessage(), "one");
  EXPECT_EQ(group->failures[2].getErrorMessage(), "two");
  EXPECT_EQ(cancelled, (std::vector<int>{0, 0, 0}));
}

// twisted/test/test_defer.py RaceTests.test_resultAfterCancel: a loser
// whose canceller does nothing gets a result later; it is ignored and
// nothing is logged (the fixture checks).
TEST_F(RaceTests, ResultAfterCancel) {
  Deferred<int> a, b;
  auto raced = race(std::vector{a, b});
  a.callback(1);
  // b was cancelled (CancelledError, taken by race).
  b.callback(2);  // the late result after a canceller-less cancel is swallowed
  EXPECT_EQ(successResultOf(raced).result, 1);
}

// twisted/test/test_defer.py RaceTests.test_resultFromCancel: a loser
// whose canceller fires it with a value does not change the outcome.
TEST_F(RaceTests, ResultFromCancel) {
  Deferred<int> a;
  Deferred<int> b([](Deferred<int>& self) { self.callback(99); });
  auto raced = race(std::vector{a, b});
  a.callback(1);
  auto r = successResultOf(raced);
  EXPECT_EQ(r.index, 0u);
  EXPECT_EQ(r.result, 1);
}

// twisted/test/test_defer.py RaceTests.test_cancel: cancelling the race
// cancels every input; the race fails with FailureGroup of CancelledErrors.
TEST_F(RaceTests, Cancel) {
  std::vector<int> cancelled;
  auto ds = countingInputs(2, cancelled);
  auto raced = race(ds);
  raced.cancel();
  EXPECT_EQ(cancelled, (std::vector<int>{1, 1}));
  Failure f = failureResultOf(raced);
  const FailureGroup* group = f.value<FailureGroup>();
  ASSERT_NE(group, nullptr);
  ASSERT_EQ(group->failures.size(), 2u);
  EXPECT_TRUE(group->failures[0].check<CancelledError>());
  EXPECT_TRUE(group->failures[1].check<CancelledError>());
}

// A canceller that fires with a value wins a cancelled race.
TEST_F(RaceTests, CancelWithCallbackingCanceller) {
  Deferred<int> a;
  Deferred<int> b([](Deferred<int>& self) { self.callback(7); });
  auto raced = race(std::vector{a, b});
  raced.cancel();
  auto r = successResultOf(raced);
  EXPECT_EQ(r.index, 1u);
  EXPECT_EQ(r.result, 7);
}

// Already-fired inputs: the first in input order wins at once.
TEST_F(RaceTests, AlreadyFired) {
  auto raced =
      race(std::vector{fail<int>(std::runtime_error("x")), succeed(5), succeed(6)});
  auto r = successResultOf(raced);
  EXPECT_EQ(r.index, 1u);
  EXPECT_EQ(r.result, 5);
}

TEST_F(RaceTests, VoidInputs) {
  Deferred<void> a, b;
  auto raced = race(std::vector{a, b});
  b.callback();
  EXPECT_EQ(successResultOf(raced).index, 1u);
  EXPECT_TRUE(a.called());  // cancelled
}

TEST_F(RaceTests, EmptyNeverFires) {
  auto raced = race(std::vector<Deferred<int>>{});
  EXPECT_TRUE(hasNoResult(raced));
}

}  // namespace
}  // namespace torsion
