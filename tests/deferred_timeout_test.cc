// Deferred::addTimeout: mirrors twisted/test/test_defer.py
// DeferredAddTimeoutTests, on a small deterministic clock (task::Clock's
// job; this test only needs ReactorTime).
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/reactor_time.h"
#include "core/timer_queue.h"
#include "deferred/deferred.h"
#include "deferred/deferred_list.h"
#include "deferred/test_util.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

using testing::DeferredTest;

class FakeClock : public ReactorTime {
 public:
  FakeClock() : queue_(*this) {}
  using ReactorTime::callLater;
  double seconds() const override { return now_; }
  DelayedCall callLater(Seconds delay, absl::AnyInvocable<void()> f) override {
    return queue_.schedule(now_ + std::max(0.0, delay.count()), std::move(f));
  }
  std::vector<DelayedCall> getDelayedCalls() const override { return queue_.pending(); }
  void advance(double by) {
    now_ += by;
    queue_.runDue(now_, internal::TimerQueue::NewCalls::kSamePass);
  }

 private:
  double now_ = 0;
  internal::TimerQueue queue_;
};

Outcome<std::string> overrideOnTimeout(Outcome<std::string>, Seconds) {
  return std::string("OVERRIDDEN");
}

class DeferredAddTimeoutTests : public DeferredTest {
 protected:
  FakeClock clock_;
};

// twisted/test/test_defer.py DeferredAddTimeoutTests.test_timeoutChainable
TEST_F(DeferredAddTimeoutTests, TimeoutChainable) {
  Deferred<std::string> d;
  Deferred<std::string> same = d.addTimeout(Seconds(5), clock_);
  std::string got;
  same.addCallback([&](std::string r) { got = r; });
  d.callback("result");
  EXPECT_EQ(got, "result");
  EXPECT_TRUE(clock_.getDelayedCalls().empty());
}

// twisted/test/test_defer.py DeferredAddTimeoutTests.test_successResultBeforeTimeout
TEST_F(DeferredAddTimeoutTests, SuccessResultBeforeTimeout) {
  Deferred<std::string> d;
  d.addTimeout(Seconds(10), clock_);
  Deferred<std::string> inner;
  std::string callbacked;
  Deferred<std::string> after = d.addCallback([&](std::string r) {
    callbacked = r;
    return inner;
  });
  d.callback("results");
  EXPECT_EQ(callbacked, "results");
  clock_.advance(15);  // no timeout: inner must not be cancelled
  EXPECT_TRUE(hasNoResult(after));
  EXPECT_FALSE(inner.called());
  inner.callback("done");
  EXPECT_EQ(successResultOf(after), "done");
}

// twisted/test/test_defer.py
// DeferredAddTimeoutTests.test_successResultBeforeTimeoutCustom
TEST_F(DeferredAddTimeoutTests, SuccessResultBeforeTimeoutCustom) {
  Deferred<std::string> d;
  d.addTimeout(Seconds(10), clock_, overrideOnTimeout);
  Deferred<std::string> inner;
  Deferred<std::string> after = d.addCallback([&](std::string) { return inner; });
  d.callback("results");
  clock_.advance(15);
  EXPECT_FALSE(inner.called());
  inner.callback("done");
  EXPECT_EQ(successResultOf(after), "done");
}

// twisted/test/test_defer.py DeferredAddTimeoutTests.test_failureBeforeTimeout
TEST_F(DeferredAddTimeoutTests, FailureBeforeTimeout) {
  Deferred<std::string> d;
  d.addTimeout(Seconds(10), clock_);
  Deferred<std::string> inner;
  std::vector<Failure> errbacked;
  Deferred<std::string> after = d.addErrback([&](Failure f) {
    errbacked.push_back(f);
    return inner;
  });
  Failure f(std::invalid_argument("x"));
  d.errback(f);
  ASSERT_EQ(errbacked.size(), 1u);
  EXPECT_EQ(errbacked[0], f);
  clock_.advance(15);
  EXPECT_FALSE(inner.called());
  EXPECT_TRUE(hasNoResult(after));
  inner.callback("recovered");
  EXPECT_EQ(successResultOf(after), "recovered");
}

// twisted/test/test_defer.py DeferredAddTimeoutTests.test_failureBeforeTimeoutCustom
TEST_F(DeferredAddTimeoutTests, FailureBeforeTimeoutCustom) {
  Deferred<std::string> d;
  d.addTimeout(Seconds(10), clock_, overrideOnTimeout);
  Deferred<std::string> inner;
  Deferred<std::string> after = d.addErrback([&](Failure) { return inner; });
  d.errback(std::invalid_argument("x"));
  clock_.advance(15);
  EXPECT_FALSE(inner.called());
  inner.callback("recovered");
  EXPECT_EQ(successResultOf(after), "recovered");
}

// twisted/test/test_defer.py DeferredAddTimeoutTests.test_timedOut
TEST_F(DeferredAddTimeoutTests, TimedOut) {
  Deferred<std::string> d;
  d.addTimeout(Seconds(10), clock_);
  EXPECT_TRUE(hasNoResult(d));
  clock_.advance(9.9);
  EXPECT_TRUE(hasNoResult(d));
  clock_.advance(0.1);
  Failure f = failureResultOf(d);
  ASSERT_TRUE(f.check<TimeoutError>()) << f.getErrorMessage();
  EXPECT_EQ(f.value<TimeoutError>()->timeout(), 10.0);
}

// twisted/test/test_defer.py DeferredAddTimeoutTests.test_timedOutCustom
TEST_F(DeferredAddTimeoutTests, TimedOutCustom) {
  Deferred<std::string> d;
  d.addTimeout(Seconds(10), clock_, overrideOnTimeout);
  clock_.advance(10);
  EXPECT_EQ(successResultOf(d), "OVERRIDDEN");
}

// twisted/test/test_defer.py DeferredAddTimeoutTests.test_timedOutProvidedCancelSuccess
TEST_F(DeferredAddTimeoutTests, TimedOutProvidedCancelSuccess) {
  Deferred<std::string> d(
      [](Deferred<std::string>& c) { c.callback("I was cancelled!"); });
  d.addTimeout(Seconds(10), clock_);
  clock_.advance(10);
  EXPECT_EQ(successResultOf(d), "I was cancelled!");
}

// twisted/test/test_defer.py DeferredAddTimeoutTests.test_timedOutProvidedCancelFailure
TEST_F(DeferredAddTimeoutTests, TimedOutProvidedCancelFailure) {
  Failure error(std::invalid_argument("what!"));
  Deferred<std::string> d([error](Deferred<std::string>& c) { c.errback(error); });
  d.addTimeout(Seconds(10), clock_);
  clock_.advance(10);
  EXPECT_EQ(failureResultOf(d), error);
}

// twisted/test/test_defer.py DeferredAddTimeoutTests.test_cancelBeforeTimeout
TEST_F(DeferredAddTimeoutTests, CancelBeforeTimeout) {
  Deferred<std::string> d;
  d.addTimeout(Seconds(10), clock_);
  d.cancel();
  EXPECT_TRUE(clock_.getDelayedCalls().empty());
  clock_.advance(15);
  EXPECT_TRUE(failureResultOf(d).check<CancelledError>());
}

// twisted/test/test_defer.py DeferredAddTimeoutTests.test_cancelBeforeTimeoutCustom
TEST_F(DeferredAddTimeoutTests, CancelBeforeTimeoutCustom) {
  Deferred<std::string> d;
  d.addTimeout(Seconds(10), clock_, overrideOnTimeout);
  d.cancel();
  clock_.advance(15);
  EXPECT_TRUE(failureResultOf(d).check<CancelledError>());
}

// twisted/test/test_defer.py
// DeferredAddTimeoutTests.test_providedCancelCalledBeforeTimeoutCustom
TEST_F(DeferredAddTimeoutTests, ProvidedCancelCalledBeforeTimeoutCustom) {
  Deferred<std::string> d(
      [](Deferred<std::string>& c) { c.errback(std::invalid_argument("what!")); });
  d.addTimeout(Seconds(10), clock_, overrideOnTimeout);
  clock_.advance(10);
  EXPECT_EQ(successResultOf(d), "OVERRIDDEN");
}

// twisted/test/test_defer.py DeferredAddTimeoutTests.test_errbackAddedBeforeTimeout
TEST_F(DeferredAddTimeoutTests, ErrbackAddedBeforeTimeout) {
  Deferred<std::string> d;
  std::vector<Failure> seen;
  d.addErrback([&](Failure f) {
    seen.push_back(f);
    return f;
  });
  d.addTimeout(Seconds(10), clock_);
  clock_.advance(10);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].check<CancelledError>());
  EXPECT_TRUE(failureResultOf(d).check<TimeoutError>());
}

// twisted/test/test_defer.py
// DeferredAddTimeoutTests.test_errbackAddedBeforeTimeoutSuppressesCancellation
TEST_F(DeferredAddTimeoutTests, ErrbackAddedBeforeTimeoutSuppressesCancellation) {
  Deferred<std::string> d;
  d.addErrback([](Failure f) {
    f.trap<CancelledError>();
    return std::string("suppressed");
  });
  d.addTimeout(Seconds(10), clock_);
  clock_.advance(10);
  EXPECT_EQ(successResultOf(d), "suppressed");
}

// twisted/test/test_defer.py DeferredAddTimeoutTests.test_errbackAddedBeforeTimeoutCustom
TEST_F(DeferredAddTimeoutTests, ErrbackAddedBeforeTimeoutCustom) {
  Deferred<std::string> d;
  std::vector<Failure> seen;
  d.addErrback([&](Failure f) {
    seen.push_back(f);
    return f;
  });
  d.addTimeout(Seconds(10), clock_, overrideOnTimeout);
  clock_.advance(10);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].check<CancelledError>());
  EXPECT_EQ(successResultOf(d), "OVERRIDDEN");
}

// twisted/test/test_defer.py
// DeferredAddTimeoutTests.test_errbackAddedBeforeTimeoutSuppressesCancellationCustom
TEST_F(DeferredAddTimeoutTests, ErrbackAddedBeforeTimeoutSuppressesCancellationCustom) {
  Deferred<std::string> d;
  d.addErrback([](Failure f) {
    f.trap<CancelledError>();
    return std::string("suppressed");
  });
  d.addTimeout(Seconds(10), clock_, overrideOnTimeout);
  clock_.advance(10);
  EXPECT_EQ(successResultOf(d), "OVERRIDDEN");
}

// twisted/test/test_defer.py
// DeferredAddTimeoutTests.test_callbackAddedToCancelerBeforeTimeout
TEST_F(DeferredAddTimeoutTests, CallbackAddedToCancelerBeforeTimeout) {
  Deferred<std::string> d([](Deferred<std::string>& c) { c.callback("cancelled"); });
  std::vector<std::string> seen;
  d.addCallback([&](std::string r) {
    seen.push_back(r);
    return r;
  });
  d.addTimeout(Seconds(10), clock_);
  clock_.advance(10);
  EXPECT_EQ(seen, std::vector<std::string>{"cancelled"});
  EXPECT_EQ(successResultOf(d), "cancelled");
}

// twisted/test/test_defer.py
// DeferredAddTimeoutTests.test_callbackAddedToCancelerBeforeTimeoutCustom
TEST_F(DeferredAddTimeoutTests, CallbackAddedToCancelerBeforeTimeoutCustom) {
  Deferred<std::string> d([](Deferred<std::string>& c) { c.callback("cancelled"); });
  std::vector<std::string> seen;
  d.addCallback([&](std::string r) {
    seen.push_back(r);
    return r;
  });
  d.addTimeout(Seconds(10), clock_, overrideOnTimeout);
  clock_.advance(10);
  EXPECT_EQ(seen, std::vector<std::string>{"cancelled"});
  EXPECT_EQ(successResultOf(d), "OVERRIDDEN");
}

// A timer pending when the Deferred is dropped unfired does not leak the
// chain past the clock (ASan's leak checker).
TEST_F(DeferredAddTimeoutTests, DroppedWhileTimerPending) {
  { Deferred<void> d = Deferred<void>().addTimeout(Seconds(1), clock_); }
  EXPECT_EQ(clock_.getDelayedCalls().size(), 1u);
  clock_.advance(1);  // fires the timer: the chain times out, nobody listens
  capture_.flushErrors();
}

// addTimeout on a DeferredList: the timeout cancels the list, which cancels
// its inputs (DeferredList.cancel) and nothing else: the list waits for what
// they report (here a paused input delivers only when unpaused), and as that
// is no CancelledError, it is not turned into TimeoutError. Twisted 22.4: no
// result after the timeout; after unpause [(False, CancelledError), (True,
// 'from canceller')].
TEST_F(DeferredAddTimeoutTests, TimeoutOnDeferredListDeliversInputsResults) {
  Deferred<std::string> paused;
  paused.pause();
  Deferred<std::string> withCanceller(
      [](Deferred<std::string>& d) { d.callback("from canceller"); });
  auto dl =
      DeferredList(std::vector{paused, withCanceller}).addTimeout(Seconds(5), clock_);
  clock_.advance(5);
  EXPECT_TRUE(hasNoResult(dl));
  paused.unpause();
  auto result = successResultOf(dl);
  ASSERT_EQ(result.size(), 2u);
  EXPECT_TRUE(result[0].failure().check<CancelledError>());
  EXPECT_EQ(result[1].value(), "from canceller");
  failureResultOf(paused);  // handled
}

}  // namespace
}  // namespace torsion
