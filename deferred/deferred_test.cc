// Ports of twisted/test/test_defer.py (DeferredTests, AlreadyCalledTests,
// DeferredCancellerTests, LogTests, UtilTests) to Deferred<T>. Each test
// names the Twisted test it mirrors. Python's extra callback args become
// lambda captures; "is None" becomes "the chain now carries void".
#include "deferred/deferred.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "deferred/test_util.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

using testing::DeferredTest;
using testing::GenericError;

// --- UtilTests ----------------------------------------------------------------

using UtilTests = DeferredTest;

// twisted/test/test_defer.py UtilTests.test_logErrorReturnsError
TEST_F(UtilTests, LogErrorReturnsError) {
  Failure error(std::runtime_error("x"));
  Failure result = logError(error);
  capture_.flushErrors();
  EXPECT_EQ(result, error);
}

// twisted/test/test_defer.py UtilTests.test_logErrorLogsError
TEST_F(UtilTests, LogErrorLogsError) {
  Failure error(std::runtime_error("x"));
  logError(error);
  auto errors = capture_.flushErrors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].failure, error.exception());
}

// --- DeferredTests ------------------------------------------------------------

using DeferredTests = DeferredTest;

// twisted/test/test_defer.py DeferredTests.testCallbackWithoutArgs
TEST_F(DeferredTests, CallbackWithoutArgs) {
  Deferred<std::string> deferred;
  std::vector<std::string> callbackResults;
  bool errbackCalled = false;
  deferred
      .addCallback([&](std::string s) {
        callbackResults.push_back(s);
        return s;
      })
      .addErrback([&](Failure f) -> std::string {
        errbackCalled = true;
        return f.getErrorMessage();
      });
  deferred.callback("hello");
  EXPECT_FALSE(errbackCalled);
  EXPECT_EQ(callbackResults, std::vector<std::string>{"hello"});
}

// twisted/test/test_defer.py DeferredTests.testCallbackWithArgs (extra
// positional args become captures)
TEST_F(DeferredTests, CallbackWithArgs) {
  Deferred<std::string> deferred;
  std::vector<std::string> args;
  std::string world = "world";
  deferred.addCallback([&, world](std::string s) { args = {s, world}; });
  deferred.callback("hello");
  EXPECT_EQ(args, (std::vector<std::string>{"hello", "world"}));
}

// twisted/test/test_defer.py DeferredTests.testCallbackWithKwArgs
TEST_F(DeferredTests, CallbackWithKwArgs) {
  Deferred<std::string> deferred;
  std::string got, kw;
  deferred.addCallback([&, world = std::string("world")](std::string s) {
    got = s;
    kw = world;
  });
  deferred.callback("hello");
  EXPECT_EQ(got, "hello");
  EXPECT_EQ(kw, "world");
}

// twisted/test/test_defer.py DeferredTests.testTwoCallbacks
TEST_F(DeferredTests, TwoCallbacks) {
  Deferred<std::string> deferred;
  std::vector<std::string> first, second;
  deferred
      .addCallback([&](std::string s) {
        first.push_back(s);
        return s;
      })
      .addCallback([&](std::string s) { second.push_back(s); });
  deferred.callback("hello");
  EXPECT_EQ(first, std::vector<std::string>{"hello"});
  EXPECT_EQ(second, std::vector<std::string>{"hello"});
}

// twisted/test/test_defer.py DeferredTests.test_addCallbacksNoneErrback:
// addCallback's errback side is a pass-through; the next errback gets the
// very same exception.
TEST_F(DeferredTests, AddCallbacksNoneErrback) {
  Deferred<void> deferred;
  bool callbackCalled = false;
  std::vector<Failure> errors;
  Failure error(GenericError("oopsie"));
  deferred.addCallback([&] { callbackCalled = true; }).addErrback([&](Failure f) {
    errors.push_back(f);
  });
  deferred.errback(error);
  EXPECT_FALSE(callbackCalled);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], error);
}

// twisted/test/test_defer.py DeferredTests.testImmediateSuccess
TEST_F(DeferredTests, ImmediateSuccess) {
  std::vector<std::string> l;
  Deferred<std::string> d = succeed(std::string("success"));
  d.addCallback([&](std::string s) { l.push_back(s); });
  EXPECT_EQ(l, std::vector<std::string>{"success"});
}

// twisted/test/test_defer.py DeferredTests.test_succeedMatchesManualSuccess
// (compares the observable state instead of __dict__)
TEST_F(DeferredTests, SucceedMatchesManualSuccess) {
  Deferred<int> a = succeed(7);
  Deferred<int> b;
  b.callback(7);
  EXPECT_EQ(a.called(), b.called());
  EXPECT_EQ(a.paused(), b.paused());
  EXPECT_EQ(successResultOf(a), successResultOf(b));
}

// twisted/test/test_defer.py DeferredTests.testImmediateFailure
TEST_F(DeferredTests, ImmediateFailure) {
  std::vector<std::string> l;
  Deferred<void> d = fail(Failure(std::runtime_error("fail")));
  d.addErrback([&](Failure f) { l.push_back(f.getErrorMessage()); });
  EXPECT_EQ(l, std::vector<std::string>{"fail"});
}

// twisted/test/test_defer.py DeferredTests.testPausedFailure
TEST_F(DeferredTests, PausedFailure) {
  std::vector<std::string> l;
  Deferred<void> d = fail(Failure(std::runtime_error("fail")));
  d.pause();
  d = d.addErrback([&](Failure f) { l.push_back(f.getErrorMessage()); });
  EXPECT_TRUE(l.empty());
  d.unpause();
  EXPECT_EQ(l, std::vector<std::string>{"fail"});
}

// twisted/test/test_defer.py DeferredTests.testCallbackErrors
TEST_F(DeferredTests, CallbackErrors) {
  std::vector<Failure> l;
  Deferred<int> d;
  d.addCallback([](int) -> int {
     throw std::domain_error("division by zero");
   }).addErrback([&](Failure f) {
    l.push_back(f);
    return 0;
  });
  d.callback(1);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_TRUE(l[0].check<std::domain_error>());

  l.clear();
  Deferred<int> d2;
  d2.addCallback([](int) {
      return Failure(std::domain_error("returned"));
    }).addErrback([&](Failure f) {
    l.push_back(f);
    return 0;
  });
  d2.callback(1);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_TRUE(l[0].check<std::domain_error>());
}

// twisted/test/test_defer.py DeferredTests.testUnpauseBeforeCallback
TEST_F(DeferredTests, UnpauseBeforeCallback) {
  Deferred<void> d;
  d.pause();
  bool ran = false;
  d = d.addCallback([&] { ran = true; });
  d.unpause();
  EXPECT_FALSE(ran);
  d.callback();
  EXPECT_TRUE(ran);
}

// twisted/test/test_defer.py DeferredTests.test_callbackReturnsDeferred: the
// next callback waits for the returned paused Deferred to be fired AND
// unpaused, and gets its result.
TEST_F(DeferredTests, CallbackReturnsDeferred) {
  Deferred<int> d;
  Deferred<int> d2;
  d2.pause();
  std::vector<int> results;
  d.addCallback([d2](int) { return d2; }).addCallback([&](int r) {
    results.push_back(r);
  });
  d.callback(1);
  EXPECT_TRUE(results.empty());
  d2.callback(2);
  EXPECT_TRUE(results.empty());
  d2.unpause();
  EXPECT_EQ(results, std::vector<int>{2});
}

// twisted/test/test_defer.py DeferredTests.test_callbackMaybeReturnsFailure:
// an Outcome lets one callback choose; the returned Failure keeps its
// exception object.
TEST_F(DeferredTests, CallbackMaybeReturnsFailure) {
  Failure failure(std::runtime_error("x"));
  auto maybe = [failure](int x) -> Outcome<int> {
    if (x == 0) return failure;
    return x + 1;
  };
  Deferred<int> ok = succeed(1).addCallback(maybe);
  EXPECT_EQ(successResultOf(ok), 2);
  Deferred<int> bad = succeed(0).addCallback(maybe);
  EXPECT_EQ(failureResultOf(bad), failure);
}

// twisted/test/test_defer.py DeferredTests.test_errbackReturnsDeferred
TEST_F(DeferredTests, ErrbackReturnsDeferred) {
  Deferred<std::string> first;
  Deferred<std::string> second;
  std::vector<std::string> results;
  first.addErrback([second](Failure) { return second; }).addCallback([&](std::string s) {
    results.push_back(s);
  });
  first.errback(std::runtime_error("boom"));
  EXPECT_TRUE(results.empty());
  EXPECT_TRUE(first.paused());
  second.callback("recovered");
  EXPECT_EQ(results, std::vector<std::string>{"recovered"});
}

// twisted/test/test_defer.py DeferredTests.test_chainedPausedDeferredWithResult
TEST_F(DeferredTests, ChainedPausedDeferredWithResult) {
  Deferred<int> paused;
  paused.callback(42);
  paused.pause();
  Deferred<void> chained;
  std::vector<int> result;
  Deferred<int> next = chained.addCallback([paused] { return paused; });
  chained.callback();
  next.addCallback([&](int v) { result.push_back(v); });
  EXPECT_TRUE(result.empty());
  paused.unpause();
  EXPECT_EQ(result, std::vector<int>{42});
}

// twisted/test/test_defer.py DeferredTests.test_pausedDeferredChained
TEST_F(DeferredTests, PausedDeferredChained) {
  Deferred<void> first;
  Deferred<void> second;
  first.addCallback([second] { return second; });
  first.callback();
  first.pause();
  second.callback();
  int result = 0;
  second.addCallback([&] { ++result; });
  EXPECT_EQ(result, 1);
}

// twisted/test/test_defer.py DeferredTests.test_maybeDeferredSync
TEST_F(DeferredTests, MaybeDeferredSync) {
  auto d = maybeDeferred([] { return std::string("Success"); });
  EXPECT_EQ(successResultOf(d), "Success");
}

// twisted/test/test_defer.py DeferredTests.test_maybeDeferredSyncWithArgs
TEST_F(DeferredTests, MaybeDeferredSyncWithArgs) {
  auto d = maybeDeferred([](int x, int y) { return x + y; }, 10, 5);
  EXPECT_EQ(successResultOf(d), 15);
}

// twisted/test/test_defer.py DeferredTests.test_maybeDeferredSyncException
TEST_F(DeferredTests, MaybeDeferredSyncException) {
  auto d = maybeDeferred([]() -> int { throw std::invalid_argument("bad"); });
  Failure f = failureResultOf(d);
  EXPECT_TRUE(f.check<std::invalid_argument>());
  EXPECT_EQ(f.getErrorMessage(), "bad");
}

// twisted/test/test_defer.py DeferredTests.test_maybeDeferredSyncFailure
TEST_F(DeferredTests, MaybeDeferredSyncFailure) {
  Failure expected(std::runtime_error("x"));
  Deferred<void> d = maybeDeferred([&] { return expected; });
  EXPECT_EQ(failureResultOf(d), expected);
}

// twisted/test/test_defer.py DeferredTests.test_maybeDeferredAsync
TEST_F(DeferredTests, MaybeDeferredAsync) {
  Deferred<std::string> d;
  Deferred<std::string> d2 = maybeDeferred([d] { return d; });
  EXPECT_TRUE(d2 == d);
  d.callback("Success");
  EXPECT_EQ(successResultOf(d2), "Success");
}

// twisted/test/test_defer.py DeferredTests.test_maybeDeferredAsyncError
TEST_F(DeferredTests, MaybeDeferredAsyncError) {
  Deferred<void> d;
  Deferred<void> d2 = maybeDeferred([d] { return d; });
  d.errback(std::runtime_error("x"));
  EXPECT_TRUE(failureResultOf(d2).check<std::runtime_error>());
}

// Twisted's execute: like maybeDeferred without pass-through.
TEST_F(DeferredTests, ExecuteValueAndException) {
  auto d = execute([](int x) { return x * 2; }, 21);
  EXPECT_EQ(successResultOf(d), 42);
  auto e = execute([]() -> int { throw std::out_of_range("r"); });
  EXPECT_TRUE(failureResultOf(e).check<std::out_of_range>());
}

// twisted/test/test_defer.py DeferredTests.test_innerCallbacksPreserved
TEST_F(DeferredTests, InnerCallbacksPreserved) {
  std::vector<std::string> results;
  std::vector<Failure> failures;
  Deferred<std::string> inner;
  auto cb = [&](std::string result) {
    results.push_back("start-of-cb " + result);
    Deferred<std::string> d = succeed(std::string("inner"));
    Deferred<std::string> end = d.addCallback([&](std::string) {
                                   results.push_back("firstCallback inner");
                                   return inner;
                                 }).addCallback([&](std::string r) {
      results.push_back("secondCallback " + r);
      return r + r;
    });
    return end.addErrback([&](Failure f) {
      failures.push_back(f);
      return std::string();
    });
  };
  Deferred<std::string> outer = succeed(std::string("outer"));
  Deferred<void> tail =
      outer.addCallback(cb).addCallback([&](std::string r) { results.push_back(r); });
  inner.callback("orange");
  tail.addErrback([&](Failure f) { failures.push_back(f); });
  EXPECT_TRUE(failures.empty());
  EXPECT_EQ(results, (std::vector<std::string>{"start-of-cb outer", "firstCallback inner",
                                               "secondCallback orange", "orangeorange"}));
}

// twisted/test/test_defer.py DeferredTests.test_continueCallbackNotFirst
// (gatherResults([a]) replaced by a Deferred that `a` fires).
TEST_F(DeferredTests, ContinueCallbackNotFirst) {
  std::vector<std::string> results;
  std::vector<Failure> failures;
  Deferred<std::string> a;
  auto gathered = [&a] {
    Deferred<std::vector<std::string>> g;
    a.addCallback([g](std::string s) mutable { g.callback({s}); });
    return g;
  };
  auto cb = [&](std::string result) {
    results.push_back("cb " + result);
    Deferred<void> d;
    Deferred<void> end = d.addCallback([&] {
                            results.push_back("firstCallback");
                            return gathered();
                          }).addCallback([&](std::vector<std::string> r) {
      results.push_back("secondCallback " + r.at(0));
    });
    end = end.addErrback([&](Failure f) { failures.push_back(f); });
    d.callback();
    return end;
  };
  Deferred<std::string> outer = succeed(std::string("outer"));
  outer.addCallback(cb).addErrback([&](Failure f) { failures.push_back(f); });
  EXPECT_EQ(results, (std::vector<std::string>{"cb outer", "firstCallback"}));
  a.callback("withers");
  EXPECT_TRUE(failures.empty());
  EXPECT_EQ(results, (std::vector<std::string>{"cb outer", "firstCallback",
                                               "secondCallback withers"}));
}

// twisted/test/test_defer.py DeferredTests.test_callbackOrderPreserved
TEST_F(DeferredTests, CallbackOrderPreserved) {
  std::vector<std::string> results;
  std::vector<Failure> failures;
  Deferred<std::string> a;
  auto cb = [&](std::string result) {
    results.push_back("cb " + result);
    Deferred<void> d;
    Deferred<void> end =
        d.addCallback([&] {
           results.push_back("firstCallback");
           Deferred<std::string> g;
           a.addCallback([g](std::string s) mutable { g.callback(s); });
           return g;
         }).addCallback([&](std::string r) { results.push_back("secondCallback " + r); });
    end = end.addErrback([&](Failure f) { failures.push_back(f); });
    d.callback();
    return end;
  };
  Deferred<std::string> outer;
  outer.addCallback(cb)
      .addCallback([&] { results.push_back("final"); })
      .addErrback([&](Failure f) { failures.push_back(f); });
  outer.callback("outer");
  EXPECT_EQ(results, (std::vector<std::string>{"cb outer", "firstCallback"}));
  a.callback("withers");
  EXPECT_TRUE(failures.empty());
  EXPECT_EQ(results, (std::vector<std::string>{"cb outer", "firstCallback",
                                               "secondCallback withers", "final"}));
}

// twisted/test/test_defer.py DeferredTests.test_reentrantRunCallbacks
TEST_F(DeferredTests, ReentrantRunCallbacks) {
  Deferred<void> deferred;
  std::vector<int> called;
  deferred.addCallback([&] {
    called.push_back(1);
    deferred.addCallback([&] { called.push_back(3); });
  });
  deferred.addCallback([&] { called.push_back(2); });
  deferred.callback();
  EXPECT_EQ(called, (std::vector<int>{1, 2, 3}));
}

// twisted/test/test_defer.py DeferredTests.test_nonReentrantCallbacks
TEST_F(DeferredTests, NonReentrantCallbacks) {
  Deferred<void> deferred;
  std::vector<int> called;
  deferred.addCallback([&] {
    called.push_back(1);
    deferred.addCallback([&] { called.push_back(2); });
    EXPECT_EQ(called, std::vector<int>{1});
  });
  deferred.callback();
  EXPECT_EQ(called, (std::vector<int>{1, 2}));
}

// twisted/test/test_defer.py DeferredTests.test_reentrantRunCallbacksWithFailure
TEST_F(DeferredTests, ReentrantRunCallbacksWithFailure) {
  Deferred<void> deferred;
  deferred.addCallback([&] {
    deferred.addCallback([]() { throw std::runtime_error("callback raised exception"); });
  });
  deferred.callback();
  Failure f = failureResultOf(deferred);
  EXPECT_EQ(f.getErrorMessage(), "callback raised exception");
}

// twisted/test/test_defer.py DeferredTests.test_synchronousImplicitChain:
// the returned Deferred's result is stolen; it is left with None (void).
TEST_F(DeferredTests, SynchronousImplicitChain) {
  auto result = std::make_shared<int>(5);
  Deferred<std::shared_ptr<int>> first = succeed(result);
  Deferred<void> second;
  Deferred<std::shared_ptr<int>> next = second.addCallback([first] { return first; });
  second.callback();
  int firstCalls = 0;
  first.as<void>().addCallback([&] { ++firstCalls; });
  EXPECT_EQ(firstCalls, 1);
  EXPECT_EQ(successResultOf(next), result);
  // The old typed handle is stale now.
  EXPECT_THROW(first.addCallback([](std::shared_ptr<int>) {}), DeferredTypeError);
}

// twisted/test/test_defer.py DeferredTests.test_asynchronousImplicitChain
TEST_F(DeferredTests, AsynchronousImplicitChain) {
  Deferred<int> first;
  Deferred<void> second;
  Deferred<int> next = second.addCallback([first] { return first; });
  second.callback();
  std::vector<std::string> firstResult;
  first.as<void>().addCallback([&] { firstResult.push_back("None"); });
  std::vector<int> secondResult;
  next.addCallback([&](int v) { secondResult.push_back(v); });
  EXPECT_TRUE(firstResult.empty());
  EXPECT_TRUE(secondResult.empty());
  first.callback(7);
  EXPECT_EQ(firstResult, std::vector<std::string>{"None"});
  EXPECT_EQ(secondResult, std::vector<int>{7});
}

// twisted/test/test_defer.py DeferredTests.test_synchronousImplicitErrorChain
TEST_F(DeferredTests, SynchronousImplicitErrorChain) {
  Deferred<void> first = fail(Failure(std::runtime_error("First Deferred's Failure")));
  Deferred<void> second;
  Deferred<void> next = second.addCallback([first] { return first; });
  second.callback();
  int firstResult = 0;
  first.addCallback([&] { ++firstResult; });  // None, not the Failure
  EXPECT_EQ(firstResult, 1);
  EXPECT_TRUE(failureResultOf(next).check<std::runtime_error>());
}

// twisted/test/test_defer.py DeferredTests.test_asynchronousImplicitErrorChain
TEST_F(DeferredTests, AsynchronousImplicitErrorChain) {
  Deferred<void> first;
  Deferred<void> second;
  std::vector<Failure> secondError;
  int firstResult = 0, secondResult = 0;
  second.addCallback([first] { return first; })
      .addErrback([&](Failure f) { secondError.push_back(f); })
      .addCallback([&] { ++secondResult; });
  second.callback();
  first.addCallback([&] { ++firstResult; });
  EXPECT_EQ(firstResult, 0);
  EXPECT_EQ(secondResult, 0);
  first.errback(std::runtime_error("First Deferred's Failure"));
  ASSERT_EQ(secondError.size(), 1u);
  EXPECT_TRUE(secondError[0].check<std::runtime_error>());
  EXPECT_EQ(firstResult, 1);
  EXPECT_EQ(secondResult, 1);
}

// twisted/test/test_defer.py DeferredTests.test_doubleAsynchronousImplicitChaining
TEST_F(DeferredTests, DoubleAsynchronousImplicitChaining) {
  Deferred<int> first;
  Deferred<void> second;
  Deferred<int> secondNext = second.addCallback([first] { return first; });
  Deferred<void> third;
  std::vector<int> thirdResult;
  third.addCallback([secondNext] { return secondNext; }).addCallback([&](int v) {
    thirdResult.push_back(v);
  });
  second.callback();
  third.callback();
  EXPECT_TRUE(thirdResult.empty());
  first.callback(99);
  EXPECT_EQ(thirdResult, std::vector<int>{99});
}

// twisted/test/test_defer.py DeferredTests.test_nestedAsynchronousChainedDeferreds
TEST_F(DeferredTests, NestedAsynchronousChainedDeferreds) {
  std::vector<std::string> results;
  std::vector<Failure> failures;
  Deferred<std::string> inner;
  auto cb = [&](std::string result) {
    results.push_back("start-of-cb " + result);
    Deferred<std::string> d = succeed(std::string("inner"));
    return d
        .addCallback([&](std::string) {
          results.push_back("firstCallback inner");
          return inner;
        })
        .addCallback([&](std::string r) {
          results.push_back("secondCallback " + r);
          return r + r;
        })
        .addErrback([&](Failure f) {
          failures.push_back(f);
          return std::string();
        });
  };
  Deferred<std::string> outer = succeed(std::string("outer"));
  Deferred<void> tail =
      outer.addCallback(cb).addCallback([&](std::string r) { results.push_back(r); });
  EXPECT_EQ(results,
            (std::vector<std::string>{"start-of-cb outer", "firstCallback inner"}));
  inner.callback("orange");
  inner.as<void>().addErrback([&](Failure f) { failures.push_back(f); });
  tail.addErrback([&](Failure f) { failures.push_back(f); });
  EXPECT_TRUE(failures.empty());
  EXPECT_EQ(results, (std::vector<std::string>{"start-of-cb outer", "firstCallback inner",
                                               "secondCallback orange", "orangeorange"}));
}

// twisted/test/test_defer.py
// DeferredTests.test_nestedAsynchronousChainedDeferredsWithExtraCallbacks
TEST_F(DeferredTests, NestedAsynchronousChainedDeferredsWithExtraCallbacks) {
  using Strings = std::vector<std::string>;
  std::vector<std::string> log;
  Strings finalResult;
  std::vector<Failure> failures;
  Deferred<std::string> inner;
  auto cb = [&](std::string result) {
    log.push_back("start-of-cb " + result);
    Deferred<std::string> d = succeed(std::string("inner"));
    return d
        .addCallback([&](std::string r) {
          log.push_back("firstCallback " + r);
          return inner.addCallback([](std::string s) { return Strings{s}; });
        })
        .addCallback([&](Strings r) {
          log.push_back("secondCallback " + r.at(0));
          Strings twice = r;
          twice.insert(twice.end(), r.begin(), r.end());
          return twice;
        })
        .addErrback([&](Failure f) {
          failures.push_back(f);
          return Strings{};
        });
  };
  Deferred<std::string> outer = succeed(std::string("outer"));
  Deferred<void> tail =
      outer.addCallback(cb).addCallback([&](Strings r) { finalResult = r; });
  EXPECT_EQ(log, (std::vector<std::string>{"start-of-cb outer", "firstCallback inner"}));
  inner.callback("withers");
  tail.addErrback([&](Failure f) { failures.push_back(f); });
  EXPECT_TRUE(failures.empty());
  EXPECT_EQ(log, (std::vector<std::string>{"start-of-cb outer", "firstCallback inner",
                                           "secondCallback withers"}));
  EXPECT_EQ(finalResult, (Strings{"withers", "withers"}));
}

// twisted/test/test_defer.py DeferredTests.test_chainDeferredRecordsExplicitChain
// and test_explicitChainClearedWhenResolved (via isWaiting(): a fired
// Deferred whose callback returned an unfired one).
TEST_F(DeferredTests, ChainDeferredRecordsImplicitChain) {
  Deferred<void> a;
  Deferred<void> b;
  a.addCallback([b] { return b; });
  EXPECT_FALSE(a.isWaiting());
  a.callback();
  EXPECT_TRUE(a.isWaiting());
  b.callback();
  EXPECT_FALSE(a.isWaiting());
}

// twisted/test/test_defer.py DeferredTests.test_explicitChainClearedWhenResolved
// (chainDeferred: d1's result goes to d2; d1 is left with None).
TEST_F(DeferredTests, ExplicitChainClearedWhenResolved) {
  Deferred<int> a;
  Deferred<int> b;
  Deferred<void> aAfter = a.chainDeferred(b);
  a.callback(3);
  EXPECT_EQ(successResultOf(b), 3);
  successResultOf(aAfter);
}

// twisted/test/test_defer.py DeferredTests.test_circularChainWarning /
// test_circularChainException. Decision: a callback returning the Deferred it
// is attached to fails the chain (Twisted warns and wedges it for ever).
TEST_F(DeferredTests, CircularChainException) {
  Deferred<void> d;
  d.addCallback([&d]() { return d; });
  d.callback();
  Failure f = failureResultOf(d);
  EXPECT_TRUE(f.check<std::logic_error>());
  EXPECT_NE(f.getErrorMessage().find("returned the Deferred it was attached to"),
            std::string::npos);
}

// D13h, extended to rings: `b` waits on the Deferred a callback of `a`
// returned, and that callback of `a`... returns `b`. Twisted waits on it, and
// the two never fire (its cancel() then recurses without end); we fail the
// chain that would close the ring, and both go on.
TEST_F(DeferredTests, ReturningADeferredThatWaitsOnThisChainFails) {
  Deferred<void> a;
  Deferred<void> b;
  Deferred<void> aNext = a.addCallback([&b] { return b; });
  Deferred<void> bNext = b.addCallback([aNext] { return aNext; });
  b.callback();
  EXPECT_TRUE(b.isWaiting());  // on aNext, which is unfired
  std::string seen;
  bNext.addErrback([&seen](Failure f) {
    seen = f.getErrorMessage();
    return f;
  });
  a.callback();  // a's callback returns b, which waits on a
  // a's chain failed, and handed the Failure on to b, which was waiting on it.
  EXPECT_FALSE(a.isWaiting());
  EXPECT_FALSE(b.isWaiting());
  successResultOf(aNext);  // None: its result went to b
  EXPECT_NE(seen.find("waits on the Deferred the callback was attached to"),
            std::string::npos);
  EXPECT_TRUE(failureResultOf(bNext).check<std::logic_error>());
}

// twisted/test/test_defer.py
// DeferredTests.test_resultOfDeferredResultOfDeferredOfFiredDeferredCalled
TEST_F(DeferredTests, ResultOfDeferredResultOfDeferredOfFiredDeferredCalled) {
  Deferred<int> first;
  Deferred<void> second;
  Deferred<void> third;
  Deferred<int> secondNext = second.addCallback([first] { return first; });
  Deferred<int> thirdNext = third.addCallback([secondNext] { return secondNext; });
  first.callback(1);
  second.callback();
  third.callback();
  std::vector<int> results;
  secondNext.as<void>().addCallback([&] { results.push_back(0); });
  thirdNext.addCallback([&](int v) { results.push_back(v); });
  EXPECT_EQ(results, (std::vector<int>{0, 1}));
}

// D13a, twisted/internet/defer.py Deferred._runCallbacks (22.4, lines
// 876-900): a returned Deferred that has a result and is neither paused nor
// waiting gives it at once, even while its own callback loop is still under
// way. Here `r` has handed its result to `a` (the continuation) and still has
// a step queued; `o`'s callback returns r: Twisted's o takes r's None at once,
// before o.callback() returns, and r's queued step then sees None too.
// Checked against Twisted 22.4: [a got 5, o got None, o fired, r next None].
TEST_F(DeferredTests, ReturnedDeferredMidChainGivesResultAtOnce) {
  std::vector<std::string> log;
  Deferred<int> r, a;
  Deferred<void> o;
  a.addCallback([r](int) { return r; }).addCallback([&](int v) {
    log.push_back("a got " + std::to_string(v));
    o.callback();
    log.push_back("o fired");
    return v;
  });
  // r carries void once it has given its result to a.
  o.addCallback([r] { return r.as<void>(); }).addCallback([&] {
    log.push_back("o got None");
  });
  a.callback(0);
  r.as<void>().addCallback([&] { log.push_back("r next None"); });
  r.callback(5);
  EXPECT_EQ(
      log, (std::vector<std::string>{"a got 5", "o got None", "o fired", "r next None"}));
}

// The same rule when the returned Deferred is `a` of a.chainDeferred(b) and
// b's callbacks are running: a has handed its result to b, so o takes a's
// None at once, before a's next step. (Twisted's o gets the value here: a
// Python callback still holds a reference to what it gave b. A typed chain
// has moved it to b, and a's handle after chainDeferred is Deferred<void>.)
// Twisted 22.4: [b got 7, o got 7, a next None].
TEST_F(DeferredTests, ChainDeferredSourceGivesNoneAtOnce) {
  std::vector<std::string> log;
  Deferred<int> a, b;
  Deferred<void> o;
  Deferred<void> aAfter = a.chainDeferred(b);
  b.addCallback([&](int v) {
    log.push_back("b got " + std::to_string(v));
    o.callback();
    return v;
  });
  o.addCallback([aAfter] { return aAfter; }).addCallback([&] {
    log.push_back("o got None");
  });
  aAfter.addCallback([&] { log.push_back("a next None"); });
  a.callback(7);
  EXPECT_EQ(log, (std::vector<std::string>{"b got 7", "o got None", "a next None"}));
  EXPECT_EQ(successResultOf(b), 7);
}

// Where typing forces a difference (docs/deferred.md): while one of r's own
// callbacks is running, that callback holds r's result (it was moved into
// its argument), so a Deferred whose callback returns r waits for the end
// of r's chain instead. r's own chain is unaffected, as in Twisted.
// Twisted 22.4 gives [o got 1, r cb returns 2, r next 2].
TEST_F(DeferredTests, ReturnedDeferredWhoseCallbackIsRunningIsWaitedFor) {
  std::vector<std::string> log;
  Deferred<int> r;
  Deferred<void> o;
  Deferred<void> rEnd =
      r.addCallback([&](int v) {
         o.callback();
         log.push_back("r cb returns " + std::to_string(v + 1));
         return v + 1;
       }).addCallback([&](int v) { log.push_back("r next " + std::to_string(v)); });
  o.addCallback([rEnd] { return rEnd; }).addCallback([&] {
    log.push_back("o got None");
  });
  r.callback(1);
  EXPECT_EQ(log, (std::vector<std::string>{"r cb returns 2", "r next 2", "o got None"}));
}

// D14, twisted/internet/defer.py Deferred.chainDeferred (line 635:
// addCallbacks(d.callback, d.errback)): when a reaches the link, b's
// callbacks run before a's next one, and a counts as running meanwhile, so a
// step added to a from b's callback runs after the rest of b's, and a pause()
// of a from there does not stop a's loop (Twisted's inner loop does not look
// at `paused`). Twisted 22.4: [a1 3, b1 3, b2 3, a2 None, added by b1 None],
// a.paused == 1.
TEST_F(DeferredTests, ChainDeferredRunsChainedCallbacksFirst) {
  std::vector<std::string> log;
  Deferred<int> a, b;
  Deferred<void> aAfter = a.addCallback([&](int v) {
                             log.push_back("a1 " + std::to_string(v));
                             return v;
                           }).chainDeferred(b);
  b.addCallback([&, aAfter](int v) mutable {
     log.push_back("b1 " + std::to_string(v));
     aAfter.addCallback([&] { log.push_back("added by b1 None"); });
     aAfter.pause();
     return v;
   }).addCallback([&](int v) { log.push_back("b2 " + std::to_string(v)); });
  aAfter.addCallback([&] { log.push_back("a2 None"); });
  a.callback(3);
  EXPECT_EQ(log, (std::vector<std::string>{"a1 3", "b1 3", "b2 3", "a2 None",
                                           "added by b1 None"}));
  EXPECT_EQ(a.pauseCount(), 1u);
}

// D14 errors: b already fired -> AlreadyCalledError becomes a's Failure
// (Twisted's d.callback raises inside a's callback); a's own result is
// dropped.
TEST_F(DeferredTests, ChainDeferredToFiredDeferredFailsSource) {
  Deferred<int> a, b;
  b.callback(1);
  Deferred<void> aAfter = a.chainDeferred(b);
  a.callback(2);
  EXPECT_TRUE(failureResultOf(aAfter).check<AlreadyCalledError>());
  EXPECT_EQ(successResultOf(b), 1);
}

// A failure goes to b's errbacks; a is left with None (no unhandled error
// on a).
TEST_F(DeferredTests, ChainDeferredPassesFailure) {
  Deferred<int> a, b;
  Deferred<void> aAfter = a.chainDeferred(b);
  a.errback(GenericError("to b"));
  EXPECT_EQ(failureResultOf(b).getErrorMessage(), "to b");
  successResultOf(aAfter);
}

// The target cancelled without a canceller swallows the one late result
// (D18), so the source goes on with None; a paused target keeps the result
// for later and the source goes on at once. Twisted 22.4: [CancelledError,
// ('a', None)] and [('a', None), 'fired', ('b', 2)].
TEST_F(DeferredTests, ChainDeferredToCancelledOrPausedTarget) {
  Deferred<int> a, b;
  Deferred<void> aAfter = a.chainDeferred(b);
  b.cancel();
  EXPECT_TRUE(failureResultOf(b).check<CancelledError>());
  a.callback(1);
  successResultOf(aAfter);

  std::vector<std::string> log;
  Deferred<int> c, d;
  d.pause();
  c.chainDeferred(d).addCallback([&] { log.push_back("c None"); });
  d.addCallback([&](int v) { log.push_back("d " + std::to_string(v)); });
  c.callback(2);
  log.push_back("fired");
  d.unpause();
  EXPECT_EQ(log, (std::vector<std::string>{"c None", "fired", "d 2"}));
}

// Bad arguments are refused at the call, before anything is added: an empty
// handle, and a handle whose T is not what b's callback() takes.
TEST_F(DeferredTests, ChainDeferredRefusesBadTarget) {
  Deferred<int> a;
  Deferred<int> moved;
  Deferred<int> sink = std::move(moved);
  EXPECT_THROW((void)a.chainDeferred(moved),
               std::logic_error);  // NOLINT(bugprone-use-after-move)
  Deferred<int> b;
  Deferred<std::string> bText = b.addCallback([](int v) { return std::to_string(v); });
  Deferred<std::string> a2;
  EXPECT_THROW((void)a2.chainDeferred(bText), DeferredTypeError);
  a.callback(1);
  EXPECT_EQ(successResultOf(a), 1);  // nothing was added
  a2.callback("x");
  EXPECT_EQ(successResultOf(a2), "x");
  b.callback(2);
  EXPECT_EQ(successResultOf(bText), "2");
}

// Twisted's d.result, read without adding a callback (test_defer.py reads
// it throughout, e.g. DeferredTests.test_chainedPausedDeferredWithResult):
// nothing before firing, the value while paused, and the chain is left as
// it was.
TEST_F(DeferredTests, ResultPeekDoesNotConsume) {
  Deferred<int> d;
  EXPECT_FALSE(d.hasResult());
  EXPECT_FALSE(d.result().has_value());
  d.pause();
  d.callback(3);
  ASSERT_TRUE(d.hasResult());
  EXPECT_EQ(d.result()->value(), 3);
  EXPECT_EQ(d.result()->value(), 3);  // still there
  ASSERT_NE(d.resultValue(), nullptr);
  EXPECT_EQ(*d.resultValue(), 3);
  int seen = 0;
  Deferred<std::string> text = d.addCallback([&](int v) {
    seen = v;
    return std::to_string(v);
  });
  EXPECT_EQ(seen, 0);
  // Queued behind the pause, the current result is still the int 3: a
  // handle of another type is refused, naming both types.
  try {
    (void)text.result();
    FAIL() << "expected DeferredTypeError";
  } catch (const DeferredTypeError& e) {
    EXPECT_NE(std::string(e.what()).find("int"), std::string::npos) << e.what();
  }
  d.unpause();
  EXPECT_EQ(seen, 3);
  EXPECT_EQ(text.result()->value(), "3");
}

// A Failure is seen, not handled: it is still the chain's, and still
// reported unhandled unless an errback takes it.
TEST_F(DeferredTests, ResultPeekAtFailure) {
  Deferred<int> d = fail<int>(GenericError("peeked"));
  ASSERT_TRUE(d.result().has_value());
  EXPECT_EQ(d.result()->failure().getErrorMessage(), "peeked");
  EXPECT_EQ(d.resultValue(), nullptr);
  EXPECT_TRUE(d.hasFailure());
  EXPECT_EQ(failureResultOf(d).getErrorMessage(), "peeked");
}

// Waiting on a returned Deferred: no result (Twisted's d.result is then the
// Deferred waited on). None after giving the result away reads as
// Outcome<void>. Inside one of its own callbacks the result is lent to that
// callback: no result either.
TEST_F(DeferredTests, ResultPeekWhileWaitingAndAfterHandOver) {
  Deferred<int> inner;
  Deferred<void> outer;
  Deferred<int> next = outer.addCallback([inner] { return inner; });
  outer.callback();
  EXPECT_TRUE(outer.called());
  EXPECT_FALSE(next.hasResult());
  EXPECT_FALSE(next.result().has_value());
  inner.callback(8);
  EXPECT_EQ(next.result()->value(), 8);
  ASSERT_TRUE(inner.as<void>().result().has_value());
  EXPECT_TRUE(inner.as<void>().result()->hasValue());  // None
  EXPECT_THROW((void)inner.result(), DeferredTypeError);

  bool hadResultInside = true;
  Deferred<int> self;
  self.addCallback([&hadResultInside, self](int v) {
    hadResultInside = self.hasResult();
    return v;
  });
  self.callback(1);
  EXPECT_FALSE(hadResultInside);
  EXPECT_TRUE(self.hasResult());
}

// Move-only values can be looked at in place.
TEST_F(DeferredTests, ResultValueOfMoveOnlyType) {
  Deferred<std::unique_ptr<int>> d;
  d.callback(std::make_unique<int>(4));
  ASSERT_NE(d.resultValue(), nullptr);
  EXPECT_EQ(**d.resultValue(), 4);
}

// Twisted's d.paused counts pause() calls (Twisted 22.4: 0, then 2 after two
// pauses) and adds one while waiting on a returned Deferred; pauseCount()
// counts the pauses only, isWaiting() tells the rest.
TEST_F(DeferredTests, PauseCount) {
  Deferred<int> d;
  EXPECT_EQ(d.pauseCount(), 0u);
  d.pause();
  d.pause();
  EXPECT_EQ(d.pauseCount(), 2u);
  d.unpause();
  EXPECT_EQ(d.pauseCount(), 1u);
  d.unpause();
  d.unpause();  // not paused: stays 0 (Twisted would go to -1)
  EXPECT_EQ(d.pauseCount(), 0u);

  Deferred<int> inner;
  Deferred<void> outer;
  Deferred<int> next = outer.addCallback([inner] { return inner; });
  outer.callback();
  EXPECT_EQ(next.pauseCount(), 0u);
  EXPECT_TRUE(next.isWaiting());
  EXPECT_TRUE(next.paused());
  inner.callback(1);
}

// twisted/test/test_defer.py DeferredTests.test_errbackWithNoArgs
TEST_F(DeferredTests, ErrbackWithNoArgs) {
  Deferred<void> d;
  try {
    throw GenericError("Bang");
  } catch (...) {
    d.errback();
  }
  Failure f = failureResultOf(d);
  EXPECT_TRUE(f.check<GenericError>());
  EXPECT_EQ(f.getErrorMessage(), "Bang");
}

// twisted/test/test_defer.py DeferredTests.test_errbackWithNoArgsNoDebug
// (outside a catch block: NoCurrentExceptionError, D3).
TEST_F(DeferredTests, ErrbackWithNoArgsNoDebug) {
  Deferred<void> d;
  EXPECT_THROW(d.errback(), NoCurrentExceptionError);
  EXPECT_FALSE(d.called());
}

// D11: firing a Deferred from inside its own callback is an
// AlreadyCalledError inside that callback, which becomes the Failure.
TEST_F(DeferredTests, CallbackInsideOwnCallback) {
  Deferred<int> d;
  d.addCallback([&d](int v) {
    d.callback(v);
    return v;
  });
  d.callback(1);
  EXPECT_TRUE(failureResultOf(d).check<AlreadyCalledError>());
}

// D2/D8: errback recovery to a value, and errbacks skipped on success.
TEST_F(DeferredTests, ErrbackRecoversToValue) {
  Deferred<int> d;
  Deferred<int> end = d.addCallback([](int) -> int { throw std::runtime_error("x"); })
                          .addErrback([](Failure f) {
                            f.trap<std::runtime_error>();
                            return 7;
                          })
                          .addCallback([](int v) { return v * 6; });
  d.callback(0);
  EXPECT_EQ(successResultOf(end), 42);
}

// Returning the Failure (or rethrowing) from an errback propagates it with
// the same exception object (D8).
TEST_F(DeferredTests, ErrbackReturningFailurePropagates) {
  Failure original(std::runtime_error("x"));
  Deferred<int> d;
  Deferred<int> end = d.addErrback([](Failure f) { return f; })
                          .addErrback([](Failure f) -> int { f.raiseException(); })
                          .addErrback([](Failure f) -> int {
                            f.trap<std::out_of_range>();  // no match: rethrows
                            return 0;
                          });
  d.errback(original);
  EXPECT_EQ(failureResultOf(end), original);
}

// addBoth gets value or Failure; addCallbacks runs exactly one side.
TEST_F(DeferredTests, AddBothAndAddCallbacks) {
  std::vector<std::string> seen;
  Deferred<int> d;
  d.addBoth([&](Outcome<int> o) {
     seen.push_back(o.hasValue() ? "value" : "failure");
     return o;
   })
      .addCallbacks(
          [&](int v) {
            seen.push_back("cb" + std::to_string(v));
            return std::string("s");
          },
          [&](Failure) {
            seen.push_back("eb");
            return std::string("f");
          });
  d.callback(3);
  EXPECT_EQ(seen, (std::vector<std::string>{"value", "cb3"}));
}

// twisted/test/test_defer.py DeferredTests.test_canceller_circular_reference_callback
// (a canceller capturing its own Deferred is released once it has fired).
TEST_F(DeferredTests, CancellerCircularReferenceCallback) {
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> weak = token;
  {
    Deferred<int> d([token](Deferred<int>&) {});
    token.reset();
    EXPECT_FALSE(weak.expired());
    d.callback(1);
    EXPECT_TRUE(weak.expired());  // canceller released at fire time
    EXPECT_EQ(successResultOf(d), 1);
  }
}

// twisted/test/test_defer.py DeferredTests.test_canceller_circular_reference_errback
TEST_F(DeferredTests, CancellerCircularReferenceErrback) {
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> weak = token;
  Deferred<int> d([token](Deferred<int>&) {});
  token.reset();
  d.errback(std::runtime_error("x"));
  EXPECT_TRUE(weak.expired());
  failureResultOf(d);
}

// twisted/test/test_defer.py DeferredTests.test_canceller_circular_reference_non_final:
// a callback capturing its own Deferred's handle does not leak the chain
// (steps are released once run; checked under ASan's leak checker).
TEST_F(DeferredTests, CancellerCircularReferenceNonFinal) {
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> weak = token;
  Deferred<int> d([token](Deferred<int>&) {});
  token.reset();
  Deferred<int> self = d;
  d.addCallback([self, t = std::make_shared<int>(1)](int v) { return v; });
  d.callback(1);
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(successResultOf(d), 1);
}

// --- AlreadyCalledTests ----------------------------------------------------------

using AlreadyCalledTests = DeferredTest;

// twisted/test/test_defer.py AlreadyCalledTests.testAlreadyCalled_CC
TEST_F(AlreadyCalledTests, AlreadyCalled_CC) {
  Deferred<int> d;
  d.callback(1);
  EXPECT_THROW(d.callback(2), AlreadyCalledError);
}

// twisted/test/test_defer.py AlreadyCalledTests.testAlreadyCalled_CE
TEST_F(AlreadyCalledTests, AlreadyCalled_CE) {
  Deferred<int> d;
  d.callback(1);
  EXPECT_THROW(d.errback(std::runtime_error("x")), AlreadyCalledError);
}

// twisted/test/test_defer.py AlreadyCalledTests.testAlreadyCalled_EE
TEST_F(AlreadyCalledTests, AlreadyCalled_EE) {
  Deferred<int> d;
  d.errback(std::runtime_error("x"));
  EXPECT_THROW(d.errback(std::runtime_error("y")), AlreadyCalledError);
  failureResultOf(d);
}

// twisted/test/test_defer.py AlreadyCalledTests.testAlreadyCalled_EC
TEST_F(AlreadyCalledTests, AlreadyCalled_EC) {
  Deferred<int> d;
  d.errback(std::runtime_error("x"));
  EXPECT_THROW(d.callback(1), AlreadyCalledError);
  failureResultOf(d);
}

std::string alreadyCalledMessage(Deferred<int>& d, bool secondIsErrback) {
  try {
    if (secondIsErrback) {
      d.errback(std::runtime_error("second"));
    } else {
      d.callback(2);
    }
  } catch (const AlreadyCalledError& e) {
    return e.what();
  }
  return "";
}

// Creation (" C:") and first-invoker (" I:") stacks appear once each.
void checkDebugMessage(const std::string& message) {
  auto count = [&](const std::string& needle) {
    int n = 0;
    for (auto at = message.find(needle); at != std::string::npos;
         at = message.find(needle, at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(count(" C:"), 1) << message;
  EXPECT_EQ(count(" I:"), 1) << message;
}

// With debugging on, a Deferred fired by callback or errback (`firstIsErrback`)
// and then again raises AlreadyCalledError with both stacks: its creation's
// and its first invoker's.
void expectBothStacks(bool firstIsErrback, bool secondIsErrback) {
  setDebugging(true);
  Deferred<int> d;
  if (firstIsErrback) {
    d.errback(std::runtime_error("x"));
  } else {
    d.callback(1);
  }
  checkDebugMessage(alreadyCalledMessage(d, secondIsErrback));
  if (firstIsErrback) testing::failureResultOf(d);
}

// twisted/test/test_defer.py AlreadyCalledTests.testAlreadyCalledDebug_CC,
// _CE, _EC and _EE (C: callback, E: errback; first, then second).
TEST_F(AlreadyCalledTests, AlreadyCalledDebug_CC) { expectBothStacks(false, false); }
TEST_F(AlreadyCalledTests, AlreadyCalledDebug_CE) { expectBothStacks(false, true); }
TEST_F(AlreadyCalledTests, AlreadyCalledDebug_EC) { expectBothStacks(true, false); }
TEST_F(AlreadyCalledTests, AlreadyCalledDebug_EE) { expectBothStacks(true, true); }

// twisted/test/test_defer.py AlreadyCalledTests.testNoDebugging
TEST_F(AlreadyCalledTests, NoDebugging) {
  setDebugging(false);
  Deferred<int> d;
  d.callback(1);
  std::string message = alreadyCalledMessage(d, false);
  EXPECT_EQ(message.find(" C:"), std::string::npos);
  EXPECT_EQ(message.find(" I:"), std::string::npos);
}

// twisted/test/test_defer.py AlreadyCalledTests.testSwitchDebugging
TEST_F(AlreadyCalledTests, SwitchDebugging) {
  setDebugging(false);
  Deferred<void> d;
  d.addBoth([](Outcome<void>) {});
  setDebugging(true);
  d.callback();

  setDebugging(false);
  Deferred<void> d2;
  d2.callback();
  setDebugging(true);
  d2.addBoth([](Outcome<void>) {});
  EXPECT_THROW(d2.callback(), AlreadyCalledError);
}

// --- DeferredCancellerTests -------------------------------------------------------

class DeferredCancellerTests : public DeferredTest {
 protected:
  std::vector<int> callbackResults_;
  std::vector<Failure> errbackResults_;
  int cancellerCallCount_ = 0;

  template <typename T>
  void watch(Deferred<T>& d) {
    d.addCallbacks([this](T v) { callbackResults_.push_back(v); },
                   [this](Failure f) { errbackResults_.push_back(f); });
  }
  // A new Deferred, watched; without a canceller.
  Deferred<int> watched() {
    Deferred<int> d;
    watch(d);
    return d;
  }
  // A new Deferred, watched, whose canceller only counts its calls
  // (cancellerCallCount_).
  Deferred<int> watchedCounting() {
    Deferred<int> d([this](Deferred<int>&) { ++cancellerCallCount_; });
    watch(d);
    return d;
  }
  // `d` has had its result: neither callback nor errback may give another.
  static void expectAlreadyCalled(Deferred<int>& d) {
    EXPECT_THROW(d.callback(2), AlreadyCalledError);
    EXPECT_THROW(d.errback(std::runtime_error("x")), AlreadyCalledError);
  }
};

// twisted/test/test_defer.py DeferredCancellerTests.test_noCanceller
TEST_F(DeferredCancellerTests, NoCanceller) {
  Deferred<int> d = watched();
  d.cancel();
  ASSERT_EQ(errbackResults_.size(), 1u);
  EXPECT_TRUE(errbackResults_[0].check<CancelledError>());
  EXPECT_TRUE(callbackResults_.empty());
}

// twisted/test/test_defer.py DeferredCancellerTests.test_raisesAfterCancelAndCallback
TEST_F(DeferredCancellerTests, RaisesAfterCancelAndCallback) {
  Deferred<int> d = watched();
  d.cancel();
  d.callback(1);  // swallowed once
  expectAlreadyCalled(d);
}

// twisted/test/test_defer.py DeferredCancellerTests.test_raisesAfterCancelAndErrback
TEST_F(DeferredCancellerTests, RaisesAfterCancelAndErrback) {
  Deferred<int> d = watched();
  d.cancel();
  d.errback(std::runtime_error("x"));  // swallowed once
  expectAlreadyCalled(d);
}

// twisted/test/test_defer.py
// DeferredCancellerTests.test_noCancellerMultipleCancelsAfterCancelAndCallback
TEST_F(DeferredCancellerTests, NoCancellerMultipleCancelsAfterCancelAndCallback) {
  Deferred<int> d = watched();
  d.cancel();
  Failure current = errbackResults_.at(0);
  d.callback(1);
  d.cancel();
  ASSERT_EQ(errbackResults_.size(), 1u);
  EXPECT_EQ(errbackResults_[0], current);
}

// twisted/test/test_defer.py
// DeferredCancellerTests.test_noCancellerMultipleCancelsAfterCancelAndErrback
TEST_F(DeferredCancellerTests, NoCancellerMultipleCancelsAfterCancelAndErrback) {
  Deferred<int> d = watched();
  d.cancel();
  EXPECT_TRUE(errbackResults_.at(0).check<CancelledError>());
  d.errback(GenericError("x"));
  d.cancel();
  ASSERT_EQ(errbackResults_.size(), 1u);
  EXPECT_TRUE(errbackResults_[0].check<CancelledError>());
}

// twisted/test/test_defer.py DeferredCancellerTests.test_noCancellerMultipleCancel
TEST_F(DeferredCancellerTests, NoCancellerMultipleCancel) {
  Deferred<int> d = watched();
  d.cancel();
  Failure current = errbackResults_.at(0);
  d.cancel();
  ASSERT_EQ(errbackResults_.size(), 1u);
  EXPECT_EQ(errbackResults_[0], current);
}

// twisted/test/test_defer.py DeferredCancellerTests.test_cancellerMultipleCancel
TEST_F(DeferredCancellerTests, CancellerMultipleCancel) {
  Deferred<int> d = watchedCounting();
  d.cancel();
  d.cancel();
  EXPECT_EQ(cancellerCallCount_, 1);
  ASSERT_EQ(errbackResults_.size(), 1u);
  EXPECT_TRUE(errbackResults_[0].check<CancelledError>());
}

// twisted/test/test_defer.py DeferredCancellerTests.test_simpleCanceller
TEST_F(DeferredCancellerTests, SimpleCanceller) {
  Deferred<int> d = watchedCounting();
  d.cancel();
  EXPECT_EQ(cancellerCallCount_, 1);
  EXPECT_TRUE(errbackResults_.at(0).check<CancelledError>());
  expectAlreadyCalled(d);
}

// twisted/test/test_defer.py DeferredCancellerTests.test_cancellerArg
TEST_F(DeferredCancellerTests, CancellerArg) {
  Deferred<int>* seen = nullptr;
  Deferred<int> d([&](Deferred<int>& arg) {
    seen = &arg;
    EXPECT_TRUE(arg == d);
  });
  watch(d);
  d.cancel();
  EXPECT_NE(seen, nullptr);
}

// twisted/test/test_defer.py DeferredCancellerTests.test_cancelAfterCallback
TEST_F(DeferredCancellerTests, CancelAfterCallback) {
  Deferred<int> d = watchedCounting();
  d.callback(5);
  d.cancel();
  EXPECT_EQ(cancellerCallCount_, 0);
  EXPECT_TRUE(errbackResults_.empty());
  EXPECT_EQ(callbackResults_, std::vector<int>{5});
}

// twisted/test/test_defer.py DeferredCancellerTests.test_cancelAfterErrback
TEST_F(DeferredCancellerTests, CancelAfterErrback) {
  Deferred<int> d = watchedCounting();
  d.errback(GenericError("x"));
  d.cancel();
  EXPECT_EQ(cancellerCallCount_, 0);
  ASSERT_EQ(errbackResults_.size(), 1u);
  EXPECT_TRUE(errbackResults_[0].check<GenericError>());
  EXPECT_TRUE(callbackResults_.empty());
}

// twisted/test/test_defer.py DeferredCancellerTests.test_cancellerThatErrbacks
TEST_F(DeferredCancellerTests, CancellerThatErrbacks) {
  Deferred<int> d([](Deferred<int>& self) { self.errback(GenericError("canceller")); });
  watch(d);
  d.cancel();
  ASSERT_EQ(errbackResults_.size(), 1u);
  EXPECT_TRUE(errbackResults_[0].check<GenericError>());
}

// twisted/test/test_defer.py DeferredCancellerTests.test_cancellerThatCallbacks
TEST_F(DeferredCancellerTests, CancellerThatCallbacks) {
  Deferred<int> d([](Deferred<int>& self) { self.callback(11); });
  watch(d);
  d.cancel();
  EXPECT_EQ(callbackResults_, std::vector<int>{11});
  EXPECT_TRUE(errbackResults_.empty());
}

// twisted/test/test_defer.py DeferredCancellerTests.test_cancelNestedDeferred
TEST_F(DeferredCancellerTests, CancelNestedDeferred) {
  int outerCancels = 0, innerCancels = 0;
  Deferred<int> b([&](Deferred<int>&) { ++innerCancels; });
  Deferred<void> a([&](Deferred<void>&) { ++outerCancels; });
  Deferred<int> aNext = a.addCallback([b] { return b; });
  a.callback();
  watch(aNext);
  a.cancel();
  EXPECT_EQ(innerCancels, 1);
  EXPECT_EQ(outerCancels, 0);
  ASSERT_EQ(errbackResults_.size(), 1u);
  EXPECT_TRUE(errbackResults_[0].check<CancelledError>());
}

// D23: a canceller's exception propagates out of cancel().
TEST_F(DeferredCancellerTests, CancellerExceptionPropagates) {
  Deferred<int> d([](Deferred<int>&) { throw std::runtime_error("canceller"); });
  EXPECT_THROW(d.cancel(), std::runtime_error);
  EXPECT_FALSE(d.called());
}

// D23: a canceller that threw is kept, so the next cancel() calls it again
// (Twisted 22.4 calls it on every cancel() while the Deferred is unfired;
// found by the deferred_operations fuzz target).
TEST_F(DeferredCancellerTests, CancellerThatThrewIsCalledAgain) {
  int calls = 0;
  Deferred<int> d([&calls](Deferred<int>& self) {
    if (++calls == 1) throw std::runtime_error("canceller");
    self.callback(7);
  });
  EXPECT_THROW(d.cancel(), std::runtime_error);
  EXPECT_FALSE(d.called());
  d.cancel();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(successResultOf(d), 7);
}

// --- LogTests -----------------------------------------------------------------

using LogTests = DeferredTest;

// twisted/test/test_defer.py LogTests.test_errorLog: a Deferred dropped
// while holding a Failure is reported once, at that moment, with the
// Failure attached.
TEST_F(LogTests, ErrorLog) {
  {
    Deferred<int> d;
    d.addCallback([](int) -> int { throw std::out_of_range("oops"); });
    d.callback(1);
    EXPECT_TRUE(capture_.errors().empty());
  }
  auto errors = capture_.flushErrors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("Unhandled error in Deferred"), std::string::npos);
  EXPECT_NE(errors[0].message.find("oops"), std::string::npos);
  ASSERT_TRUE(errors[0].failure);
  EXPECT_TRUE(Failure(errors[0].failure).check<std::out_of_range>());
}

// twisted/test/test_defer.py LogTests.test_errorLogWithInnerFrameRef: the
// report waits for the LAST handle.
TEST_F(LogTests, ErrorLogWithInnerFrameRef) {
  auto keep = std::make_unique<Deferred<void>>();
  {
    Deferred<void> d = fail(Failure(std::runtime_error("x")));
    *keep = d;
  }
  EXPECT_TRUE(capture_.errors().empty());
  keep.reset();
  EXPECT_EQ(capture_.flushErrors().size(), 1u);
}

// twisted/test/test_defer.py LogTests.test_errorLogDebugInfo
TEST_F(LogTests, ErrorLogDebugInfo) {
  setDebugging(true);
  { Deferred<void> d = fail(Failure(std::runtime_error("x"))); }
  auto errors = capture_.flushErrors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("(debug:"), std::string::npos) << errors[0].message;
  EXPECT_NE(errors[0].message.find(" I:"), std::string::npos) << errors[0].message;
}

// twisted/test/test_defer.py LogTests.test_chainedErrorCleanup
TEST_F(LogTests, ChainedErrorCleanup) {
  {
    Deferred<void> d;
    Deferred<void> next =
        d.addCallback([] { return fail(Failure(std::runtime_error("z"))); });
    d.callback();
    // The failure moved into d; handle it there.
    next.addErrback([](Failure) {});
  }
  EXPECT_TRUE(capture_.flushErrors().empty());
}

// twisted/test/test_defer.py LogTests.test_errorClearedByChaining
TEST_F(LogTests, ErrorClearedByChaining) {
  {
    Deferred<void> bad = fail(Failure(std::runtime_error("oh no")));
    Deferred<void> good;
    bad.addErrback([good](Failure) { return good; });
    // bad now waits on good; neither holds a Failure.
  }
  EXPECT_TRUE(capture_.flushErrors().empty());
}

// D24: a failure handled by an errback is not reported.
TEST_F(LogTests, HandledErrorNotLogged) {
  {
    Deferred<int> d = fail<int>(Failure(std::runtime_error("x")));
    d.addErrback([](Failure) { return 0; });
  }
  EXPECT_TRUE(capture_.flushErrors().empty());
}

// torsion-specific (no Twisted counterpart): whenFired, the hook by which
// the reactor holds a system event until a trigger's Deferred fires.
TEST_F(DeferredTests, WhenFiredRunsOnceFiredAndPassesTheResultOn) {
  Deferred<int> d;
  int calls = 0;
  whenFired(d, [&] { ++calls; });
  EXPECT_EQ(calls, 0);
  d.callback(7);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(successResultOf(d), 7);
}

TEST_F(DeferredTests, WhenFiredLeavesAFailureToTheChain) {
  Deferred<void> d;
  int calls = 0;
  whenFired(d, [&] { ++calls; });
  d.errback(Failure(std::make_exception_ptr(std::runtime_error("boom"))));
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(failureResultOf(d).check<std::runtime_error>());
}

}  // namespace
}  // namespace torsion
