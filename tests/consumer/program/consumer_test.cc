// A program in another Bazel workspace that depends on @torsion//:torsion
// only. Each case uses one part of the public surface the way an embedding
// program would: the reactor on its default backend, callLater, a Deferred
// chain, a coroutine, and a TCP echo over loopback.
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/reactor.h"
#include "deferred/deferred.h"
#include "deferred/gather.h"
#include "gtest/gtest.h"
#include "net/protocol.h"
#include "net/tcp.h"
#include "task/defer_later.h"

namespace {

using namespace std::chrono_literals;

std::unique_ptr<torsion::Reactor> newReactor() {
  auto reactor = torsion::Reactor::create();
  EXPECT_TRUE(reactor.ok()) << reactor.status();
  return reactor.ok() ? std::move(*reactor) : nullptr;
}

// Without a backend linked in, create() fails; @torsion//:torsion must bring
// this platform's default backends.
TEST(Consumer, ReactorRunsOnTheDefaultBackend) {
  auto reactor = newReactor();
  ASSERT_NE(reactor, nullptr);
  const std::string name(reactor->backendName());
  EXPECT_TRUE(name == "epoll" || name == "poll" || name == "select" || name == "kqueue" ||
              name == "iocp")
      << name;
  bool ran = false;
  reactor->callWhenRunning([&] {
    ran = true;
    reactor->stop();
  });
  reactor->run();
  EXPECT_TRUE(ran);
}

TEST(Consumer, CallLaterRunsInDeadlineOrder) {
  auto reactor = newReactor();
  ASSERT_NE(reactor, nullptr);
  std::vector<std::string> order;
  reactor->callLater(20ms, [&] {
    order.push_back("second");
    reactor->stop();
  });
  reactor->callLater(5ms, [&] { order.push_back("first"); });
  reactor->run();
  EXPECT_EQ(order, (std::vector<std::string>{"first", "second"}));
}

TEST(Consumer, DeferredChainRecoversFromAnError) {
  torsion::Deferred<int> d;
  std::string seen;
  d.addCallback([](int n) -> int {
     if (n < 0) throw std::invalid_argument("negative");
     return n * 2;
   })
      .addErrback([](torsion::Failure f) -> int {
        f.trap<std::invalid_argument>();
        return 0;
      })
      .addCallback([&](int n) { seen = "result " + std::to_string(n); });
  d.callback(-1);
  EXPECT_EQ(seen, "result 0");
}

// inlineCallbacks' replacement: co_await Deferreds that the reactor fires.
torsion::Deferred<int> addLater(torsion::Reactor& reactor, int a, int b) {
  int x = co_await torsion::task::deferLater(reactor, torsion::Seconds(0.005),
                                             [a] { return a; });
  int y = co_await torsion::task::deferLater(reactor, torsion::Seconds(0.001),
                                             [b] { return b; });
  co_return x + y;
}

TEST(Consumer, CoroutineAwaitsTimedDeferreds) {
  auto reactor = newReactor();
  ASSERT_NE(reactor, nullptr);
  int sum = 0;
  std::vector<torsion::Deferred<int>> sums;
  sums.push_back(addLater(*reactor, 1, 2));
  sums.push_back(addLater(*reactor, 30, 40));
  torsion::gatherResults(std::move(sums)).addCallback([&](std::vector<int> sums) {
    for (int s : sums) sum += s;
    reactor->stop();
  });
  reactor->run();
  EXPECT_EQ(sum, 73);
}

class Echo : public torsion::net::Protocol {
 public:
  void dataReceived(std::string_view data) override { transport()->write(data); }
};

class EchoFactory : public torsion::net::ServerFactory {
 public:
  std::shared_ptr<torsion::net::Protocol> buildProtocol(
      const torsion::net::Address&) override {
    return std::make_shared<Echo>();
  }
};

// Sends one message, waits for all of it to come back, hangs up.
class Client : public torsion::net::Protocol {
 public:
  Client(std::string message, std::string& echoed)
      : message_(std::move(message)), echoed_(echoed) {}
  void connectionMade() override { transport()->write(message_); }
  void dataReceived(std::string_view data) override {
    echoed_.append(data);
    if (echoed_.size() >= message_.size()) transport()->loseConnection();
  }

 private:
  std::string message_;
  std::string& echoed_;
};

class ClientFactory : public torsion::net::ClientFactory {
 public:
  ClientFactory(torsion::Reactor& reactor, std::string message)
      : reactor_(reactor), message_(std::move(message)) {}
  std::shared_ptr<torsion::net::Protocol> buildProtocol(
      const torsion::net::Address&) override {
    return std::make_shared<Client>(message_, echoed);
  }
  void clientConnectionFailed(torsion::net::Connector*,
                              const torsion::Failure& why) override {
    error = why.getErrorMessage();
    reactor_.stop();
  }
  void clientConnectionLost(torsion::net::Connector*, const torsion::Failure&) override {
    reactor_.stop();
  }
  std::string echoed;
  std::string error;

 private:
  torsion::Reactor& reactor_;
  std::string message_;
};

TEST(Consumer, TcpEchoOverLoopback) {
  auto reactor = newReactor();
  ASSERT_NE(reactor, nullptr);
  auto port = torsion::net::listenTCP(*reactor, 0, std::make_shared<EchoFactory>(),
                                      {.interface = "127.0.0.1"});
  ASSERT_TRUE(port.ok()) << port.status();
  const std::uint16_t chosen = (*port)->getHost().port;
  const std::string message(64 * 1024, 'x');  // more than one read's worth
  auto client = std::make_shared<ClientFactory>(*reactor, message);
  torsion::net::connectTCP(*reactor, "127.0.0.1", chosen, client,
                           {.timeout = torsion::Seconds(10)});
  // A bound on the test, not a measurement: a hung echo fails, never blocks.
  auto guard = reactor->callLater(30s, [&] {
    client->error = "no echo within 30 s";
    reactor->stop();
  });
  reactor->run();
  if (guard.active()) guard.cancel();
  EXPECT_EQ(client->error, "");
  EXPECT_EQ(client->echoed.size(), message.size());
  EXPECT_EQ(client->echoed, message);
  (*port)->stopListening();
}

}  // namespace
