// Tests of ThreadPool (the pool behind Reactor::callInThread); modelled on
// Twisted's src/twisted/test/test_threadpool.py where it applies.
#include "core/thread_pool.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "base/log.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

// Mirrors test_threadpool.py ThreadPoolTests.test_threadCreationArguments
// in spirit: bad bounds are refused.
TEST(ThreadPoolTest, RejectsBadBounds) {
  EXPECT_THROW(ThreadPool(0, 0), std::invalid_argument);
  EXPECT_THROW(ThreadPool(5, 2), std::invalid_argument);
  ThreadPool pool;
  EXPECT_THROW(pool.adjustPoolsize(3, 1), std::invalid_argument);
}

TEST(ThreadPoolTest, WorkQueuedBeforeStartRunsAfterStart) {
  ThreadPool pool(0, 2);
  std::atomic<int> ran{0};
  pool.callInThread([&] { ++ran; });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(pool.workers(), 0u);
  pool.start();
  pool.stop();
  EXPECT_EQ(ran.load(), 1);
}

// Mirrors test_threadpool.py ThreadPoolTests.test_workerStateTransition in
// spirit: stop() lets queued work finish, then joins.
TEST(ThreadPoolTest, StopRunsQueuedWorkThenJoins) {
  ThreadPool pool(0, 3);
  pool.start();
  std::atomic<int> ran{0};
  for (int i = 0; i < 100; ++i) pool.callInThread([&] { ++ran; });
  pool.stop();
  EXPECT_EQ(ran.load(), 100);
  EXPECT_EQ(pool.workers(), 0u);
  EXPECT_FALSE(pool.started());
}

TEST(ThreadPoolTest, NeverMoreThanMaxThreads) {
  ThreadPool pool(0, 3);
  pool.start();
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> concurrent{0};
  std::atomic<int> peak{0};
  for (int i = 0; i < 10; ++i) {
    pool.callInThread([&] {
      int now = ++concurrent;
      int p = peak.load();
      while (now > p && !peak.compare_exchange_weak(p, now)) {
      }
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return release; });
      --concurrent;
    });
  }
  EXPECT_LE(pool.workers(), 3u);
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  pool.stop();
  EXPECT_LE(peak.load(), 3);
}

// Mirrors test_threadpool.py ThreadPoolTests.test_callInThreadException:
// an exception is logged and the pool keeps working.
TEST(ThreadPoolTest, CallInThreadException) {
  log::LogCapture capture;
  ThreadPool pool(0, 1);
  pool.start();
  std::atomic<bool> ran{false};
  pool.callInThread([] { throw std::runtime_error("boom"); });
  pool.callInThread([&] { ran = true; });
  pool.stop();
  EXPECT_TRUE(ran.load());
  EXPECT_EQ(capture.flushErrors().size(), 1u);
}

TEST(ThreadPoolTest, RestartAfterStop) {
  ThreadPool pool(1, 2);
  pool.start();
  EXPECT_EQ(pool.workers(), 1u);
  pool.stop();
  std::atomic<int> ran{0};
  pool.start();
  pool.callInThread([&] { ++ran; });
  pool.stop();
  EXPECT_EQ(ran.load(), 1);
}

TEST(ThreadPoolTest, WorkMayQueueMoreWork) {
  ThreadPool pool(0, 2);
  pool.start();
  std::atomic<int> ran{0};
  pool.callInThread([&] {
    ++ran;
    pool.callInThread([&] { ++ran; });
  });
  pool.stop();
  EXPECT_EQ(ran.load(), 2);
}

}  // namespace
}  // namespace torsion
