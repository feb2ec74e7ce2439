// A reactor driven from a foreign loop through the embedding calls
// (docs/embedding.md): backendFileno, timeout, iterate and startRunning.
// The same cases run in two binaries, one per loop (tests/host_loop.h):
// //tests:embedding_poll_test (a hand-written poll(2) loop) and
// //tests:embedding_libuv_test (libuv's uv_poll_t and uv_timer_t). Backends
// without a pollable descriptor skip, saying so.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/host_loop.h"
#include "tests/net/net_test_util.h"

namespace torsion::testing {
namespace {

using namespace std::chrono_literals;

class EmbeddingTest : public NetTest {
 protected:
  void SetUp() override {
    NetTest::SetUp();
    if (HasFatalFailure()) return;
    absl::StatusOr<std::unique_ptr<HostLoop>> host = makeHostLoop(reactor());
    if (!host.ok()) GTEST_SKIP() << "no pollable descriptor: " << host.status();
    host_ = *std::move(host);
  }

  void TearDown() override {
    host_.reset();
    NetTest::TearDown();
  }

  HostLoop& host() { return *host_; }

 private:
  std::unique_ptr<HostLoop> host_;
};

// The foreign loop sleeps until each timer is due (timeout()), so three
// timers take a handful of steps; a loop that spun would take thousands.
TEST_P(EmbeddingTest, TimersRunInOrderWithoutBusyWaiting) {
  std::vector<int> order;
  const double start = reactor().seconds();
  std::vector<double> lateness;
  for (double delay : {0.03, 0.01, 0.06}) {
    reactor().callLater(Seconds(delay), [&, delay] {
      order.push_back(static_cast<int>(delay * 100));
      lateness.push_back(reactor().seconds() - start - delay);
    });
  }
  ASSERT_TRUE(host().runUntil([&] { return order.size() == 3; })) << host().name();
  EXPECT_EQ(order, (std::vector<int>{1, 3, 6}));
  for (double late : lateness) EXPECT_GE(late, 0.0) << "a timer fired early";
  EXPECT_LE(host().steps(), 20) << host().name() << " spun instead of waiting";
}

// With no timer pending the foreign loop waits on the descriptor alone:
// callFromThread must make it readable.
TEST_P(EmbeddingTest, CallFromThreadWakesTheForeignLoop) {
  std::atomic<bool> ran{false};
  std::thread worker([&] {
    std::this_thread::sleep_for(50ms);
    reactor().callFromThread([&] { ran = reactor().isInIOThread(); });
  });
  const bool woke = host().runUntil([&] { return ran.load(); }, Seconds(5));
  worker.join();
  EXPECT_TRUE(woke) << host().name() << " was not woken by callFromThread";
  EXPECT_LE(host().steps(), 3);
}

// Work that a step schedules for the next pass must not wait for an
// unrelated timer an hour away: timeout() is zero meanwhile.
TEST_P(EmbeddingTest, CallSoonChainsRunWithoutWaitingForTheNextTimer) {
  DelayedCall far = reactor().callLater(3600s, [] {});
  int depth = 0;
  std::function<void()> next = [&] {
    if (++depth < 5) reactor().callSoon([&] { next(); });
  };
  reactor().callLater(0s, [&] { next(); });
  EXPECT_TRUE(host().runUntil([&] { return depth == 5; }, Seconds(2))) << host().name();
  far.cancel();
}

// TCP through torsion with the foreign loop in charge: 1 MiB each way, so
// writers (not only readers) must show through the descriptor.
TEST_P(EmbeddingTest, TcpEchoThroughTorsion) {
  auto serverFactory = std::make_shared<TestFactory>();  // echoes
  auto server = listen(serverFactory);
  ASSERT_TRUE(server);
  const std::string payload(1 << 20, 'e');
  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [&](RecordingProtocol& p) { p.transport()->write(payload); };
  client->onData = [&](RecordingProtocol& p, std::string_view) {
    if (p.received.size() == payload.size()) p.transport()->loseConnection();
  };
  auto connector = connect(server, factoryFor(client));
  ASSERT_TRUE(host().runUntil([&] {
    auto echo = serverFactory->protocol();
    return client->lost && echo && echo->lost;
  })) << host().name();
  EXPECT_EQ(client->received.size(), payload.size());
  EXPECT_EQ(client->received, payload);
}

// Twisted's startRunning under a foreign loop: startup triggers, the
// thread pool, and a stop() whose shutdown runs in a later step.
TEST_P(EmbeddingTest, StartRunningAndStopUnderTheForeignLoop) {
  bool shutdownRan = false;
  reactor().addSystemEventTrigger(Phase::kDuring, "shutdown",
                                  [&] { shutdownRan = true; });
  reactor().startRunning();
  ASSERT_TRUE(reactor().running());
  reactor().callInThread([&] { reactor().callFromThread([&] { reactor().stop(); }); });
  ASSERT_TRUE(host().runUntil([&] { return !reactor().running(); })) << host().name();
  EXPECT_TRUE(shutdownRan);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, EmbeddingTest,
                         ::testing::ValuesIn(availableBackends()), BackendName());

}  // namespace
}  // namespace torsion::testing
