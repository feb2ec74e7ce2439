// Ports of twisted/test/test_defer.py OtherPrimitivesTests' DeferredLock
// tests (testLock, test_cancelLock*) to deferred/lock.h, plus the
// re-entrant hand-off of twisted#9304 and run() with failures.
#include "deferred/lock.h"

#include <stdexcept>
#include <string>

#include "deferred/deferred.h"
#include "deferred/test_util.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

using testing::DeferredTest;

class OtherPrimitivesTests : public DeferredTest {
 protected:
  int counter_ = 0;
  auto incr() {
    return [this] { ++counter_; };
  }
};

// twisted/test/test_defer.py OtherPrimitivesTests.testLock. (Twisted's
// `lock.run()` without a function is a TypeError; here it does not compile.)
TEST_F(OtherPrimitivesTests, Lock) {
  DeferredLock lock;
  lock.acquire().addCallback(incr());
  EXPECT_TRUE(lock.locked());
  EXPECT_EQ(counter_, 1);

  lock.acquire().addCallback(incr());
  EXPECT_TRUE(lock.locked());
  EXPECT_EQ(counter_, 1);

  lock.release();
  EXPECT_TRUE(lock.locked());
  EXPECT_EQ(counter_, 2);

  lock.release();
  EXPECT_FALSE(lock.locked());
  EXPECT_EQ(counter_, 2);

  std::string result;
  Deferred<std::string> controlDeferred;
  auto resultDeferred = lock.run([&] {
    result = "firstUnique";
    return controlDeferred;
  });
  EXPECT_TRUE(lock.locked());
  EXPECT_EQ(result, "firstUnique");
  (void)resultDeferred.addCallback([&](std::string v) { result = v; });

  lock.acquire().addCallback(incr());
  EXPECT_TRUE(lock.locked());
  EXPECT_EQ(counter_, 2);

  controlDeferred.callback("secondUnique");
  EXPECT_EQ(result, "secondUnique");
  EXPECT_TRUE(lock.locked());
  EXPECT_EQ(counter_, 3);

  std::optional<Outcome<void>> seen;
  auto d = lock.acquire().addBoth([&](Outcome<void> o) { seen = o; });
  d.cancel();
  ASSERT_TRUE(seen.has_value());
  ASSERT_TRUE(seen->isFailure());
  EXPECT_TRUE(seen->failure().check<CancelledError>());

  lock.release();
  EXPECT_FALSE(lock.locked());
}

// twisted/test/test_defer.py OtherPrimitivesTests.test_cancelLockAfterAcquired
TEST_F(OtherPrimitivesTests, CancelLockAfterAcquired) {
  DeferredLock lock;
  Deferred<void> d = lock.acquire();
  d.addErrback([](Failure) { ADD_FAILURE() << "Unexpected errback call!"; });
  d.cancel();
  EXPECT_TRUE(lock.locked());
}

// twisted/test/test_defer.py OtherPrimitivesTests.test_cancelLockBeforeAcquired
TEST_F(OtherPrimitivesTests, CancelLockBeforeAcquired) {
  DeferredLock lock;
  (void)lock.acquire();
  Deferred<void> d = lock.acquire();
  d.cancel();
  EXPECT_TRUE(failureResultOf(d).check<CancelledError>());
  EXPECT_EQ(lock.waiting(), 0u);
  lock.release();
  EXPECT_FALSE(lock.locked());
}

// P1: releasing an unlocked lock is an error (Twisted's AssertionError).
TEST_F(OtherPrimitivesTests, LockReleaseUnlocked) {
  DeferredLock lock;
  EXPECT_THROW(lock.release(), std::logic_error);
}

// P2: run() releases after a failure too, and passes the failure on.
TEST_F(OtherPrimitivesTests, LockRunReleasesOnFailure) {
  DeferredLock lock;
  auto d = lock.run([]() -> int { throw std::runtime_error("inside"); });
  EXPECT_FALSE(lock.locked());
  EXPECT_EQ(failureResultOf(d).getErrorMessage(), "inside");
  auto ok = lock.run([] { return 5; });
  EXPECT_EQ(successResultOf(ok), 5);
  EXPECT_FALSE(lock.locked());
}

// twisted#9304: many waiters whose run() bodies are synchronous hand the
// lock on re-entrantly from release(); Twisted recurses once per waiter
// (RecursionError). Here they run in a loop at constant stack depth.
TEST_F(OtherPrimitivesTests, LockManyWaitersNoRecursion) {
  constexpr int kWaiters = 200000;
  DeferredLock lock;
  Deferred<void> first = lock.acquire();
  int ran = 0;
  std::vector<int> order;
  for (int i = 0; i < kWaiters; ++i) {
    (void)lock.run([&ran, &order, i] {
      if (i < 3) order.push_back(i);
      ++ran;
    });
  }
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(lock.waiting(), static_cast<std::size_t>(kWaiters));
  lock.release();
  EXPECT_EQ(ran, kWaiters);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));  // FIFO
  EXPECT_FALSE(lock.locked());
}

// A waiter cancelled while hand-offs are pending is skipped.
TEST_F(OtherPrimitivesTests, LockCancelDuringHandOff) {
  DeferredLock lock;
  (void)lock.acquire();
  Deferred<void> second = lock.acquire();
  Deferred<void> third = lock.acquire();
  int thirdRan = 0;
  second.addCallback([&] {
    third.cancel();  // still waiting: leaves the queue
    lock.release();  // no waiter left: unlocks
  });
  third.addErrback([&](Failure f) {
    EXPECT_TRUE(f.check<CancelledError>());
    ++thirdRan;
  });
  lock.release();
  EXPECT_EQ(thirdRan, 1);
  EXPECT_FALSE(lock.locked());
}

// Waiters may outlive the lock: cancelling one afterwards is safe.
TEST_F(OtherPrimitivesTests, LockWaiterOutlivesLock) {
  Deferred<void> waiter;
  {
    DeferredLock lock;
    (void)lock.acquire();
    waiter = lock.acquire();
  }
  waiter.cancel();
  EXPECT_TRUE(failureResultOf(waiter).check<CancelledError>());
}

}  // namespace
}  // namespace torsion
