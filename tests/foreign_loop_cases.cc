#include "tests/foreign_loop_cases.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "net/tcp.h"
#include "tests/net/net_test_util.h"

namespace torsion::testing {

using namespace std::chrono_literals;

void callLaterBesideToolkitTimer(Reactor& reactor, const ForeignLoopRun& runLoop,
                                 const ForeignLoopQuit& quit,
                                 const std::function<int()>& toolkitTicks) {
  std::vector<int> order;
  const double start = reactor.seconds();
  double fired = 0;
  std::function<void()> quitOnceToolkitTicked = [&] {
    if (toolkitTicks() >= 3) {
      quit();
    } else {
      reactor.callLater(0.005s, quitOnceToolkitTicked);
    }
  };
  reactor.callLater(0.06s, [&] {
    order.push_back(2);
    fired = reactor.seconds() - start;
    quitOnceToolkitTicked();
  });
  reactor.callLater(0.02s, [&] { order.push_back(1); });
  ASSERT_TRUE(runLoop()) << "the toolkit's own timer ticked " << toolkitTicks()
                         << " time(s) beside torsion; 3 were awaited";
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_GE(fired, 0.06);
  EXPECT_GE(toolkitTicks(), 3);
}

void tcpEchoInsideForeignLoop(Reactor& reactor, const ForeignLoopRun& runLoop,
                              const ForeignLoopQuit& quit, char fill) {
  auto serverFactory = std::make_shared<TestFactory>();  // echoes
  auto port = net::listenTCP(reactor, 0, serverFactory, {.interface = "127.0.0.1"});
  ASSERT_TRUE(port.ok()) << port.status();
  const std::string payload(256 * 1024, fill);
  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [&](RecordingProtocol& p) { p.transport()->write(payload); };
  client->onData = [&](RecordingProtocol& p, std::string_view) {
    if (p.received.size() == payload.size()) p.transport()->loseConnection();
  };
  client->onLost = [&](RecordingProtocol&, const Failure&) { quit(); };
  auto connector =
      net::connectTCP(reactor, "127.0.0.1", (*port)->getHost().port, factoryFor(client));
  ASSERT_TRUE(runLoop());
  EXPECT_EQ(client->received, payload);

  bool stopped = false;
  (*port)->stopListening().addCallback([&] {
    stopped = true;
    quit();
  });
  if (!stopped) {
    ASSERT_TRUE(runLoop());
  }
  auto echo = serverFactory->protocol();
  ASSERT_TRUE(echo);
  if (!echo->lost) {
    echo->onLost = [&](RecordingProtocol&, const Failure&) { quit(); };
    ASSERT_TRUE(runLoop());
  }
}

void callFromThreadWakesForeignLoop(Reactor& reactor, const ForeignLoopRun& runLoop,
                                    const ForeignLoopQuit& quit) {
  std::atomic<bool> onLoopThread{false};
  std::thread worker([&] {
    std::this_thread::sleep_for(30ms);
    reactor.callFromThread([&] {
      onLoopThread = reactor.isInIOThread();
      quit();
    });
  });
  const bool quitInTime = runLoop();
  worker.join();
  EXPECT_TRUE(quitInTime) << "callFromThread did not wake the toolkit's loop";
  EXPECT_TRUE(onLoopThread);
}

void stopInsideForeignLoop(Reactor& reactor, const ForeignLoopRun& runLoop,
                           const ForeignLoopQuit& quit) {
  reactor.addSystemEventTrigger(Phase::kAfter, "shutdown", [&] { quit(); });
  reactor.startRunning();
  std::atomic<bool> ranInThread{false};
  reactor.callInThread([&] {
    ranInThread = true;
    reactor.callFromThread([&] { reactor.stop(); });
  });
  ASSERT_TRUE(runLoop());
  EXPECT_TRUE(ranInThread);
  EXPECT_FALSE(reactor.running());
}

}  // namespace torsion::testing
