// Ports of twisted/test/test_defer.py OtherPrimitivesTests' DeferredSemaphore
// tests (testSemaphore, test_semaphoreInvalidTokens,
// test_cancelSemaphore*) to deferred/semaphore.h.
#include "deferred/semaphore.h"

#include <stdexcept>
#include <string>

#include "deferred/deferred.h"
#include "deferred/test_util.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

using testing::DeferredTest;

class SemaphoreTests : public DeferredTest {
 protected:
  int counter_ = 0;
  auto incr() {
    return [this] { ++counter_; };
  }
};

// twisted/test/test_defer.py OtherPrimitivesTests.testSemaphore
TEST_F(SemaphoreTests, Semaphore) {
  constexpr int N = 13;
  DeferredSemaphore sem(N);

  Deferred<void> controlDeferred;
  std::string helperArg;
  std::vector<int> results;
  auto resultDeferred = sem.run([&] {
    helperArg = "uniqueObject";
    return controlDeferred;
  });
  resultDeferred.addCallback([&] { results.push_back(1); }).addCallback(incr());
  EXPECT_TRUE(results.empty());
  EXPECT_EQ(helperArg, "uniqueObject");
  controlDeferred.callback();
  EXPECT_EQ(results.size(), 1u);
  EXPECT_EQ(counter_, 1);

  counter_ = 0;
  for (int i = 1; i <= N; ++i) {
    sem.acquire().addCallback(incr());
    EXPECT_EQ(counter_, i);
  }

  std::vector<bool> success;
  auto d = sem.acquire().addCallbacks([&] { success.push_back(false); },
                                      [&](Failure) { success.push_back(true); });
  d.cancel();
  EXPECT_EQ(success, std::vector<bool>{true});

  sem.acquire().addCallback(incr());
  EXPECT_EQ(counter_, N);

  sem.release();
  EXPECT_EQ(counter_, N + 1);

  for (int i = 1; i <= N; ++i) {
    sem.release();
    EXPECT_EQ(counter_, N + 1);
  }
  EXPECT_EQ(sem.tokens(), N);
  EXPECT_EQ(sem.limit(), N);
}

// twisted/test/test_defer.py OtherPrimitivesTests.test_semaphoreInvalidTokens
TEST_F(SemaphoreTests, SemaphoreInvalidTokens) {
  EXPECT_THROW(DeferredSemaphore(0), std::invalid_argument);
  EXPECT_THROW(DeferredSemaphore(-1), std::invalid_argument);
}

// twisted/test/test_defer.py OtherPrimitivesTests.test_cancelSemaphoreAfterAcquired
TEST_F(SemaphoreTests, CancelSemaphoreAfterAcquired) {
  DeferredSemaphore sem(1);
  Deferred<void> d = sem.acquire();
  d.addErrback([](Failure) { ADD_FAILURE() << "Unexpected errback call!"; });
  d.cancel();
  EXPECT_EQ(sem.tokens(), 0);
}

// twisted/test/test_defer.py OtherPrimitivesTests.test_cancelSemaphoreBeforeAcquired
TEST_F(SemaphoreTests, CancelSemaphoreBeforeAcquired) {
  DeferredSemaphore sem(1);
  (void)sem.acquire();
  Deferred<void> d = sem.acquire();
  d.cancel();
  EXPECT_TRUE(failureResultOf(d).check<CancelledError>());
}

// P4: too many releases is an error (Twisted's AssertionError).
TEST_F(SemaphoreTests, SemaphoreTooManyReleases) {
  DeferredSemaphore sem(2);
  (void)sem.acquire();
  sem.release();
  EXPECT_THROW(sem.release(), std::logic_error);
  EXPECT_EQ(sem.tokens(), 2);
}

// At most `tokens` run() bodies are in flight; the rest wait, FIFO.
TEST_F(SemaphoreTests, SemaphoreRunLimitsConcurrency) {
  DeferredSemaphore sem(2);
  std::vector<Deferred<int>> work(4);
  std::vector<int> started;
  std::vector<Deferred<int>> results;
  for (int i = 0; i < 4; ++i) {
    results.push_back(sem.run([&, i] {
      started.push_back(i);
      return work[i];
    }));
  }
  EXPECT_EQ(started, (std::vector<int>{0, 1}));
  work[1].callback(11);
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2}));
  work[0].callback(10);
  work[2].callback(12);
  work[3].callback(13);
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2, 3}));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(successResultOf(results[i]), 10 + i);
  EXPECT_EQ(sem.tokens(), 2);
}

// twisted#9304 for semaphores: synchronous bodies, many waiters, no recursion.
TEST_F(SemaphoreTests, SemaphoreManyWaitersNoRecursion) {
  constexpr int kWaiters = 200000;
  DeferredSemaphore sem(3);
  std::vector<Deferred<void>> held{sem.acquire(), sem.acquire(), sem.acquire()};
  int ran = 0;
  for (int i = 0; i < kWaiters; ++i) (void)sem.run([&ran] { ++ran; });
  sem.release();
  EXPECT_EQ(ran, kWaiters);
  EXPECT_EQ(sem.tokens(), 1);
  sem.release();
  sem.release();
  EXPECT_EQ(sem.tokens(), 3);
}

}  // namespace
}  // namespace torsion
