// The calls a foreign loop drives the reactor with, on every backend
// (AllBackends/ReactorEmbeddingTest.*): startRunning (Twisted's
// ReactorBase.startRunning), timeout (ReactorBase.timeout) and iterate, as
// docs/embedding.md describes them. The host loops themselves (poll(2),
// libuv) are tested in tests/embedding_test.cc.
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/errors.h"
#include "core/reactor.h"
#include "gtest/gtest.h"
#include "tests/reactor_suites.h"
#include "tests/reactor_test_base.h"

namespace torsion::testing {
namespace {

using namespace std::chrono_literals;

// Mirrors Twisted's ReactorBase.timeout(): None when nothing is scheduled.
TEST_P(ReactorEmbeddingTest, TimeoutIsNoneWithNothingPending) {
  EXPECT_EQ(reactor().timeout(), std::nullopt);
}

TEST_P(ReactorEmbeddingTest, TimeoutLastsUntilTheEarliestTimer) {
  DelayedCall late = reactor().callLater(5s, [] {});
  DelayedCall early = reactor().callLater(2s, [] {});
  std::optional<Seconds> t = reactor().timeout();
  ASSERT_TRUE(t.has_value());
  EXPECT_GT(t->count(), 1.5);
  EXPECT_LE(t->count(), 2.0);
  early.cancel();
  t = reactor().timeout();
  ASSERT_TRUE(t.has_value());
  EXPECT_GT(t->count(), 4.5);
  late.cancel();
  EXPECT_EQ(reactor().timeout(), std::nullopt);
}

TEST_P(ReactorEmbeddingTest, TimeoutIsZeroForADueTimer) {
  bool ran = false;
  reactor().callLater(0s, [&] { ran = true; });
  EXPECT_EQ(reactor().timeout(), Seconds(0));
  reactor().iterate();
  EXPECT_TRUE(ran);
  EXPECT_EQ(reactor().timeout(), std::nullopt);
}

// Work scheduled during a pass waits for the next one: the foreign loop
// must come back at once, not wait for the next timer.
TEST_P(ReactorEmbeddingTest, TimeoutIsZeroWhileCallSoonWorkWaits) {
  DelayedCall far = reactor().callLater(60s, [] {});
  int ran = 0;
  reactor().callSoon([&] {
    ++ran;
    reactor().callSoon([&] { ++ran; });
  });
  EXPECT_EQ(reactor().timeout(), Seconds(0));
  reactor().iterate();
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(reactor().timeout(), Seconds(0));
  reactor().iterate();
  EXPECT_EQ(ran, 2);
  EXPECT_GT(reactor().timeout().value_or(Seconds(0)).count(), 50.0);
  far.cancel();
}

TEST_P(ReactorEmbeddingTest, TimeoutIsZeroWhileThreadCallsWait) {
  bool ran = false;
  std::thread([&] { reactor().callFromThread([&] { ran = true; }); }).join();
  EXPECT_EQ(reactor().timeout(), Seconds(0));
  reactor().iterate();
  EXPECT_TRUE(ran);
  EXPECT_EQ(reactor().timeout(), std::nullopt);
}

// Twisted's startRunning, as its GUI reactors use it: startup fires at
// once, then iterate() drives the loop and stop() ends it.
TEST_P(ReactorEmbeddingTest, StartRunningThenIterateUntilStopped) {
  std::vector<std::string> seen;
  reactor().addSystemEventTrigger(Phase::kBefore, "startup",
                                  [&] { seen.push_back("before startup"); });
  reactor().addSystemEventTrigger(Phase::kAfter, "startup",
                                  [&] { seen.push_back("after startup"); });
  reactor().addSystemEventTrigger(Phase::kDuring, "shutdown", [&] {
    seen.push_back(reactor().running() ? "shutdown, running" : "shutdown");
  });
  reactor().callWhenRunning([&] { seen.push_back("running"); });
  EXPECT_FALSE(reactor().running());
  reactor().startRunning();
  EXPECT_TRUE(reactor().running());
  EXPECT_EQ(seen,
            (std::vector<std::string>{"before startup", "after startup", "running"}));

  reactor().callLater(0s, [&] { reactor().stop(); });
  ASSERT_TRUE(iterateUntil([&] { return !reactor().running(); }));
  EXPECT_EQ(seen.back(), "shutdown");
  EXPECT_THROW(reactor().stop(), ReactorNotRunning);

  // Restartable, like run(): a second startRunning starts a new run.
  reactor().startRunning();
  EXPECT_TRUE(reactor().running());
  reactor().stop();
  EXPECT_EQ(reactor().timeout(), Seconds(0));  // the shutdown is due
  reactor().iterate();
  EXPECT_FALSE(reactor().running());
}

TEST_P(ReactorEmbeddingTest, StartRunningTwiceOrFromTheLoopThrows) {
  reactor().startRunning();
  EXPECT_THROW(reactor().startRunning(), ReactorAlreadyRunning);
  EXPECT_THROW(reactor().run(false), ReactorAlreadyRunning);
  reactor().stop();
  reactor().iterate();
  ASSERT_FALSE(reactor().running());

  bool threw = false;
  reactor().callSoon([&] {
    try {
      reactor().startRunning();
    } catch (const ReactorAlreadyRunning&) {
      threw = true;
    }
  });
  reactor().iterate();
  EXPECT_TRUE(threw);
  EXPECT_FALSE(reactor().running());
}

// The thread pool starts with startRunning and is joined by the shutdown
// that a later iterate() runs, as with run().
TEST_P(ReactorEmbeddingTest, CallInThreadWorksAfterStartRunning) {
  reactor().startRunning();
  std::atomic<bool> onReactorThread{false};
  reactor().callInThread([&] {
    reactor().callFromThread([&] {
      onReactorThread = reactor().isInIOThread();
      reactor().stop();
    });
  });
  ASSERT_TRUE(iterateUntil([&] { return !reactor().running(); }));
  EXPECT_TRUE(onReactorThread);
  EXPECT_FALSE(reactor().hasThreadPool());
}

// A backend without a pollable descriptor says which it is, so that an
// embedding program can report it; one with a descriptor gives a valid one.
TEST_P(ReactorEmbeddingTest, BackendFilenoOrAnErrorNamingTheBackend) {
  absl::StatusOr<int> fd = reactor().backendFileno();
  if (fd.ok()) {
    EXPECT_GE(*fd, 0);
    return;
  }
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(std::string(fd.status().message()).find(std::string(reactor().backendName())),
            std::string::npos)
      << fd.status();
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ReactorEmbeddingTest,
                         ::testing::ValuesIn(availableBackends()), BackendName());

}  // namespace
}  // namespace torsion::testing
