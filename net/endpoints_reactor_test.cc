// Endpoints from strings on a real reactor and real loopback sockets:
// the integration half of Twisted's test_endpoints.py (TCP4EndpointsTests /
// UNIXEndpointsTests connect to a listening endpoint), run on the default
// backend. A LineReceiver pair talks through them.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/reactor.h"
#include "gtest/gtest.h"
#include "net/endpoints.h"
#include "net/line_receiver.h"

namespace torsion::net {
namespace {

// Runs `reactor` until stop() or `timeout`; fails the test on timeout.
void runReactor(Reactor& reactor, Seconds timeout) {
  bool timedOut = false;
  DelayedCall guard = reactor.callLater(timeout, [&] {
    timedOut = true;
    reactor.stop();
  });
  reactor.run(/*installSignalHandlers=*/false);
  EXPECT_FALSE(timedOut) << "the reactor was still running after " << timeout.count()
                         << "s";
  if (guard.active()) guard.cancel();
}

class Greeter : public LineReceiver {
 public:
  void connectionMade() override { sendLine("hello"); }
  void lineReceived(std::string_view line) override {
    lines.emplace_back(line);
    transport()->loseConnection();
  }
  std::vector<std::string> lines;
};

class Answerer : public LineReceiver {
 public:
  void lineReceived(std::string_view line) override {
    lines.emplace_back(line);
    sendLine("hello back");
  }
  void connectionLost(const Failure&) override {
    if (onLost) onLost();
  }
  std::vector<std::string> lines;
  std::function<void()> onLost;
};

class ServerFactory : public Factory {
 public:
  std::shared_ptr<Protocol> buildProtocol(const Address&) override {
    server = std::make_shared<Answerer>();
    server->onLost = onLost;
    return server;
  }
  std::shared_ptr<Answerer> server;
  std::function<void()> onLost;
};

// stop() now if running, else as soon as run() starts (a listen error
// arrives before the loop runs).
void stopSoon(Reactor& reactor) {
  if (reactor.running()) {
    reactor.stop();
  } else {
    reactor.callWhenRunning([&reactor] { reactor.stop(); });
  }
}

void exchangeLines(Reactor& reactor, const std::string& serverDescription,
                   const std::function<std::string(const Address&)>& clientDescription) {
  auto factory = std::make_shared<ServerFactory>();
  factory->onLost = [&reactor] { reactor.stop(); };
  auto server = serverFromString(reactor, serverDescription);
  ASSERT_TRUE(server.ok()) << server.status();
  std::shared_ptr<ListeningPort> port;
  std::shared_ptr<Greeter> client;
  std::string error;
  (*server)->listen(factory).addCallbacks(
      [&](std::shared_ptr<ListeningPort> p) {
        port = p;
        auto endpoint = clientFromString(reactor, clientDescription(p->getHost()));
        if (!endpoint.ok()) {
          error = endpoint.status().ToString();
          stopSoon(reactor);
          return;
        }
        auto greeter = std::make_shared<Greeter>();
        connectProtocol(**endpoint, greeter)
            .addCallbacks(
                [&client, greeter](std::shared_ptr<Protocol>) { client = greeter; },
                [&](Failure f) {
                  error = f.getErrorMessage();
                  stopSoon(reactor);
                });
      },
      [&](Failure f) {
        error = f.getErrorMessage();
        stopSoon(reactor);
      });
  runReactor(reactor, Seconds(10));
  EXPECT_EQ(error, "");
  ASSERT_NE(client, nullptr);
  ASSERT_NE(factory->server, nullptr);
  EXPECT_EQ(factory->server->lines, std::vector<std::string>{"hello"});
  EXPECT_EQ(client->lines, std::vector<std::string>{"hello back"});
  bool stopped = false;
  if (port) port->stopListening().addCallback([&] { stopped = true; });
  reactor.iterate();
  EXPECT_TRUE(stopped);
}

// test_endpoints.py TCP4EndpointsTests: listen on "tcp:0:interface=..."
// and connect with "tcp:host=...:port=...".
TEST(ReactorEndpointsTests, TcpServerAndClientFromString) {
  auto reactor = Reactor::create();
  ASSERT_TRUE(reactor.ok()) << reactor.status();
  exchangeLines(**reactor, "tcp:0:interface=127.0.0.1", [](const Address& a) {
    return "tcp:host=127.0.0.1:port=" + std::to_string(a.port) + ":timeout=5";
  });
}

// test_endpoints.py UNIXEndpointsTests: "unix:PATH" both ways.
TEST(ReactorEndpointsTests, UnixServerAndClientFromString) {
  auto reactor = Reactor::create();
  ASSERT_TRUE(reactor.ok()) << reactor.status();
  // TEST_TMPDIR is too long for sun_path (108 bytes); /tmp is short.
  std::string path = "/tmp/torsion-endpoints-" + std::to_string(::getpid()) + ".sock";
  ::unlink(path.c_str());
  exchangeLines(**reactor, "unix:" + quoteStringArgument(path) + ":mode=600",
                [&](const Address&) { return "unix:path=" + quoteStringArgument(path); });
  ::unlink(path.c_str());
}

// A listen error arrives in the Deferred (test_endpointListenFailure on a
// real port): the same port twice.
TEST(ReactorEndpointsTests, ListenFailure) {
  auto reactor = Reactor::create();
  ASSERT_TRUE(reactor.ok()) << reactor.status();
  auto first = serverFromString(**reactor, "tcp:0:interface=127.0.0.1");
  ASSERT_TRUE(first.ok());
  std::shared_ptr<ListeningPort> port;
  (*first)
      ->listen(Factory::forProtocol<Answerer>())
      .addCallback([&](std::shared_ptr<ListeningPort> p) { port = p; });
  ASSERT_NE(port, nullptr);
  auto second = serverFromString(
      **reactor, "tcp:" + std::to_string(port->getHost().port) + ":interface=127.0.0.1");
  ASSERT_TRUE(second.ok());
  std::string error;
  (*second)->listen(Factory::forProtocol<Answerer>()).addErrback([&](Failure f) {
    error = f.getErrorMessage();
    return std::shared_ptr<ListeningPort>();
  });
  EXPECT_NE(error, "");
  bool stopped = false;
  port->stopListening().addCallback([&] { stopped = true; });
  (*reactor)->iterate();
  EXPECT_TRUE(stopped);
}

// Behaviour LR4 on a real TCP transport: after lineReceived called
// loseConnection(), the rest of the chunk is not delivered (the transport
// reports disconnecting()).
TEST(ReactorEndpointsTests, NoLinesAfterLoseConnectionOverTcp) {
  class Quitter : public LineReceiver {
   public:
    void lineReceived(std::string_view line) override {
      lines.emplace_back(line);
      if (line == "quit") transport()->loseConnection();
    }
    void connectionLost(const Failure&) override { onLost(); }
    std::vector<std::string> lines;
    std::function<void()> onLost;
  };
  class Sender : public Protocol {
   public:
    void connectionMade() override { transport()->write("a\r\nquit\r\nb\r\nc\r\n"); }
  };
  auto reactor = Reactor::create();
  ASSERT_TRUE(reactor.ok()) << reactor.status();
  Reactor& r = **reactor;
  auto quitter = std::make_shared<Quitter>();
  quitter->onLost = [&r] { r.stop(); };
  class OneFactory : public Factory {
   public:
    explicit OneFactory(std::shared_ptr<Protocol> p) : p_(std::move(p)) {}
    std::shared_ptr<Protocol> buildProtocol(const Address&) override { return p_; }

   private:
    std::shared_ptr<Protocol> p_;
  };
  auto server = serverFromString(r, "tcp:0:interface=127.0.0.1");
  ASSERT_TRUE(server.ok());
  std::shared_ptr<ListeningPort> port;
  (*server)
      ->listen(std::make_shared<OneFactory>(quitter))
      .addCallback([&](std::shared_ptr<ListeningPort> p) { port = p; });
  ASSERT_NE(port, nullptr);
  auto client =
      clientFromString(r, "tcp:127.0.0.1:" + std::to_string(port->getHost().port));
  ASSERT_TRUE(client.ok());
  std::string error;
  connectProtocol(**client, std::make_shared<Sender>()).addErrback([&](Failure f) {
    error = f.getErrorMessage();
    stopSoon(r);
    return std::shared_ptr<Protocol>();
  });
  runReactor(r, Seconds(10));
  EXPECT_EQ(error, "");
  EXPECT_EQ(quitter->lines, (std::vector<std::string>{"a", "quit"}));
  bool stopped = false;
  port->stopListening().addCallback([&] { stopped = true; });
  r.iterate();
  EXPECT_TRUE(stopped);
}

}  // namespace
}  // namespace torsion::net
