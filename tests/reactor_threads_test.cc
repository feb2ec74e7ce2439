// Threads and wake-ups on every backend (AllBackends/ReactorThreadsTest.*).
// Ported from Twisted's src/twisted/internet/test/test_threads.py
// (ThreadTestsBuilder), src/twisted/test/test_threads.py
// (ReactorThreadsTests, StartupBehaviorTests) and src/twisted/test/
// test_internet.py (CallFromThreadTests, CallFromThreadStopsAndWakeUpTests).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/reactor.h"
#include "core/threads.h"
#include "gtest/gtest.h"
#include "tests/reactor_suites.h"
#include "tests/reactor_test_base.h"

namespace torsion::testing {
namespace {

using namespace std::chrono_literals;

// Mirrors test_threads.py ThreadTestsBuilder.test_callFromThread: a call
// from another thread runs on the reactor thread.
TEST_P(ReactorThreadsTest, CallFromThread) {
  std::thread::id ranOn;
  std::thread worker;
  reactor().callWhenRunning([&] {
    worker = std::thread([&] {
      reactor().callFromThread([&] {
        ranOn = std::this_thread::get_id();
        reactor().stop();
      });
    });
  });
  runReactor();
  worker.join();
  EXPECT_EQ(ranOn, std::this_thread::get_id());
}

// Mirrors test_internet.py CallFromThreadTests.test_threadsAreRunInScheduledOrder.
TEST_P(ReactorThreadsTest, ThreadsAreRunInScheduledOrder) {
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) {
    reactor().callFromThread([&, i] { order.push_back(i); });
  }
  reactor().callFromThread([&] { reactor().stop(); });
  runReactor();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

// Mirrors test_internet.py CallFromThreadTests
// .test_scheduledThreadsNotRunUntilReactorRuns.
TEST_P(ReactorThreadsTest, ScheduledThreadsNotRunUntilReactorRuns) {
  bool ran = false;
  reactor().callFromThread([&] { ran = true; });
  std::this_thread::sleep_for(5ms);
  EXPECT_FALSE(ran);
  reactor().callWhenRunning([&] { reactor().stop(); });
  runReactor();
  EXPECT_TRUE(ran);
}

// Mirrors test_internet.py CallFromThreadTests
// .test_lotsOfThreadsAreScheduledCorrectly, from several threads at once:
// every call runs once, and each thread's calls keep their order.
TEST_P(ReactorThreadsTest, LotsOfThreadsAreScheduledCorrectly) {
  constexpr int kThreads = 8;
  constexpr int kCallsEach = 500;
  std::vector<std::vector<int>> seen(kThreads);
  int total = 0;
  std::vector<std::thread> threads;
  reactor().callWhenRunning([&] {
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kCallsEach; ++i) {
          reactor().callFromThread([&, t, i] {
            seen[t].push_back(i);
            if (++total == kThreads * kCallsEach) reactor().stop();
          });
        }
      });
    }
  });
  runReactor();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(total, kThreads * kCallsEach);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<std::size_t>(kCallsEach));
    for (int i = 0; i < kCallsEach; ++i) EXPECT_EQ(seen[t][i], i);
  }
}

// Mirrors test_threads.py ReactorThreadsTests.test_wakerOverflow: 100,000
// calls queued from another thread cannot overflow the waker.
TEST_P(ReactorThreadsTest, WakerOverflow) {
  constexpr int kCalls = 100'000;
  int ran = 0;
  std::thread worker;
  reactor().callWhenRunning([&] {
    worker = std::thread([&] {
      for (int i = 0; i < kCalls; ++i) {
        reactor().callFromThread([&] {
          if (++ran == kCalls) reactor().stop();
        });
      }
    });
  });
  runReactor(30s);
  worker.join();
  EXPECT_EQ(ran, kCalls);
}

// Mirrors test_internet.py CallFromThreadStopsAndWakeUpTests.testWakeUp:
// a poll blocked with nothing to do (no timers) wakes for a thread call.
TEST_P(ReactorThreadsTest, WakeUp) {
  std::atomic<bool> ran{false};
  std::thread worker([&] {
    std::this_thread::sleep_for(50ms);  // let the reactor block first
    reactor().callFromThread([&] { ran = true; });
  });
  // Nothing is scheduled: this poll blocks until woken (or its 30 s cap).
  auto start = std::chrono::steady_clock::now();
  reactor().iterate(30s);
  auto blocked = std::chrono::steady_clock::now() - start;
  worker.join();
  EXPECT_LT(blocked, 25s) << "the thread call did not wake the poll";
  reactor().iterate(0s);  // runs the thread call
  EXPECT_TRUE(ran);
}

// Mirrors test_internet.py CallFromThreadStopsAndWakeUpTests
// .testCallFromThreadStops and Twisted T2: a thread call queued by a thread
// call runs in a later pass, after that pass's due timers.
TEST_P(ReactorThreadsTest, CallFromThreadStops) {
  std::vector<std::string> order;
  reactor().callFromThread([&] {
    order.push_back("t1");
    reactor().callFromThread([&] { order.push_back("t1-nested"); });
  });
  reactor().callFromThread([&] { order.push_back("t2"); });
  reactor().callLater(0s, [&] { order.push_back("timed0"); });
  reactor().iterate();
  EXPECT_EQ(order, (std::vector<std::string>{"t1", "t2", "timed0"}));
  reactor().iterate();
  EXPECT_EQ(order, (std::vector<std::string>{"t1", "t2", "timed0", "t1-nested"}));
}

// Twisted DC12: a callLater(0) made by a thread call is due in the same pass.
TEST_P(ReactorThreadsTest, TimedCallFromThreadCallRunsInSamePass) {
  std::vector<std::string> order;
  reactor().callFromThread([&] {
    order.push_back("thread");
    reactor().callLater(0s, [&] { order.push_back("timed"); });
  });
  reactor().iterate();
  EXPECT_EQ(order, (std::vector<std::string>{"thread", "timed"}));
}

// Mirrors test_threads.py ThreadTestsBuilder.test_delayedCallFromThread:
// callFromThread from the reactor thread must not wait for the next timer.
TEST_P(ReactorThreadsTest, DelayedCallFromThread) {
  bool ran = false;
  DelayedCall far = reactor().callLater(30s, [] {});
  reactor().callLater(0s, [&] {
    reactor().callFromThread([&] {
      ran = true;
      reactor().stop();
    });
  });
  runReactor(20s);
  EXPECT_TRUE(ran);
  far.cancel();
}

// Mirrors test_threads.py ThreadTestsBuilder.test_isInIOThread and
// test_isNotInIOThread.
TEST_P(ReactorThreadsTest, IsInIOThread) {
  bool inReactor = false;
  std::atomic<bool> inPool{true};
  reactor().callWhenRunning([&] {
    inReactor = reactor().isInIOThread();
    reactor().callInThread([&] {
      inPool = reactor().isInIOThread();
      reactor().callFromThread([&] { reactor().stop(); });
    });
  });
  runReactor();
  EXPECT_TRUE(inReactor);
  EXPECT_FALSE(inPool);
}

// Mirrors test_threads.py ReactorThreadsTests.test_callInThread: the work
// runs on a pool thread and can report back with callFromThread.
TEST_P(ReactorThreadsTest, CallInThread) {
  std::atomic<int> ran{0};
  std::thread::id poolThread;
  reactor().callWhenRunning([&] {
    for (int i = 0; i < 20; ++i) {
      reactor().callInThread([&] {
        if (++ran == 20) {
          reactor().callFromThread([&] { reactor().stop(); });
        }
      });
    }
  });
  runReactor();
  EXPECT_EQ(ran.load(), 20);
  (void)poolThread;
}

// Mirrors test_threads.py StartupBehaviorTests.testCallBeforeStartupUnexecuted
// and Twisted T4: work queued before run() waits for startup; the pool is
// joined during shutdown.
TEST_P(ReactorThreadsTest, CallBeforeStartupUnexecuted) {
  std::atomic<bool> ran{false};
  reactor().callInThread([&] { ran = true; });
  EXPECT_TRUE(reactor().hasThreadPool());
  reactor().iterate(Seconds(0.02));
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(ran.load());
  bool poolStartedWhenRunning = false;
  reactor().callWhenRunning([&] {
    poolStartedWhenRunning = reactor().getThreadPool().started();
    reactor().stop();
  });
  runReactor();
  EXPECT_TRUE(ran.load());  // stop() lets queued work finish, then joins
  EXPECT_TRUE(poolStartedWhenRunning);
  EXPECT_FALSE(reactor().hasThreadPool());
}

// Mirrors test_threads.py ThreadTestsBuilder.test_suggestThreadPoolSize.
TEST_P(ReactorThreadsTest, SuggestThreadPoolSize) {
  reactor().suggestThreadPoolSize(17);
  EXPECT_EQ(reactor().getThreadPool().maxThreads(), 17u);
  reactor().suggestThreadPoolSize(3);
  EXPECT_EQ(reactor().getThreadPool().maxThreads(), 3u);
  EXPECT_THROW(reactor().suggestThreadPoolSize(0), std::invalid_argument);
  reactor().callWhenRunning([&] { reactor().stop(); });
  runReactor();  // shutdown joins and drops the pool
}

// Mirrors test_threads.py DeferredResultTests.test_deferredResult:
// deferToThread fires on the reactor thread with f's value.
TEST_P(ReactorThreadsTest, DeferredResult) {
  std::optional<int> result;
  std::thread::id firedOn;
  reactor().callWhenRunning([&] {
    deferToThread(reactor(), [] { return 6 * 7; }).addCallback([&](int v) {
      result = v;
      firedOn = std::this_thread::get_id();
      reactor().stop();
    });
  });
  runReactor();
  EXPECT_EQ(result, 42);
  EXPECT_EQ(firedOn, std::this_thread::get_id());
}

// Mirrors test_threads.py DeferredResultTests.test_deferredFailure and
// test_deferredFailureAfterSuccess: what f throws becomes the Failure.
TEST_P(ReactorThreadsTest, DeferredFailure) {
  std::vector<std::string> results;
  reactor().callWhenRunning([&] {
    deferToThread(reactor(), [] {}).addCallback([&] { results.push_back("success"); });
    deferToThread(reactor(), []() -> int { throw std::runtime_error("thread boom"); })
        .addCallbacks([&](int) { results.push_back("unexpected value"); },
                      [&](const Failure& f) {
                        results.push_back(f.getErrorMessage());
                        reactor().callLater(0.01s, [&] { reactor().stop(); });
                      });
  });
  runReactor();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_NE(std::find(results.begin(), results.end(), "success"), results.end());
  EXPECT_NE(std::find(results.begin(), results.end(), "thread boom"), results.end());
}

// Twisted T3: an exception from a thread call is logged; the queue goes on.
TEST_P(ReactorThreadsTest, ThreadCallExceptionIsLogged) {
  bool ran = false;
  reactor().callFromThread([] { throw std::runtime_error("boom"); });
  reactor().callFromThread([&] { ran = true; });
  reactor().iterate();
  EXPECT_TRUE(ran);
  EXPECT_EQ(log().flushErrors().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ReactorThreadsTest,
                         ::testing::ValuesIn(availableBackends()), BackendName());

}  // namespace
}  // namespace torsion::testing
