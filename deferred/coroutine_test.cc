// Coroutines over Deferreds: mirrors twisted/internet/test/test_inlinecb.py
// (BasicTests, StopIterationReturnTests, StackedInlineCallbacksTests,
// CancellationTests) and the coroutine tests of twisted/test/test_defer.py.
// Python generators become C++20 coroutines returning Deferred<T>.
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "deferred/deferred.h"
#include "deferred/test_util.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

using testing::DeferredTest;

using BasicTests = DeferredTest;

// twisted/internet/test/test_inlinecb.py BasicTests.testBasics: await a
// value, await a failing Deferred inside try, return a value.
TEST_F(BasicTests, Basics) {
  auto fn = []() -> Deferred<std::string> {
    int x = co_await succeed(1);
    std::string caught;
    try {
      co_await fail(Failure(std::runtime_error("boom")));
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
    co_return std::to_string(x) + caught;
  };
  Deferred<std::string> d = fn();
  EXPECT_EQ(successResultOf(d), "1boom");
}

// twisted/internet/test/test_inlinecb.py BasicTests.testBasicsAsync
TEST_F(BasicTests, BasicsAsync) {
  Deferred<int> first;
  Deferred<void> second;
  auto fn = [&]() -> Deferred<int> {
    int x = co_await first;
    try {
      co_await second;
    } catch (const std::runtime_error&) {
      x += 100;
    }
    co_return x;
  };
  Deferred<int> d = fn();
  EXPECT_TRUE(hasNoResult(d));
  first.callback(1);
  EXPECT_TRUE(hasNoResult(d));
  second.errback(std::runtime_error("later"));
  EXPECT_EQ(successResultOf(d), 101);
}

// twisted/internet/test/test_inlinecb.py BasicTests.testProducesException
TEST_F(BasicTests, ProducesException) {
  auto fn = []() -> Deferred<int> {
    co_await succeed();
    throw std::out_of_range("produced");
  };
  Deferred<int> d = fn();
  Failure f = failureResultOf(d);
  EXPECT_TRUE(f.check<std::out_of_range>());
  EXPECT_EQ(f.getErrorMessage(), "produced");
}

// twisted/internet/test/test_inlinecb.py BasicTests.testNothing
TEST_F(BasicTests, Nothing) {
  auto fn = []() -> Deferred<void> { co_return; };
  Deferred<void> d = fn();
  successResultOf(d);
}

// twisted/internet/test/test_inlinecb.py BasicTests.testReturnNoValue
TEST_F(BasicTests, ReturnNoValue) {
  auto fn = []() -> Deferred<void> { co_await succeed(1); };
  Deferred<void> d = fn();
  successResultOf(d);
}

// twisted/internet/test/test_inlinecb.py StopIterationReturnTests.test_returnWithValue
TEST_F(BasicTests, ReturnWithValue) {
  auto fn = []() -> Deferred<int> {
    co_await succeed();
    co_return 14;
  };
  Deferred<int> d = fn();
  EXPECT_EQ(successResultOf(d), 14);
}

// twisted/internet/test/test_inlinecb.py BasicTests.testHandledTerminalFailure
TEST_F(BasicTests, HandledTerminalFailure) {
  auto fn = []() -> Deferred<void> {
    try {
      co_await fail(Failure(std::runtime_error("x")));
    } catch (const std::runtime_error&) {
    }
  };
  Deferred<void> d = fn();
  successResultOf(d);
}

// twisted/internet/test/test_inlinecb.py BasicTests.testHandledTerminalAsyncFailure
TEST_F(BasicTests, HandledTerminalAsyncFailure) {
  Deferred<void> d;
  auto fn = [&]() -> Deferred<void> {
    try {
      co_await d;
    } catch (const std::runtime_error&) {
    }
  };
  Deferred<void> r = fn();
  d.errback(std::runtime_error("async"));
  successResultOf(r);
}

// twisted/internet/test/test_inlinecb.py BasicTests.testStackUsage: many
// awaits of fired Deferreds neither suspend nor grow the stack.
TEST_F(BasicTests, StackUsage) {
  auto fn = []() -> Deferred<int> {
    int sum = 0;
    for (int i = 0; i < 200'000; ++i) sum += co_await succeed(1);
    co_return sum;
  };
  Deferred<int> d = fn();
  EXPECT_EQ(successResultOf(d), 200'000);
}

// IC1: the body runs synchronously up to the first unfired await.
TEST_F(BasicTests, StartsSynchronously) {
  std::vector<std::string> log;
  Deferred<int> gate;
  auto fn = [&]() -> Deferred<void> {
    log.push_back("start");
    int v = co_await succeed(1);
    log.push_back("got " + std::to_string(v));
    co_await gate;
    log.push_back("after gate");
  };
  Deferred<void> d = fn();
  log.push_back("returned");
  EXPECT_EQ(log, (std::vector<std::string>{"start", "got 1", "returned"}));
  gate.callback(2);
  EXPECT_EQ(log.back(), "after gate");
  successResultOf(d);
}

// IC7: awaiting consumes the result; the awaited chain carries void after,
// and its Failure is no longer unhandled (the fixture checks the log).
TEST_F(BasicTests, AwaitConsumesResult) {
  Deferred<int> d = succeed(5);
  std::vector<int> seen;
  auto fn = [&]() -> Deferred<void> {
    seen.push_back(co_await d);
    try {
      co_await d;  // stale: the chain carries void now
    } catch (const DeferredTypeError&) {
      seen.push_back(-1);
    }
    co_await d.as<void>();  // Twisted's second await gives None
    seen.push_back(0);
  };
  Deferred<void> r = fn();
  successResultOf(r);
  EXPECT_EQ(seen, (std::vector<int>{5, -1, 0}));

  Deferred<int> bad = fail<int>(Failure(std::runtime_error("consumed")));
  auto catcher = [&]() -> Deferred<void> {
    try {
      co_await bad;
    } catch (const std::runtime_error&) {
    }
  };
  Deferred<void> r2 = catcher();
  successResultOf(r2);
}

Deferred<void> awaitAndLog(Deferred<void> d, std::vector<std::string>* log) {
  co_await d;
  log->push_back("awaited None");
}

// IC2 with D13a's rule (twisted/internet/defer.py Deferred.send, 22.4: a
// result is given at once unless the Deferred is paused, waiting included):
// awaiting a Deferred that has given its result on to the one it was
// returned into, but still has steps queued, takes its None at once.
TEST_F(BasicTests, AwaitMidChainDeferredTakesNoneAtOnce) {
  std::vector<std::string> log;
  Deferred<int> r, a;
  a.addCallback([r](int) { return r; }).addCallback([&](int v) {
    Deferred<void> done = awaitAndLog(r.as<void>(), &log);
    log.push_back("coroutine returned");
    return v;
  });
  a.callback(0);
  r.as<void>().addCallback([&] { log.push_back("r next"); });
  r.callback(5);
  EXPECT_EQ(log,
            (std::vector<std::string>{"awaited None", "coroutine returned", "r next"}));
}

// IC11: the exception object keeps its identity across awaits.
TEST_F(BasicTests, ExceptionIdentityAcrossNestedAwaits) {
  Failure original(std::runtime_error("same"));
  auto inner = [&]() -> Deferred<int> { co_return co_await fail<int>(original); };
  const std::runtime_error* caught = nullptr;
  auto outer = [&]() -> Deferred<void> {
    try {
      co_await inner();
    } catch (const std::runtime_error& e) {
      caught = &e;
    }
  };
  Deferred<void> d = outer();
  successResultOf(d);
  EXPECT_EQ(caught, original.value<std::runtime_error>());
}

// twisted/test/test_defer.py DeferredTests.test_maybeDeferredCoroutineSuccess
// and test_maybeDeferredCoroutineFailure
TEST_F(BasicTests, MaybeDeferredCoroutine) {
  auto ok = []() -> Deferred<int> { co_return 7; };
  Deferred<int> d = maybeDeferred(ok);
  EXPECT_EQ(successResultOf(d), 7);
  auto bad = []() -> Deferred<int> {
    co_await succeed();
    throw std::invalid_argument("coro");
  };
  Deferred<int> e = maybeDeferred(bad);
  EXPECT_TRUE(failureResultOf(e).check<std::invalid_argument>());
}

// --- StackedInlineCallbacksTests ------------------------------------------------

using StackedInlineCallbacksTests = DeferredTest;

// twisted/internet/test/test_inlinecb.py
// StackedInlineCallbacksTests.test_nonCalledDeferredSingleYield: entry and
// exit order strictly nested.
TEST_F(StackedInlineCallbacksTests, NonCalledDeferredSingleYield) {
  std::vector<std::string> log;
  Deferred<int> d;
  auto f1 = [&]() -> Deferred<int> {
    log.push_back("f1 enter");
    int v = co_await d;
    log.push_back("f1 exit");
    co_return v + 1;
  };
  auto f2 = [&]() -> Deferred<int> {
    log.push_back("f2 enter");
    int v = co_await f1();
    log.push_back("f2 exit");
    co_return v * 2;
  };
  auto f3 = [&]() -> Deferred<int> {
    log.push_back("f3 enter");
    int v = co_await f2();
    log.push_back("f3 exit");
    co_return v + 3;
  };
  Deferred<int> r = f3();
  EXPECT_EQ(log, (std::vector<std::string>{"f3 enter", "f2 enter", "f1 enter"}));
  d.callback(3);
  EXPECT_EQ(log, (std::vector<std::string>{"f3 enter", "f2 enter", "f1 enter", "f1 exit",
                                           "f2 exit", "f3 exit"}));
  EXPECT_EQ(successResultOf(r), 11);
}

// twisted/internet/test/test_inlinecb.py
// StackedInlineCallbacksTests.test_intermediateAddCallbacks: callbacks a
// caller adds to an inner coroutine's Deferred run between the inner's end
// and the outer's resumption.
TEST_F(StackedInlineCallbacksTests, IntermediateAddCallbacks) {
  std::vector<std::string> log;
  Deferred<int> d;
  auto inner = [&]() -> Deferred<int> {
    int v = co_await d;
    log.push_back("inner exit");
    co_return v;
  };
  auto outer = [&]() -> Deferred<int> {
    Deferred<int> i = inner().addCallback([&](int v) {
      log.push_back("intermediate");
      return v * 10;
    });
    int v = co_await std::move(i);
    log.push_back("outer resumed");
    co_return v;
  };
  Deferred<int> r = outer();
  d.callback(4);
  EXPECT_EQ(log,
            (std::vector<std::string>{"inner exit", "intermediate", "outer resumed"}));
  EXPECT_EQ(successResultOf(r), 40);
}

// twisted/internet/test/test_inlinecb.py
// StackedInlineCallbacksTests.test_raisesExceptionFromDeferredWithWaiting
TEST_F(StackedInlineCallbacksTests, RaisesExceptionFromDeferredWithWaiting) {
  Deferred<int> d;
  auto inner = [&]() -> Deferred<int> { co_return co_await d; };
  auto outer = [&]() -> Deferred<std::string> {
    try {
      co_await inner();
    } catch (const std::out_of_range& e) {
      co_return std::string("caught ") + e.what();
    }
    co_return std::string("not caught");
  };
  Deferred<std::string> r = outer();
  d.errback(std::out_of_range("deep"));
  EXPECT_EQ(successResultOf(r), "caught deep");
}

// --- CancellationTests -------------------------------------------------------------

class UntranslatedError : public std::runtime_error {
 public:
  UntranslatedError() : std::runtime_error("untranslated") {}
};
class TranslatedError : public std::runtime_error {
 public:
  TranslatedError() : std::runtime_error("translated") {}
};
class DontFail : public std::runtime_error {
 public:
  explicit DontFail(int v) : std::runtime_error("dont fail"), actualValue(v) {}
  int actualValue;
};

using GetChild = absl::AnyInvocable<Deferred<int>()>;

// test_inlinecb.py CancellationTests.sampleInlineCB
Deferred<int> sampleInlineCB(GetChild getChild) {
  int x = 0;
  try {
    x = co_await getChild();
  } catch (const UntranslatedError&) {
    throw TranslatedError();
  } catch (const DontFail& df) {
    x = df.actualValue - 2;
  }
  co_return x + 1;
}

// The "stacked" variants: one more coroutine between the test and
// sampleInlineCB, so cancellation must cascade through it.
Deferred<int> stackedInlineCB(GetChild getChild) {
  co_return co_await sampleInlineCB(std::move(getChild));
}

class CancellationTests : public DeferredTest,
                          public ::testing::WithParamInterface<bool> {
 protected:
  Deferred<int> sample(GetChild getChild) {
    return GetParam() ? stackedInlineCB(std::move(getChild))
                      : sampleInlineCB(std::move(getChild));
  }
};

// twisted/internet/test/test_inlinecb.py CancellationTests.test_CascadeCancellingOnCancel
TEST_P(CancellationTests, CascadeCancellingOnCancel) {
  std::vector<Deferred<int>> children;
  std::vector<Failure> childFailures;
  Deferred<int> d = sample([&] {
    children.emplace_back();
    return children.back().addErrback([&](Failure f) {
      childFailures.push_back(f);
      return f;
    });
  });
  d.cancel();
  ASSERT_EQ(children.size(), 1u);
  ASSERT_EQ(childFailures.size(), 1u);
  EXPECT_TRUE(childFailures[0].check<CancelledError>());
  EXPECT_TRUE(failureResultOf(d).check<CancelledError>());
}

// twisted/internet/test/test_inlinecb.py
// CancellationTests.test_ErrbackCancelledErrorOnCancel
TEST_P(CancellationTests, ErrbackCancelledErrorOnCancel) {
  std::vector<Deferred<int>> children;
  Deferred<int> d = sample([&] {
    children.emplace_back();
    return children.back();
  });
  d.cancel();
  EXPECT_THROW(failureResultOf(d).raiseException(), CancelledError);
}

// twisted/internet/test/test_inlinecb.py CancellationTests.test_ErrorToErrorTranslation
TEST_P(CancellationTests, ErrorToErrorTranslation) {
  Deferred<int> a([](Deferred<int>& it) { it.errback(UntranslatedError()); });
  Deferred<int> d = sample([a] { return a; });
  d.cancel();
  EXPECT_THROW(failureResultOf(d).raiseException(), TranslatedError);
}

// twisted/internet/test/test_inlinecb.py CancellationTests.test_ErrorToSuccessTranslation
TEST_P(CancellationTests, ErrorToSuccessTranslation) {
  Deferred<int> a([](Deferred<int>& it) { it.errback(DontFail(4321)); });
  Deferred<int> d = sample([a] { return a; });
  std::vector<int> results;
  d.addCallback([&](int v) { results.push_back(v); });
  d.cancel();
  EXPECT_EQ(results, std::vector<int>{4320});
}

// twisted/internet/test/test_inlinecb.py CancellationTests.test_AsynchronousCancellation
// Adaptation: the test keeps the child alive. A coroutine's Deferred does not
// own what the coroutine awaits (see coroutine.h), and Python's generator
// frame kept it alive only until the next garbage collection.
TEST_P(CancellationTests, AsynchronousCancellation) {
  Deferred<int> moreDeferred;
  Deferred<int> child;
  Deferred<int> d = sample([&] {
    return child.addErrback([moreDeferred](Failure f) {
      f.trap<CancelledError>();
      return moreDeferred;
    });
  });
  d.cancel();
  EXPECT_TRUE(hasNoResult(d));
  moreDeferred.callback(6543);
  EXPECT_EQ(successResultOf(d), 6544);
}

INSTANTIATE_TEST_SUITE_P(Stacking, CancellationTests, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("StackedCoro")
                                             : std::string("NotStacked");
                         });

using CancelCapturedTests = DeferredTest;

// twisted/internet/test/test_inlinecb.py
// CancellationTests.test_inlineCallbacksCancelCaptured
TEST_F(CancelCapturedTests, InlineCallbacksCancelCaptured) {
  int canceller1Calls = 0, canceller2Calls = 0;
  Deferred<int> d1([&](Deferred<int>&) { ++canceller1Calls; });
  Deferred<int> d2([&](Deferred<int>&) { ++canceller2Calls; });
  auto testFunc = [&]() -> Deferred<void> {
    try {
      co_await d1;
    } catch (const std::exception&) {
    }
    co_await d2;
  };
  Deferred<void> funcD = testFunc();
  EXPECT_TRUE(hasNoResult(d1));
  EXPECT_TRUE(hasNoResult(d2));
  EXPECT_TRUE(hasNoResult(funcD));
  EXPECT_EQ(canceller1Calls, 0);
  funcD.cancel();
  EXPECT_EQ(canceller1Calls, 1);
  EXPECT_EQ(canceller2Calls, 0);
  EXPECT_TRUE(hasNoResult(funcD));
  funcD.cancel();
  EXPECT_EQ(canceller2Calls, 1);
  EXPECT_THROW(failureResultOf(funcD).raiseException(), CancelledError);
}

// IC10: cancel() after the coroutine completed does nothing.
TEST_F(CancelCapturedTests, CancelAfterCompletionIsNoOp) {
  auto fn = []() -> Deferred<int> { co_return 3; };
  Deferred<int> d = fn();
  d.cancel();
  EXPECT_EQ(successResultOf(d), 3);
}

// --- frame ownership -------------------------------------------------------------

using OwnershipTests = DeferredTest;

Deferred<int> awaitAndAdd(Deferred<int> d, std::shared_ptr<int> token) {
  int v = co_await std::move(d);
  co_return v + *token;
}

// A coroutine whose awaited Deferred is destroyed unfired is destroyed
// (its locals freed) without resuming; its own Deferred never fires.
TEST_F(OwnershipTests, AwaitedDeferredDestroyedUnfired) {
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> weak = token;
  auto pending = std::make_unique<Deferred<int>>();
  Deferred<int> result = awaitAndAdd(*pending, std::move(token));
  EXPECT_FALSE(weak.expired());
  pending.reset();
  EXPECT_TRUE(weak.expired());
  EXPECT_FALSE(result.called());
  result.cancel();  // the coroutine is gone: an ordinary cancel
  EXPECT_TRUE(failureResultOf(result).check<CancelledError>());
}

// `co_await f()` on a Deferred nobody else holds: the frame goes at once.
TEST_F(OwnershipTests, AwaitedTemporaryNobodyHolds) {
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> weak = token;
  auto fn = [](std::shared_ptr<int> t) -> Deferred<int> {
    int v = co_await Deferred<int>();
    co_return v + *t;
  };
  Deferred<int> result = fn(std::move(token));
  EXPECT_TRUE(weak.expired());
  EXPECT_FALSE(result.called());
}

// test_defer.py InlineCallbackTests.test_coroutineNoCircularReference: the
// frame is freed once the coroutine completes.
TEST_F(OwnershipTests, CoroutineNoCircularReference) {
  auto token = std::make_shared<int>(2);
  std::weak_ptr<int> weak = token;
  Deferred<int> gate;
  Deferred<int> result = awaitAndAdd(gate, std::move(token));
  gate.callback(40);
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(successResultOf(result), 42);
}

}  // namespace
}  // namespace torsion
