// HostnameEndpoint and the threaded resolver on real loopback sockets, run
// on every backend (AllBackends/HostnameTest.<Case>/<backend>). The race's
// order, spacing, cancellation and deadline are checked without sockets
// in net/hostname_endpoint_test.cc; here the same code meets the reactor:
// real connects, real refusals, getaddrinfo on the thread pool.
#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "gtest/gtest.h"
#include "net/endpoints.h"
#include "net/errors.h"
#include "net/hostname_endpoint.h"
#include "net/hostname_resolver.h"
#include "tests/net/net_test_util.h"

namespace torsion::testing {
namespace {

using net::Address;
using net::AddressFamily;

// Answers every name with the addresses it was given, at once.
class FixedResolver : public net::HostnameResolver {
 public:
  explicit FixedResolver(std::vector<Address> addresses)
      : addresses_(std::move(addresses)) {}
  Deferred<std::vector<Address>> resolveHostName(std::string_view, std::uint16_t,
                                                 AddressFamily) override {
    return succeed(addresses_);
  }

 private:
  std::vector<Address> addresses_;
};

// A TestFactory whose protocols call onBuilt (set by connectThenClose).
struct ServerFactory : TestFactory {
  ServerFactory()
      : TestFactory([this] {
          auto p = std::make_shared<RecordingProtocol>();
          if (onBuilt) onBuilt(*p);
          return p;
        }) {}
  std::function<void(RecordingProtocol&)> onBuilt;
};

class HostnameTest : public NetTest {
 protected:
  // What a connect through an endpoint came to.
  struct Result {
    std::shared_ptr<RecordingProtocol> client;  // set once connected
    std::optional<Failure> failure;
  };

  // Connects through `endpoint` with the reactor running; a connection is
  // closed at once, and the reactor stops once both of its ends are lost
  // (or the connect failed), so nothing is left registered.
  Result connectThenClose(net::StreamClientEndpoint& endpoint,
                          const std::shared_ptr<ServerFactory>& server) {
    Result result;
    int lost = 0;
    auto lostOne = [&] {
      if (++lost == 2) reactor().stop();
    };
    server->onBuilt = [&](RecordingProtocol& p) {
      p.onLost = [&](RecordingProtocol&, const Failure&) { lostOne(); };
    };
    auto client = std::make_shared<RecordingProtocol>();
    client->onMade = [](RecordingProtocol& p) { p.transport()->loseConnection(); };
    client->onLost = [&](RecordingProtocol&, const Failure&) { lostOne(); };
    reactor().callWhenRunning([&] {
      (void)net::connectProtocol(endpoint, client)
          .addCallbacks([&](std::shared_ptr<net::Protocol>) { result.client = client; },
                        [&](Failure f) {
                          result.failure = f;
                          reactor().stop();
                        });
    });
    runReactor();
    return result;
  }
};

bool haveIPv6Loopback() { return unusedLoopbackPort(AF_INET6) != 0; }

// A literal IPv4 host: no resolver, one attempt, connected.
TEST_P(HostnameTest, ConnectsToIPv4Loopback) {
  auto server = std::make_shared<ServerFactory>();
  auto port = listen(server);
  net::HostnameEndpoint endpoint(reactor(), "127.0.0.1", portOf(port), Seconds(5));
  Result r = connectThenClose(endpoint, server);
  ASSERT_FALSE(r.failure) << r.failure->getErrorMessage();
  ASSERT_TRUE(r.client);
  EXPECT_EQ(r.client->peer, Address::ipv4("TCP", "127.0.0.1", portOf(port)));
}

TEST_P(HostnameTest, ConnectsToIPv6Loopback) {
  if (!haveIPv6Loopback()) GTEST_SKIP() << "this machine has no IPv6 loopback (::1)";
  auto server = std::make_shared<ServerFactory>();
  auto port = listen(server, "::1");
  net::HostnameEndpoint endpoint(reactor(), "::1", portOf(port), Seconds(5));
  Result r = connectThenClose(endpoint, server);
  ASSERT_FALSE(r.failure) << r.failure->getErrorMessage();
  ASSERT_TRUE(r.client);
  EXPECT_EQ(r.client->peer.kind, Address::Kind::kIPv6);
  EXPECT_EQ(r.client->peer.host, "::1");
}

// The IPv6 address is tried first and refused (or unreachable when there
// is no IPv6); the IPv4 one starts at once and wins.
TEST_P(HostnameTest, RefusedIPv6FallsBackToIPv4) {
  auto server = std::make_shared<ServerFactory>();
  auto port = listen(server);
  std::uint16_t closed = unusedLoopbackPort(AF_INET6);
  auto resolver = std::make_shared<FixedResolver>(
      std::vector<Address>{Address::ipv4("TCP", "127.0.0.1", portOf(port)),
                           Address::ipv6("TCP", "::1", closed ? closed : 9)});
  net::HostnameEndpoint endpoint(reactor(), "dual.test", portOf(port), Seconds(5),
                                 std::nullopt, resolver);
  Result r = connectThenClose(endpoint, server);
  ASSERT_FALSE(r.failure) << r.failure->getErrorMessage();
  ASSERT_TRUE(r.client);
  EXPECT_EQ(r.client->peer.host, "127.0.0.1");
}

// Nobody listens anywhere: the failure names each address's refusal.
TEST_P(HostnameTest, AllRefused) {
  const std::uint16_t closed4 = unusedLoopbackPort(AF_INET);
  const std::uint16_t closed6 = unusedLoopbackPort(AF_INET6);
  std::vector<Address> addresses{Address::ipv4("TCP", "127.0.0.1", closed4)};
  if (closed6) addresses.push_back(Address::ipv6("TCP", "::1", closed6));
  auto resolver = std::make_shared<FixedResolver>(addresses);
  net::HostnameEndpoint endpoint(reactor(), "nobody.test", closed4, Seconds(5),
                                 std::nullopt, resolver);
  auto server = std::make_shared<ServerFactory>();
  Result r = connectThenClose(endpoint, server);
  ASSERT_TRUE(r.failure);
  ASSERT_TRUE(r.failure->check<net::HostnameConnectError>())
      << r.failure->getErrorMessage();
  const auto& failures = r.failure->value<net::HostnameConnectError>()->failures();
  ASSERT_EQ(failures.size(), addresses.size());
  for (const auto& f : failures) {
    EXPECT_TRUE(f.failure.check<net::ConnectionRefusedError>())
        << f.failure.getErrorMessage();
  }
  EXPECT_NE(r.failure->getErrorMessage().find("nobody.test:" + std::to_string(closed4)),
            std::string::npos);
}

// "host:localhost:PORT": clientFromString, the threaded resolver
// (getaddrinfo on the pool) and the race, end to end. localhost may also
// name ::1, where nothing listens: that attempt is refused and 127.0.0.1
// wins.
TEST_P(HostnameTest, HostDescriptionResolvesLocalhost) {
  auto server = std::make_shared<ServerFactory>();
  auto port = listen(server);
  auto endpoint = net::clientFromString(
      reactor(), "host:localhost:" + std::to_string(portOf(port)) + ":timeout=5");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  Result r = connectThenClose(**endpoint, server);
  ASSERT_FALSE(r.failure) << r.failure->getErrorMessage();
  ASSERT_TRUE(r.client);
  EXPECT_EQ(r.client->peer.host, "127.0.0.1");
}

// getaddrinfo's answers, with the port, for the family asked.
TEST_P(HostnameTest, ThreadedResolverResolvesLocalhost) {
  auto resolver = net::threadedResolver(reactor());
  std::optional<std::vector<Address>> answer;
  reactor().callWhenRunning([&] {
    (void)resolver->resolveHostName("localhost", 8080, AddressFamily::kIPv4)
        .addCallbacks(
            [&](std::vector<Address> a) {
              answer = std::move(a);
              reactor().stop();
            },
            [&](Failure f) {
              ADD_FAILURE() << f.getErrorMessage();
              reactor().stop();
            });
  });
  runReactor();
  ASSERT_TRUE(answer);
  ASSERT_FALSE(answer->empty());
  for (const Address& a : *answer) EXPECT_EQ(a.kind, Address::Kind::kIPv4);
  EXPECT_EQ(answer->front(), Address::ipv4("TCP", "127.0.0.1", 8080));
}

// Literals and bad names never reach the pool.
TEST_P(HostnameTest, ThreadedResolverAnswersWithoutThePool) {
  auto resolver = net::threadedResolver(reactor());
  std::vector<Address> got;
  (void)resolver->resolveHostName("::1", 443, AddressFamily::kAny)
      .addCallback([&](std::vector<Address> a) { got = std::move(a); });
  EXPECT_EQ(got, std::vector<Address>{Address::ipv6("TCP", "::1", 443)});
  std::vector<std::string> errors;
  for (std::string host : {std::string("a\0b", 3), std::string(), std::string("::1")}) {
    (void)resolver->resolveHostName(host, 1, AddressFamily::kIPv4)
        .addCallbacks([](std::vector<Address>) { ADD_FAILURE() << "resolved"; },
                      [&](Failure f) {
                        EXPECT_TRUE(f.check<net::DNSLookupError>());
                        errors.push_back(f.getErrorMessage());
                      });
  }
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_NE(errors[0].find("\\x00"), std::string::npos) << errors[0];
  EXPECT_EQ(errors[1], "DNSLookupError: empty host name");
  EXPECT_EQ(errors[2], "DNSLookupError: '::1' is an address of the other family");
  EXPECT_FALSE(reactor().hasThreadPool());
}

// Cancelled while getaddrinfo blocks: CancelledError at once; the answer
// that arrives later is dropped (no callback, no error logged).
TEST_P(HostnameTest, ThreadedResolverCancelDropsTheLateAnswer) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> returned{false};
  auto resolver = net::threadedResolver(
      reactor(),
      [released, &returned](const std::string&, std::uint16_t port, AddressFamily) {
        released.wait();
        returned = true;
        return std::vector<Address>{Address::ipv4("TCP", "192.0.2.1", port)};
      });
  bool calledBack = false;
  std::optional<Failure> failure;
  reactor().callWhenRunning([&] {
    Deferred<void> d = resolver->resolveHostName("slow.test", 80, AddressFamily::kAny)
                           .addCallbacks([&](std::vector<Address>) { calledBack = true; },
                                         [&](Failure f) { failure = f; });
    d.cancel();
    EXPECT_TRUE(failure && failure->check<CancelledError>());
    release.set_value();
    reactor().stop();
  });
  // Stopping joins the pool, so the answer has been handed to
  // callFromThread by the time run() returns; one more pass delivers it.
  runReactor();
  EXPECT_TRUE(returned);
  reactor().iterate(Seconds(0));
  EXPECT_FALSE(calledBack);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, HostnameTest,
                         ::testing::ValuesIn(availableBackends()), BackendName());

}  // namespace
}  // namespace torsion::testing
