// Ports of twisted/test/test_defer.py's gatherResults tests
// (DeferredTests.test_gatherResults*, test_cancelGatherResults*) to
// deferred/gather.h, plus the variadic form and the consumeErrors
// reporting rules (behaviour G3, complaint twisted#5061 / synapse#3139).
#include "deferred/gather.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "base/log.h"
#include "deferred/deferred.h"
#include "deferred/test_util.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

using testing::DeferredTest;

void fakeCallbackCanceller(Deferred<std::string>& d) { d.callback("Callback Result"); }

using DeferredTests = DeferredTest;

// twisted/test/test_defer.py DeferredTests.test_gatherResults
TEST_F(DeferredTests, GatherResults) {
  std::vector<std::vector<int>> results;
  (void)gatherResults(std::vector{succeed(1), succeed(2)})
      .addCallback([&](std::vector<int> r) { results.push_back(r); });
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0], (std::vector<int>{1, 2}));

  std::vector<Failure> errors;
  std::vector<Deferred<int>> dl{succeed(1), fail<int>(std::invalid_argument("v"))};
  gatherResults(dl).addErrback([&](Failure f) -> std::vector<int> {
    errors.push_back(f);
    return {};
  });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].check<FirstError>());
  dl[1].addErrback([](Failure) { return 1; });  // get rid of the error
}

// twisted/test/test_defer.py DeferredTests.test_gatherResultsWithConsumeErrors,
// on Deferred<void> inputs: there the consumed Failure becomes None as in
// Twisted, so a later errback does not run. (A non-void input keeps its
// consumed Failure for later errbacks, unreported: deferred_list_test.cc
// DeferredListConsumeErrorsOnTypedInputIsNotReported.)
TEST_F(DeferredTests, GatherResultsWithConsumeErrors) {
  Deferred<void> dgood = succeed();
  Deferred<void> dbad = fail<void>(std::runtime_error("oh noes"));
  auto d = gatherResults(std::vector{dgood, dbad}, /*consumeErrors=*/true);
  std::vector<Failure> unconsumedErrors;
  dbad.addErrback([&](Failure f) { unconsumedErrors.push_back(f); });
  std::vector<Failure> gatheredErrors;
  d.addErrback([&](Failure f) { gatheredErrors.push_back(f); });
  EXPECT_EQ(unconsumedErrors.size(), 0u);
  ASSERT_EQ(gatheredErrors.size(), 1u);
  const FirstError* firstError = gatheredErrors[0].value<FirstError>();
  ASSERT_NE(firstError, nullptr);
  EXPECT_TRUE(firstError->subFailure.check<std::runtime_error>());
  EXPECT_EQ(firstError->subFailure.getErrorMessage(), "oh noes");
}

// twisted/test/test_defer.py DeferredTests.test_cancelGatherResults
TEST_F(DeferredTests, CancelGatherResults) {
  Deferred<void> deferredOne, deferredTwo;
  auto result = gatherResults(std::vector{deferredOne, deferredTwo});
  result.cancel();
  EXPECT_TRUE(failureResultOf(deferredOne).check<CancelledError>());
  EXPECT_TRUE(failureResultOf(deferredTwo).check<CancelledError>());
  Failure f = failureResultOf(result);
  ASSERT_TRUE(f.check<FirstError>());
  EXPECT_TRUE(f.value<FirstError>()->subFailure.check<CancelledError>());
}

// twisted/test/test_defer.py
// DeferredTests.test_cancelGatherResultsWithAllDeferredsCallback
TEST_F(DeferredTests, CancelGatherResultsWithAllDeferredsCallback) {
  Deferred<std::string> deferredOne(fakeCallbackCanceller);
  Deferred<std::string> deferredTwo(fakeCallbackCanceller);
  auto result = gatherResults(std::vector{deferredOne, deferredTwo});
  result.cancel();
  auto callbackResult = successResultOf(result);
  ASSERT_EQ(callbackResult.size(), 2u);
  EXPECT_EQ(callbackResult[0], "Callback Result");
  EXPECT_EQ(callbackResult[1], "Callback Result");
}

// G1: empty input gives an empty list at once; order is input order.
TEST_F(DeferredTests, GatherResultsEmptyAndOrder) {
  auto empty = gatherResults(std::vector<Deferred<int>>{});
  EXPECT_TRUE(successResultOf(empty).empty());
  Deferred<int> a, b;
  auto both = gatherResults(std::vector{a, b});
  b.callback(2);
  EXPECT_TRUE(hasNoResult(both));
  a.callback(1);
  EXPECT_EQ(successResultOf(both), (std::vector<int>{1, 2}));
}

// G3: without consumeErrors every failed input reports its Failure as
// unhandled when it goes, the one FirstError carries included, as Twisted
// logs them.
TEST_F(DeferredTests, GatherResultsWithoutConsumeErrorsReportsInputs) {
  {
    Deferred<int> a, b;
    auto g = gatherResults(std::vector{a, b});
    a.errback(std::runtime_error("first"));
    b.errback(std::runtime_error("second"));
    EXPECT_TRUE(failureResultOf(g).check<FirstError>());
  }
  auto errors = capture_.flushErrors();
  ASSERT_EQ(errors.size(), 2u);
  for (const auto& e : errors) {
    EXPECT_NE(e.message.find("Unhandled error in Deferred"), std::string::npos);
  }
}

// ... and with consumeErrors none is.
TEST_F(DeferredTests, GatherResultsWithConsumeErrorsReportsNothing) {
  {
    Deferred<int> a, b;
    auto g = gatherResults(std::vector{a, b}, /*consumeErrors=*/true);
    a.errback(std::runtime_error("first"));
    b.errback(std::runtime_error("second"));
    EXPECT_TRUE(failureResultOf(g).check<FirstError>());
  }
  EXPECT_TRUE(capture_.flushErrors().empty());
}

// The FirstError itself is reported if nobody handles the gathering.
TEST_F(DeferredTests, GatherResultsUnhandledFirstErrorIsReported) {
  {
    Deferred<int> a;
    auto g = gatherResults(std::vector{a}, /*consumeErrors=*/true);
    a.errback(std::runtime_error("boom"));
  }
  auto errors = capture_.flushErrors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("FirstError"), std::string::npos);
}

TEST_F(DeferredTests, GatherResultsOfVoid) {
  Deferred<void> a, b;
  Deferred<void> g = gatherResults(std::vector{a, b});
  a.callback();
  EXPECT_TRUE(hasNoResult(g));
  b.callback();
  successResultOf(g);
}

// Variadic form over different types: a tuple of values.
TEST_F(DeferredTests, GatherResultsVariadic) {
  Deferred<std::string> page;
  Deferred<int> count;
  Deferred<void> done;
  auto g = gatherResults(page, count, done);
  count.callback(3);
  done.callback();
  page.callback("body");
  auto [p, c, d] = successResultOf(g);
  EXPECT_EQ(p, "body");
  EXPECT_EQ(c, 3);
  EXPECT_EQ(d, std::monostate());
}

TEST_F(DeferredTests, GatherResultsVariadicFirstError) {
  Deferred<std::string> page;
  Deferred<int> count;
  auto g = gatherResults(/*consumeErrors=*/true, page, count);
  count.errback(std::out_of_range("count"));
  Failure f = failureResultOf(g);
  ASSERT_TRUE(f.check<FirstError>());
  EXPECT_EQ(f.value<FirstError>()->index, 1u);
  EXPECT_TRUE(f.value<FirstError>()->subFailure.check<std::out_of_range>());
  EXPECT_TRUE(hasNoResult(page));
}

// twisted/internet/defer.py DeferredList._cbDeferred (line 1327): a
// gathering fired by hand ignores later inputs, which keep their results.
TEST_F(DeferredTests, GatherResultsFiredByHandIgnoresLaterInputs) {
  Deferred<int> a;
  auto g = gatherResults(std::vector{a});
  g.as<std::vector<Outcome<int>>>().errback(std::runtime_error("by hand"));
  a.errback(std::runtime_error("late"));
  EXPECT_EQ(failureResultOf(a).getErrorMessage(), "late");
  EXPECT_EQ(failureResultOf(g).getErrorMessage(), "by hand");
}

// consumeErrors leaves successes alone (DL7): a later callback on a good
// input gets its value.
TEST_F(DeferredTests, GatherResultsWithConsumeErrorsKeepsSuccesses) {
  Deferred<int> dgood = succeed(1);
  auto g = gatherResults(std::vector{dgood}, /*consumeErrors=*/true);
  int later = 0;
  dgood.addCallback([&](int v) { later = v; });
  EXPECT_EQ(later, 1);
  EXPECT_EQ(successResultOf(g), std::vector<int>{1});
}

// Move-only values need consumeErrors (the results are taken, not copied).
TEST_F(DeferredTests, GatherResultsMoveOnly) {
  Deferred<std::unique_ptr<int>> a;
  EXPECT_THROW((void)gatherResults(std::vector{a}), std::invalid_argument);
  auto g = gatherResults(std::vector{a}, /*consumeErrors=*/true);
  int seen = 0;
  (void)g.addCallback([&](std::vector<std::unique_ptr<int>> v) { seen = *v[0]; });
  a.callback(std::make_unique<int>(4));
  EXPECT_EQ(seen, 4);
}

}  // namespace
}  // namespace torsion
