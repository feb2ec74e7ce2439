// Ports of twisted/test/test_defer.py OtherPrimitivesTests' DeferredQueue
// tests (testQueue, test_cancelQueueAfterSynchronousGet,
// test_cancelQueueAfterGet) to deferred/queue.h.
#include "deferred/queue.h"

#include <memory>
#include <numeric>
#include <vector>

#include "deferred/deferred.h"
#include "deferred/test_util.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

using testing::DeferredTest;

using QueueTests = DeferredTest;

std::vector<int> range(int from, int to) {
  std::vector<int> v(to - from);
  std::iota(v.begin(), v.end(), from);
  return v;
}

// twisted/test/test_defer.py OtherPrimitivesTests.testQueue
TEST_F(QueueTests, Queue) {
  constexpr int N = 2, M = 2;
  DeferredQueue<int> queue(N, M);
  std::vector<int> gotten;
  auto append = [&](int v) { gotten.push_back(v); };

  for (int i = 0; i < M; ++i) queue.get().addCallback(append);
  EXPECT_THROW((void)queue.get(), QueueUnderflow);

  for (int i = 0; i < M; ++i) {
    queue.put(i);
    EXPECT_EQ(gotten, range(0, i + 1));
  }
  for (int i = 0; i < N; ++i) {
    queue.put(N + i);
    EXPECT_EQ(gotten, range(0, M));
  }
  EXPECT_THROW(queue.put(0), QueueOverflow);

  gotten.clear();
  for (int i = 0; i < N; ++i) {
    queue.get().addCallback(append);
    EXPECT_EQ(gotten, range(N, N + i + 1));
  }

  DeferredQueue<int> unbounded;
  gotten.clear();
  for (int i = 0; i < N; ++i) unbounded.get().addCallback(append);
  for (int i = 0; i < N; ++i) unbounded.put(i);
  EXPECT_EQ(gotten, range(0, N));

  DeferredQueue<int> sizeZero(0);
  EXPECT_THROW(sizeZero.put(0), QueueOverflow);

  DeferredQueue<int> backlogZero(std::nullopt, 0);
  EXPECT_THROW((void)backlogZero.get(), QueueUnderflow);
}

// twisted/test/test_defer.py OtherPrimitivesTests.test_cancelQueueAfterSynchronousGet
TEST_F(QueueTests, CancelQueueAfterSynchronousGet) {
  DeferredQueue<int> queue;
  Deferred<int> d = queue.get();
  d.addErrback([](Failure) -> int {
    ADD_FAILURE() << "Unexpected errback call!";
    return 0;
  });
  queue.put(0);
  d.cancel();
}

// twisted/test/test_defer.py OtherPrimitivesTests.test_cancelQueueAfterGet
TEST_F(QueueTests, CancelQueueAfterGet) {
  DeferredQueue<int> queue;
  Deferred<int> d = queue.get();
  d.cancel();
  EXPECT_TRUE(failureResultOf(d).check<CancelledError>());
  // If d were still linked to the queue, this put would fire it again
  // (AlreadyCalledError) instead of reaching the next get().
  int got = -1;
  queue.put(7);
  (void)queue.get().addCallback([&](int v) { got = v; });
  EXPECT_EQ(got, 7);
  EXPECT_EQ(queue.waiting(), 0u);
}

TEST_F(QueueTests, QueueMoveOnlyAndPending) {
  DeferredQueue<std::unique_ptr<int>> queue(3);
  queue.put(std::make_unique<int>(1));
  queue.put(std::make_unique<int>(2));
  EXPECT_EQ(queue.pending().size(), 2u);
  int seen = 0;
  (void)queue.get().addCallback([&](std::unique_ptr<int> p) { seen = *p; });
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(queue.pending().size(), 1u);
}

TEST_F(QueueTests, QueueErrorsSayWhy) {
  DeferredQueue<int> queue(1, 0);
  queue.put(1);
  try {
    queue.put(2);
    ADD_FAILURE() << "no QueueOverflow";
  } catch (const QueueOverflow& e) {
    EXPECT_NE(std::string(e.what()).find("1 items"), std::string::npos) << e.what();
  }
  (void)queue.get();
  try {
    (void)queue.get();
    ADD_FAILURE() << "no QueueUnderflow";
  } catch (const QueueUnderflow& e) {
    EXPECT_NE(std::string(e.what()).find("0 waiting"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace torsion
