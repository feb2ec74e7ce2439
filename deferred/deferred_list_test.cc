// Ports of twisted/test/test_defer.py's DeferredList tests
// (DeferredTests.testDeferredList* / test_cancelDeferredList* /
// test_cancelFiredOnOne*, DeferredListEmptyTests, FirstErrorTests) to
// deferred/deferred_list.h, plus the typed extras (heterogeneous lists,
// consumeErrors taking results, lifetime). Each ported test names the
// Twisted test it mirrors.
#include "deferred/deferred_list.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "base/log.h"
#include "deferred/deferred.h"
#include "deferred/test_util.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

using testing::DeferredTest;
using testing::GenericError;

// Twisted's fakeCallbackCanceller: a canceller that callbacks instead.
void fakeCallbackCanceller(Deferred<std::string>& d) { d.callback("Callback Result"); }

using DeferredTests = DeferredTest;

// twisted/test/test_defer.py DeferredTests.testDeferredList
TEST_F(DeferredTests, DeferredList) {
  Deferred<std::string> defr1, defr2, defr3;
  auto dl = DeferredList(std::vector{defr1, defr2, defr3});
  std::vector<Outcome<std::string>> result;
  (void)dl.addCallback(
      [&](std::vector<Outcome<std::string>> r) { result = std::move(r); });
  defr1.callback("1");
  bool caught = false;
  // Eats the GenericError the list passes on, as Twisted's "catch" does.
  defr2.addErrback([&](Failure) -> std::string {
    caught = true;
    return "";
  });
  defr2.errback(GenericError("2"));
  defr3.callback("3");
  ASSERT_EQ(result.size(), 3u);
  EXPECT_EQ(result[0].value(), "1");
  ASSERT_TRUE(result[1].isFailure());
  EXPECT_TRUE(result[1].failure().check<GenericError>());
  EXPECT_EQ(result[1].failure().getErrorMessage(), "2");
  EXPECT_EQ(result[2].value(), "3");
  EXPECT_TRUE(caught);
}

// The list is in input order whatever the firing order (DL2).
TEST_F(DeferredTests, DeferredListInputOrder) {
  Deferred<int> a, b, c;
  auto dl = DeferredList(std::vector{a, b, c});
  c.callback(3);
  a.callback(1);
  EXPECT_TRUE(hasNoResult(dl));
  b.callback(2);
  auto r = successResultOf(dl);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].value(), 1);
  EXPECT_EQ(r[1].value(), 2);
  EXPECT_EQ(r[2].value(), 3);
}

// twisted/test/test_defer.py DeferredTests.testEmptyDeferredList
TEST_F(DeferredTests, EmptyDeferredList) {
  auto dl1 = DeferredList(std::vector<Deferred<int>>{});
  EXPECT_TRUE(successResultOf(dl1).empty());
  auto dl2 = DeferredList(std::vector<Deferred<int>>{}, kFireOnOneCallback);
  EXPECT_FALSE(dl2.called());
  // DL3: with fireOnOneErrback alone it fires [] too.
  auto dl3 = DeferredList(std::vector<Deferred<int>>{}, {.fireOnOneErrback = true});
  EXPECT_TRUE(successResultOf(dl3).empty());
}

// twisted/test/test_defer.py DeferredTests.testDeferredListFireOnOneError
TEST_F(DeferredTests, DeferredListFireOnOneError) {
  Deferred<std::string> defr1, defr2, defr3;
  auto dl = DeferredList(std::vector{defr1, defr2, defr3}, {.fireOnOneErrback = true});
  std::vector<Failure> result;
  dl.addErrback([&](Failure f) -> std::vector<Outcome<std::string>> {
    result.push_back(f);
    return {};
  });
  // Consumes the error after it passed through the list.
  defr2.addErrback([](Failure) { return std::string(); });
  defr1.callback("1");
  EXPECT_TRUE(result.empty());
  defr2.errback(GenericError("from def2"));
  ASSERT_EQ(result.size(), 1u);
  const FirstError* firstError = result[0].value<FirstError>();
  ASSERT_NE(firstError, nullptr) << result[0].typeName();
  EXPECT_TRUE(firstError->subFailure.check<GenericError>());
  EXPECT_EQ(firstError->subFailure.getErrorMessage(), "from def2");
  EXPECT_EQ(firstError->index, 1u);
}

// twisted/test/test_defer.py DeferredTests.testDeferredListDontConsumeErrors
TEST_F(DeferredTests, DeferredListDontConsumeErrors) {
  Deferred<void> d1;
  auto dl = DeferredList(std::vector{d1});
  std::vector<Failure> errorTrap;
  d1.addErrback([&](Failure f) { errorTrap.push_back(f); });
  std::vector<std::vector<Outcome<void>>> resultLists;
  (void)dl.addCallback([&](std::vector<Outcome<void>> r) { resultLists.push_back(r); });
  d1.errback(GenericError("Bang"));
  ASSERT_EQ(errorTrap.size(), 1u);
  EXPECT_EQ(errorTrap[0].getErrorMessage(), "Bang");
  ASSERT_EQ(resultLists.size(), 1u);
  EXPECT_EQ(resultLists[0][0].failure().getErrorMessage(), "Bang");
}

// twisted/test/test_defer.py DeferredTests.testDeferredListConsumeErrors.
// The list takes the input's result: the input now carries void, so the
// later errback goes through d1.as<void>() (it would anyway: T is void).
TEST_F(DeferredTests, DeferredListConsumeErrors) {
  Deferred<void> d1;
  auto dl = DeferredList(std::vector{d1}, {.consumeErrors = true});
  std::vector<Failure> errorTrap;
  d1.addErrback([&](Failure f) { errorTrap.push_back(f); });
  std::vector<std::vector<Outcome<void>>> resultLists;
  (void)dl.addCallback([&](std::vector<Outcome<void>> r) { resultLists.push_back(r); });
  d1.errback(GenericError("Bang"));
  EXPECT_TRUE(errorTrap.empty());
  ASSERT_EQ(resultLists.size(), 1u);
  EXPECT_EQ(resultLists[0][0].failure().getErrorMessage(), "Bang");
}

// consumeErrors on a typed input: the list takes the value too (move-only
// types work) and the input carries void afterwards.
TEST_F(DeferredTests, DeferredListMoveOnlyNeedsConsumeErrors) {
  Deferred<std::unique_ptr<int>> d;
  EXPECT_THROW((void)DeferredList(std::vector{d}), std::invalid_argument);
  d.callback(nullptr);  // nothing was added to it
}

TEST_F(DeferredTests, DeferredListConsumeErrorsTakesResults) {
  Deferred<std::unique_ptr<int>> d;
  auto dl = DeferredList(std::vector{d}, {.consumeErrors = true});
  int seen = 0;
  (void)dl.addCallback(
      [&](std::vector<Outcome<std::unique_ptr<int>>> r) { seen = *r[0].value(); });
  d.callback(std::make_unique<int>(7));
  EXPECT_EQ(seen, 7);
  EXPECT_THROW((void)d.addCallback([](std::unique_ptr<int>) {}), DeferredTypeError);
  bool ran = false;
  d.as<void>().addCallback([&] { ran = true; });
  EXPECT_TRUE(ran);
}

// Without consumeErrors, an input nobody handles is reported (DL7).
TEST_F(DeferredTests, DeferredListUnconsumedErrorIsReported) {
  {
    Deferred<int> d;
    auto dl = DeferredList(std::vector{d});
    d.errback(GenericError("lost"));
    EXPECT_EQ(successResultOf(dl)[0].failure().getErrorMessage(), "lost");
  }
  auto errors = capture_.flushErrors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("Unhandled error in Deferred"), std::string::npos);
}

// twisted/test/test_defer.py
// DeferredTests.testDeferredListFireOnOneErrorWithAlreadyFiredDeferreds
TEST_F(DeferredTests, DeferredListFireOnOneErrorWithAlreadyFiredDeferreds) {
  Deferred<void> d1, d2;
  d1.errback(GenericError("Bang"));
  auto dl = DeferredList(std::vector{d1, d2}, {.fireOnOneErrback = true});
  std::vector<Failure> result;
  dl.addErrback([&](Failure f) -> std::vector<Outcome<void>> {
    result.push_back(f);
    return {};
  });
  EXPECT_EQ(result.size(), 1u);
  d1.addErrback([](Failure) {});  // swallow
}

// twisted/test/test_defer.py DeferredTests.testDeferredListWithAlreadyFiredDeferreds
TEST_F(DeferredTests, DeferredListWithAlreadyFiredDeferreds) {
  Deferred<int> d1, d2;
  d1.errback(GenericError("Bang"));
  d2.callback(2);
  auto dl = DeferredList(std::vector{d1, d2});
  int calls = 0;
  (void)dl.addCallback([&](std::vector<Outcome<int>>) { ++calls; });
  EXPECT_EQ(calls, 1);
  d1.addErrback([](Failure) { return 0; });  // swallow
}

// twisted/test/test_defer.py DeferredTests.test_cancelDeferredList
TEST_F(DeferredTests, CancelDeferredList) {
  Deferred<void> deferredOne, deferredTwo;
  auto deferredList = DeferredList(std::vector{deferredOne, deferredTwo});
  deferredList.cancel();
  EXPECT_TRUE(failureResultOf(deferredOne).check<CancelledError>());
  EXPECT_TRUE(failureResultOf(deferredTwo).check<CancelledError>());
}

// twisted/test/test_defer.py DeferredTests.test_cancelDeferredListCallback
TEST_F(DeferredTests, CancelDeferredListCallback) {
  Deferred<std::string> deferredOne(fakeCallbackCanceller);
  Deferred<std::string> deferredTwo;
  auto deferredList = DeferredList(std::vector{deferredOne, deferredTwo});
  deferredList.cancel();
  EXPECT_TRUE(failureResultOf(deferredTwo).check<CancelledError>());
  auto result = successResultOf(deferredList);
  EXPECT_TRUE(result[0].hasValue());
  EXPECT_EQ(result[0].value(), "Callback Result");
  EXPECT_FALSE(result[1].hasValue());
  EXPECT_TRUE(result[1].failure().check<CancelledError>());
}

// twisted/test/test_defer.py DeferredTests.test_cancelDeferredListWithFireOnOneCallback
TEST_F(DeferredTests, CancelDeferredListWithFireOnOneCallback) {
  Deferred<void> deferredOne, deferredTwo;
  auto deferredList =
      DeferredList(std::vector{deferredOne, deferredTwo}, kFireOnOneCallback);
  deferredList.cancel();
  EXPECT_TRUE(failureResultOf(deferredOne).check<CancelledError>());
  EXPECT_TRUE(failureResultOf(deferredTwo).check<CancelledError>());
  // DL4: every input failed, so the list fires with all the outcomes.
  auto result = successResultOf(deferredList);
  ASSERT_TRUE((std::holds_alternative<std::vector<Outcome<void>>>(result)));
  EXPECT_EQ(std::get<1>(result).size(), 2u);
}

// twisted/test/test_defer.py
// DeferredTests.test_cancelDeferredListWithFireOnOneCallbackAndDeferredCallback
TEST_F(DeferredTests, CancelDeferredListWithFireOnOneCallbackAndDeferredCallback) {
  Deferred<std::string> deferredOne(fakeCallbackCanceller);
  Deferred<std::string> deferredTwo;
  auto deferredList =
      DeferredList(std::vector{deferredOne, deferredTwo}, kFireOnOneCallback);
  deferredList.cancel();
  EXPECT_TRUE(failureResultOf(deferredTwo).check<CancelledError>());
  auto result = successResultOf(deferredList);
  ASSERT_TRUE((std::holds_alternative<IndexedResult<std::string>>(result)));
  EXPECT_EQ(std::get<0>(result).result, "Callback Result");
  EXPECT_EQ(std::get<0>(result).index, 0u);
}

// twisted/test/test_defer.py DeferredTests.test_cancelDeferredListWithFireOnOneErrback
TEST_F(DeferredTests, CancelDeferredListWithFireOnOneErrback) {
  Deferred<void> deferredOne, deferredTwo;
  auto deferredList =
      DeferredList(std::vector{deferredOne, deferredTwo}, {.fireOnOneErrback = true});
  deferredList.cancel();
  EXPECT_TRUE(failureResultOf(deferredOne).check<CancelledError>());
  EXPECT_TRUE(failureResultOf(deferredTwo).check<CancelledError>());
  Failure f = failureResultOf(deferredList);
  const FirstError* firstError = f.value<FirstError>();
  ASSERT_NE(firstError, nullptr);
  EXPECT_TRUE(firstError->subFailure.check<CancelledError>());
}

// twisted/test/test_defer.py
// DeferredTests.test_cancelDeferredListWithFireOnOneErrbackAllDeferredsCallback
TEST_F(DeferredTests, CancelDeferredListWithFireOnOneErrbackAllDeferredsCallback) {
  Deferred<std::string> deferredOne(fakeCallbackCanceller);
  Deferred<std::string> deferredTwo(fakeCallbackCanceller);
  auto deferredList =
      DeferredList(std::vector{deferredOne, deferredTwo}, {.fireOnOneErrback = true});
  deferredList.cancel();
  auto result = successResultOf(deferredList);
  EXPECT_EQ(result[0].value(), "Callback Result");
  EXPECT_EQ(result[1].value(), "Callback Result");
}

// twisted/test/test_defer.py DeferredTests.test_cancelDeferredListWithOriginalDeferreds
TEST_F(DeferredTests, CancelDeferredListWithOriginalDeferreds) {
  Deferred<void> deferredOne, deferredTwo;
  std::vector<Deferred<void>> argumentList{deferredOne, deferredTwo};
  auto deferredList = DeferredList(argumentList);
  Deferred<void> deferredThree;
  argumentList.push_back(deferredThree);
  deferredList.cancel();
  EXPECT_TRUE(failureResultOf(deferredOne).check<CancelledError>());
  EXPECT_TRUE(failureResultOf(deferredTwo).check<CancelledError>());
  EXPECT_TRUE(hasNoResult(deferredThree));
}

// twisted/test/test_defer.py DeferredTests.test_cancelDeferredListWithException.
// The list then stays unfired, as Twisted's: deferredOne never fires.
TEST_F(DeferredTests, CancelDeferredListWithException) {
  Deferred<void> deferredOne([](Deferred<void>&) { throw std::runtime_error("test"); });
  Deferred<void> deferredTwo;
  auto deferredList = DeferredList(std::vector{deferredOne, deferredTwo});
  deferredList.cancel();
  EXPECT_TRUE(failureResultOf(deferredTwo).check<CancelledError>());
  auto errors = capture_.flushErrors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("canceller"), std::string::npos);
  EXPECT_NE(errors[0].message.find("test"), std::string::npos);
  EXPECT_TRUE(hasNoResult(deferredList));
  EXPECT_TRUE(hasNoResult(deferredOne));
}

// DL8, twisted/internet/defer.py DeferredList.cancel (22.4, line 1344):
// cancel() cancels the inputs and nothing else; the list fires from what
// they report. A paused input keeps its CancelledError until unpaused, so
// the list waits for it. Twisted 22.4: unfired after cancel(); after unpause
// [(False, CancelledError), (False, CancelledError)].
TEST_F(DeferredTests, CancelDeferredListWithPausedInput) {
  Deferred<int> paused, plain;
  paused.pause();
  auto deferredList = DeferredList(std::vector{paused, plain});
  deferredList.cancel();
  EXPECT_TRUE(hasNoResult(deferredList));
  EXPECT_TRUE(failureResultOf(plain).check<CancelledError>());
  deferredList.cancel();  // again: the inputs are cancelled already
  EXPECT_TRUE(hasNoResult(deferredList));
  paused.unpause();
  auto result = successResultOf(deferredList);
  ASSERT_EQ(result.size(), 2u);
  EXPECT_TRUE(result[0].failure().check<CancelledError>());
  EXPECT_TRUE(result[1].failure().check<CancelledError>());
  EXPECT_TRUE(failureResultOf(paused).check<CancelledError>());
}

// twisted/test/test_defer.py DeferredTests.test_cancelFiredOnOneCallbackDeferredList
TEST_F(DeferredTests, CancelFiredOnOneCallbackDeferredList) {
  Deferred<void> deferredOne, deferredTwo;
  auto deferredList =
      DeferredList(std::vector{deferredOne, deferredTwo}, kFireOnOneCallback);
  deferredOne.callback();
  deferredList.cancel();
  EXPECT_TRUE(hasNoResult(deferredTwo));
  EXPECT_EQ(std::get<0>(successResultOf(deferredList)).index, 0u);
}

// twisted/test/test_defer.py DeferredTests.test_cancelFiredOnOneErrbackDeferredList
TEST_F(DeferredTests, CancelFiredOnOneErrbackDeferredList) {
  Deferred<void> deferredOne, deferredTwo;
  auto deferredList =
      DeferredList(std::vector{deferredOne, deferredTwo}, {.fireOnOneErrback = true});
  deferredOne.errback(GenericError("test"));
  deferredList.cancel();
  EXPECT_TRUE(hasNoResult(deferredTwo));
  EXPECT_TRUE(failureResultOf(deferredOne).check<GenericError>());
  EXPECT_TRUE(failureResultOf(deferredList).check<FirstError>());
}

// DL4: fireOnOneCallback fires with the first success and its index; later
// results change nothing.
TEST_F(DeferredTests, DeferredListFireOnOneCallback) {
  Deferred<int> a, b;
  auto dl = DeferredList(std::vector{a, b}, kFireOnOneCallback, {.consumeErrors = true});
  a.errback(GenericError("a"));
  EXPECT_TRUE(hasNoResult(dl));
  b.callback(5);
  auto r = successResultOf(dl);
  ASSERT_EQ(r.index(), 0u);
  EXPECT_EQ(std::get<0>(r).result, 5);
  EXPECT_EQ(std::get<0>(r).index, 1u);
}

// Heterogeneous inputs: a tuple of outcomes, in input order.
TEST_F(DeferredTests, DeferredListOfDifferentTypes) {
  Deferred<std::string> page;
  Deferred<int> count;
  Deferred<void> done;
  auto dl = DeferredList(std::tuple(page, count, done), {.consumeErrors = true});
  count.callback(3);
  done.errback(GenericError("no"));
  EXPECT_TRUE(hasNoResult(dl));
  page.callback("body");
  auto [p, c, d] = successResultOf(dl);
  EXPECT_EQ(p.value(), "body");
  EXPECT_EQ(c.value(), 3);
  EXPECT_EQ(d.failure().getErrorMessage(), "no");
}

TEST_F(DeferredTests, DeferredListOfDifferentTypesFireOnOneErrback) {
  Deferred<std::string> page;
  Deferred<int> count;
  auto dl = DeferredList(std::tuple(page, count), {.fireOnOneErrback = true});
  count.errback(GenericError("bad count"));
  Failure f = failureResultOf(dl);
  ASSERT_TRUE(f.check<FirstError>());
  EXPECT_EQ(f.value<FirstError>()->index, 1u);
  failureResultOf(count);  // handled
  dl.cancel();             // already fired: page untouched
  EXPECT_TRUE(hasNoResult(page));
}

TEST_F(DeferredTests, DeferredListOfDifferentTypesCancel) {
  Deferred<std::string> page;
  Deferred<int> count;
  auto dl = DeferredList(std::tuple(page, count), {.consumeErrors = true});
  dl.cancel();
  auto [p, c] = successResultOf(dl);
  EXPECT_TRUE(p.failure().check<CancelledError>());
  EXPECT_TRUE(c.failure().check<CancelledError>());
}

// Bad input is refused before any input is touched.
TEST_F(DeferredTests, DeferredListRefusesEmptyHandle) {
  Deferred<int> good;
  Deferred<int> moved;
  Deferred<int> sink = std::move(moved);
  EXPECT_THROW((void)DeferredList(std::vector{good, moved}), std::logic_error);
  good.callback(1);
  EXPECT_EQ(successResultOf(good), 1);  // no step was added to it
}

// Inputs that never fire and that everybody dropped do not keep the list
// alive (and vice versa): no leak under ASan, and a held list can still be
// cancelled. Twisted's list would hold them, so cancelling would errback
// each with CancelledError: a dropped input counts as exactly that.
TEST_F(DeferredTests, DeferredListDroppedUnfiredInputs) {
  auto dl = DeferredList(std::vector{Deferred<int>(), Deferred<int>()});
  EXPECT_TRUE(hasNoResult(dl));
  dl.cancel();
  auto result = successResultOf(dl);
  ASSERT_EQ(result.size(), 2u);
  EXPECT_TRUE(result[0].failure().check<CancelledError>());
  EXPECT_TRUE(result[1].failure().check<CancelledError>());
  {
    Deferred<int> kept;
    auto dropped = DeferredList(std::vector{kept});
  }
}

// Same when some inputs delivered before the rest were dropped: cancel()
// keeps what arrived and counts the dropped ones as cancelled.
TEST_F(DeferredTests, DeferredListCancelledAfterInputsDropped) {
  Deferred<int> kept;
  auto dl = DeferredList(std::vector{kept, Deferred<int>()});
  auto tuple = DeferredList(std::tuple(kept, Deferred<std::string>()));
  kept.callback(1);
  EXPECT_TRUE(hasNoResult(dl));
  dl.cancel();
  auto result = successResultOf(dl);
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0].value(), 1);
  EXPECT_TRUE(result[1].failure().check<CancelledError>());
  tuple.cancel();
  auto [k, dropped] = successResultOf(tuple);
  EXPECT_EQ(k.value(), 1);
  EXPECT_TRUE(dropped.failure().check<CancelledError>());
}

// A list of many already-fired inputs.
TEST_F(DeferredTests, DeferredListLarge) {
  std::vector<Deferred<int>> ds;
  for (int i = 0; i < 100000; ++i) ds.push_back(succeed(i));
  auto dl = DeferredList(std::move(ds), {.consumeErrors = true});
  auto r = successResultOf(dl);
  ASSERT_EQ(r.size(), 100000u);
  EXPECT_EQ(r[99999].value(), 99999);
}

// --- divergences fixed: hand-fired lists, consumeErrors, cancel, duplicates --------

// twisted/internet/defer.py DeferredList._cbDeferred (22.4, line 1327: `if
// not self.called`): a list somebody fired by hand ignores its inputs'
// later results; they pass through the input untouched (no
// AlreadyCalledError on the input). Twisted 22.4: the input's next callback
// gets 1.
TEST_F(DeferredTests, DeferredListFiredByHandIgnoresLaterInputs) {
  Deferred<int> a;
  Deferred<std::string> b;
  auto dl = DeferredList(std::vector{a});
  dl.callback({});
  EXPECT_TRUE(successResultOf(dl).empty());
  a.callback(1);
  EXPECT_EQ(successResultOf(a), 1);
  // fireOnOneErrback and a failing input: the input keeps its own Failure.
  auto dl2 = DeferredList(std::vector{b}, {.fireOnOneErrback = true});
  dl2.errback(GenericError("by hand"));
  b.errback(GenericError("late"));
  EXPECT_EQ(failureResultOf(b).getErrorMessage(), "late");
  EXPECT_EQ(failureResultOf(dl2).getErrorMessage(), "by hand");
}

TEST_F(DeferredTests, DeferredListOfDifferentTypesFiredByHandIgnoresLaterInputs) {
  Deferred<std::string> page;
  Deferred<int> count;
  auto dl = DeferredList(std::tuple(page, count));
  dl.callback({Outcome<std::string>("cached"), Outcome<int>(0)});
  count.callback(3);
  page.callback("body");
  EXPECT_EQ(successResultOf(count), 3);
  EXPECT_EQ(successResultOf(page), "body");
  EXPECT_EQ(std::get<0>(successResultOf(dl)).value(), "cached");
}

// DL7, twisted/internet/defer.py DeferredList._cbDeferred (line 1339: only
// `succeeded == FAILURE and self.consumeErrors` returns None): with
// consumeErrors a successful input keeps its value, and its type, for
// callbacks added after the list. Twisted 22.4: the later callback gets 5.
TEST_F(DeferredTests, DeferredListConsumeErrorsKeepsSuccesses) {
  Deferred<int> good;
  auto dl = DeferredList(std::vector{good}, {.consumeErrors = true});
  good.callback(5);
  int later = 0;
  good.addCallback([&](int v) { later = v; });
  EXPECT_EQ(later, 5);
  EXPECT_EQ(successResultOf(dl)[0].value(), 5);
}

// The typed rule for a consumed Failure on an input of non-void T (a T
// chain has no None to put in its place, docs/deferred.md): it is never
// reported as unhandled, and errbacks added to the input later still get
// it. (Twisted's input would carry None: its later callback gets None.)
TEST_F(DeferredTests, DeferredListConsumeErrorsOnTypedInputIsNotReported) {
  std::vector<std::string> later;
  {
    Deferred<int> bad;
    auto dl = DeferredList(std::vector{bad}, {.consumeErrors = true});
    bad.errback(GenericError("consumed"));
    EXPECT_EQ(successResultOf(dl)[0].failure().getErrorMessage(), "consumed");
    bad.addErrback([&](Failure f) -> int {
         later.push_back(f.getErrorMessage());
         f.raiseException();  // passed on: the chain's Failure again
       })
        .addErrback([&](Failure) {
          later.push_back("recovered");
          return 0;
        });
    Deferred<int> unhandled;
    auto dl2 = DeferredList(std::vector{unhandled}, {.consumeErrors = true});
    unhandled.errback(GenericError("never reported"));
  }
  EXPECT_EQ(later, (std::vector<std::string>{"consumed", "recovered"}));
  EXPECT_TRUE(capture_.flushErrors().empty());
}

// Twisted's DeferredList([a, a], consumeErrors=True) adds two steps to a.
// Twisted 22.4: success -> [(True, 3), (True, 3)]; failure -> [(False,
// ValueError), (True, None)] (the first step left None for the second).
TEST_F(DeferredTests, DeferredListSameInputTwice) {
  Deferred<int> a;
  auto dl = DeferredList(std::vector{a, a}, {.consumeErrors = true});
  a.callback(3);
  auto r = successResultOf(dl);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].value(), 3);
  EXPECT_EQ(r[1].value(), 3);
  EXPECT_EQ(successResultOf(a), 3);

  Deferred<void> v;
  auto dlv = DeferredList(std::vector{v, v}, {.consumeErrors = true});
  v.errback(GenericError("e"));
  auto rv = successResultOf(dlv);
  ASSERT_EQ(rv.size(), 2u);
  EXPECT_TRUE(rv[0].failure().check<GenericError>());
  EXPECT_TRUE(rv[1].hasValue());  // None
}

// A move-only input appears twice: the list would take its value twice, so
// it is refused before anything is added to it.
TEST_F(DeferredTests, DeferredListSameMoveOnlyInputTwiceIsRefused) {
  Deferred<std::unique_ptr<int>> a;
  EXPECT_THROW((void)DeferredList(std::vector{a, a}, {.consumeErrors = true}),
               std::invalid_argument);
  EXPECT_THROW((void)DeferredList(std::tuple(a, a), {.consumeErrors = true}),
               std::invalid_argument);
  int seen = 0;
  a.addCallback([&](std::unique_ptr<int> p) { seen = *p; });  // nothing was added before
  a.callback(std::make_unique<int>(2));
  EXPECT_EQ(seen, 2);
}

// --- DeferredListEmptyTests ---------------------------------------------------

using DeferredListEmptyTests = DeferredTest;

// twisted/test/test_defer.py DeferredListEmptyTests.testDeferredListEmpty
TEST_F(DeferredListEmptyTests, DeferredListEmpty) {
  bool callbackRan = false;
  (void)DeferredList(std::vector<Deferred<int>>{})
      .addCallback([&](std::vector<Outcome<int>> res) {
        callbackRan = true;
        EXPECT_TRUE(res.empty());
      });
  EXPECT_TRUE(callbackRan) << "Callback was never run.";
}

// --- FirstErrorTests ------------------------------------------------------------

// twisted/test/test_defer.py FirstErrorTests.test_str. what() is a short
// form; str() is Twisted's str(): the index and str() of the sub-failure.
TEST(FirstErrorTests, Str) {
  Failure f(std::invalid_argument("some text"));
  FirstError error(f, 5);
  EXPECT_STREQ(error.what(), "FirstError[#5, std::invalid_argument: some text]");
  EXPECT_EQ(error.str(), "FirstError[#5, " + f.str() + "]");
}

// twisted/test/test_defer.py FirstErrorTests.test_repr: the index and the
// repr of the sub-failure's exception, a short type name and the quoted
// message (Twisted 22.4: "FirstError[#3, ValueError('some text')]").
TEST(FirstErrorTests, Repr) {
  FirstError error(Failure(std::invalid_argument("some text")), 3);
  EXPECT_EQ(error.repr(), "FirstError[#3, invalid_argument('some text')]");
  // Python's quoting: double quotes around a message with a single quote,
  // escapes for backslashes and control characters.
  EXPECT_EQ(FirstError(Failure(std::runtime_error("it's")), 0).repr(),
            "FirstError[#0, runtime_error(\"it's\")]");
  EXPECT_EQ(FirstError(Failure(std::runtime_error("a\\b\n'\"")), 1).repr(),
            "FirstError[#1, runtime_error('a\\\\b\\n\\'\"')]");
  EXPECT_EQ(FirstError(Failure(std::runtime_error("\x01\x7f \xc3\xa9")), 1).repr(),
            "FirstError[#1, runtime_error('\\x01\\x7f \xc3\xa9')]");
  EXPECT_EQ(FirstError(Failure(std::runtime_error("")), 2).repr(),
            "FirstError[#2, runtime_error('')]");
}

// twisted/test/test_defer.py FirstErrorTests.test_comparison
TEST(FirstErrorTests, Comparison) {
  Failure firstFailure(std::domain_error("division by zero"));
  FirstError one(firstFailure, 13);
  FirstError anotherOne(firstFailure, 13);
  Failure secondFailure(std::invalid_argument("bar"));
  FirstError another(secondFailure, 9);
  EXPECT_TRUE(one == anotherOne);
  EXPECT_FALSE(one == another);
  EXPECT_TRUE(one != another);
  EXPECT_FALSE(one != anotherOne);
  // Same failure, other index: not equal either.
  EXPECT_FALSE(one == FirstError(firstFailure, 12));
  // Twisted's `one == 10` is False; comparing with an int does not compile.
}

TEST(FirstErrorTests, EmptySubFailureIsRefused) {
  EXPECT_THROW(FirstError(Failure(), 0), std::invalid_argument);
}

}  // namespace
}  // namespace torsion
