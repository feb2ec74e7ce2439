// Tests for net/hostname_endpoint.h, net/connection_race.h and the "host:"
// description, on MemoryReactor (the test plays the network), its
// task::Clock (the test drives time) and a resolver the test answers: no
// sockets, no DNS. The cases follow Twisted's test_endpoints.py
// HostnameEndpointsOneIPv4Tests / OneIPv6Tests / IPv4AndIPv6Tests /
// HostnameEndpointIDNATests where torsion keeps Twisted's behaviour, and
// check RFC 8305's order and spacing where Twisted has none.
#include "net/hostname_endpoint.h"

#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "deferred/test_util.h"
#include "gtest/gtest.h"
#include "net/connection_race.h"
#include "net/memory_reactor.h"
#include "net/string_transport.h"

namespace torsion::net {
namespace {

using torsion::testing::failureResultOf;
using torsion::testing::successResultOf;

Address v4(std::string host, std::uint16_t port = 80) {
  return Address::ipv4("TCP", std::move(host), port);
}
Address v6(std::string host, std::uint16_t port = 80) {
  return Address::ipv6("TCP", std::move(host), port);
}

// A resolver the test answers: each call is recorded with its Deferred;
// cancelling that Deferred is recorded too.
class FakeResolver : public HostnameResolver {
 public:
  struct Call {
    std::string host;
    std::uint16_t port;
    AddressFamily family;
    Deferred<std::vector<Address>> answer;
  };
  Deferred<std::vector<Address>> resolveHostName(std::string_view host,
                                                 std::uint16_t port,
                                                 AddressFamily family) override {
    Deferred<std::vector<Address>> d(
        [this](Deferred<std::vector<Address>>&) { ++cancelled; });
    calls.push_back({std::string(host), port, family, d});
    return d;
  }
  std::vector<Call> calls;
  int cancelled = 0;
};

class TestProtocol : public Protocol {};

struct Fixture {
  std::shared_ptr<MemoryReactor> network = std::make_shared<MemoryReactor>();
  std::shared_ptr<FakeResolver> resolver = std::make_shared<FakeResolver>();
  task::Clock& clock = network->time;

  HostnameEndpoint endpoint(std::string host, Seconds timeout = Seconds(30),
                            std::optional<std::string> bindAddress = std::nullopt) {
    HostnameClientSpec spec;
    spec.host = std::move(host);
    spec.port = 80;
    spec.timeout = timeout;
    spec.bindAddress = std::move(bindAddress);
    return HostnameEndpoint(network, clock, resolver, spec);
  }
  // connect() to example.com:80, the resolver answering `addresses`.
  Deferred<std::shared_ptr<Protocol>> connectResolvingTo(std::vector<Address> addresses) {
    auto d = endpoint("example.com").connect(Factory::forProtocol<TestProtocol>());
    resolver->calls.at(0).answer.callback(std::move(addresses));
    return d;
  }
  // The hosts of the attempts made so far, in order.
  std::vector<std::string> attempts() const {
    std::vector<std::string> hosts;
    for (const auto& call : network->tcpClients) hosts.push_back(call.spec.host);
    return hosts;
  }
  // Attempt i connects: the endpoint's Deferred fires if it is the first.
  void connectAttempt(std::size_t i) {
    auto& call = network->tcpClients.at(i);
    std::shared_ptr<Protocol> p =
        call.factory->buildProtocol(Address::ipv4("TCP", call.spec.host, call.spec.port));
    ASSERT_NE(p, nullptr);
    transports.push_back(std::make_unique<StringTransport>());
    p->makeConnection(transports.back().get());
  }
  void refuseAttempt(std::size_t i) {
    auto& call = network->tcpClients.at(i);
    call.factory->clientConnectionFailed(
        call.result.get(), Failure(ConnectionRefusedError(
                               "ConnectionRefusedError: refused " + call.spec.host)));
  }
  bool stopped(std::size_t i) const {
    return network->tcpClients.at(i).result->stoppedConnecting();
  }
  std::vector<std::unique_ptr<StringTransport>> transports;
};

// --- the address order ----------------------------------------------------------

// RFC 8305 section 4: the families alternate, IPv6 first, each family's
// own order kept.
TEST(InterleaveFamiliesTests, AlternatesStartingWithIPv6) {
  EXPECT_EQ(internal::interleaveFamilies(
                {v4("1.1.1.1"), v4("2.2.2.2"), v4("3.3.3.3"), v6("::a"), v6("::b")}),
            (std::vector<Address>{v6("::a"), v4("1.1.1.1"), v6("::b"), v4("2.2.2.2"),
                                  v4("3.3.3.3")}));
  EXPECT_EQ(internal::interleaveFamilies({v4("1.1.1.1"), v4("2.2.2.2")}),
            (std::vector<Address>{v4("1.1.1.1"), v4("2.2.2.2")}));
  EXPECT_EQ(internal::interleaveFamilies({v6("::a")}), std::vector<Address>{v6("::a")});
  EXPECT_TRUE(internal::interleaveFamilies({}).empty());
}

// --- resolving --------------------------------------------------------------------

// The name goes to the resolver with the port and any family; nothing is
// attempted before it answers.
TEST(HostnameEndpointTests, ResolvesFirst) {
  Fixture f;
  auto d = f.endpoint("example.com").connect(Factory::forProtocol<TestProtocol>());
  ASSERT_EQ(f.resolver->calls.size(), 1u);
  EXPECT_EQ(f.resolver->calls[0].host, "example.com");
  EXPECT_EQ(f.resolver->calls[0].port, 80);
  EXPECT_EQ(f.resolver->calls[0].family, AddressFamily::kAny);
  EXPECT_TRUE(f.network->tcpClients.empty());
  EXPECT_FALSE(d.called());
  f.resolver->calls[0].answer.callback({v4("1.2.3.4")});
  EXPECT_EQ(f.attempts(), std::vector<std::string>{"1.2.3.4"});
  f.connectAttempt(0);
  EXPECT_NE(successResultOf(d), nullptr);
  EXPECT_TRUE(f.clock.getDelayedCalls().empty());
}

// An IP literal is its own address: no resolver, an attempt at once
// (test_endpoints.py HostnameEndpointsOneIPv6Tests with a literal).
TEST(HostnameEndpointTests, LiteralSkipsTheResolver) {
  for (std::string literal : {"127.0.0.1", "::1"}) {
    Fixture f;
    auto d = f.endpoint(literal).connect(Factory::forProtocol<TestProtocol>());
    EXPECT_TRUE(f.resolver->calls.empty()) << literal;
    EXPECT_EQ(f.attempts(), std::vector<std::string>{literal});
    f.connectAttempt(0);
    EXPECT_NE(successResultOf(d), nullptr);
  }
}

// Each attempt is a TCP connect with the endpoint's port, timeout and
// bindAddress.
TEST(HostnameEndpointTests, AttemptsCarryTheSpec) {
  Fixture f;
  auto d = f.endpoint("example.com", Seconds(7), "10.0.0.1")
               .connect(Factory::forProtocol<TestProtocol>());
  f.resolver->calls.at(0).answer.callback({v4("1.2.3.4", 8080)});
  const TcpClientSpec& spec = f.network->tcpClients.at(0).spec;
  EXPECT_EQ(spec.host, "1.2.3.4");
  EXPECT_EQ(spec.port, 8080);
  EXPECT_EQ(spec.timeout, Seconds(7));
  EXPECT_EQ(spec.bindAddress, std::optional<std::string>("10.0.0.1"));
  d.cancel();
  EXPECT_TRUE(failureResultOf(d).check<ConnectingCancelledError>());
}

// test_endpoints.py test_nameResolution failing: the resolver's
// DNSLookupError arrives as it is; any other error becomes one naming the
// host; no address at all is one too (test_errorResultsInLookupError...).
TEST(HostnameEndpointTests, ResolutionFailures) {
  {
    Fixture f;
    auto d = f.endpoint("nowhere.invalid").connect(Factory::forProtocol<TestProtocol>());
    f.resolver->calls.at(0).answer.errback(
        Failure(DNSLookupError("DNSLookupError: address 'nowhere.invalid' not found")));
    Failure why = failureResultOf(d);
    EXPECT_TRUE(why.check<DNSLookupError>());
    EXPECT_EQ(why.getErrorMessage(),
              "DNSLookupError: address 'nowhere.invalid' not found");
  }
  {
    Fixture f;
    auto d = f.endpoint("example.com").connect(Factory::forProtocol<TestProtocol>());
    f.resolver->calls.at(0).answer.errback(Failure(std::runtime_error("resolver broke")));
    Failure why = failureResultOf(d);
    EXPECT_TRUE(why.check<DNSLookupError>());
    EXPECT_NE(why.getErrorMessage().find("'example.com': resolver broke"),
              std::string::npos)
        << why.getErrorMessage();
  }
  {
    Fixture f;
    auto d = f.endpoint("example.com").connect(Factory::forProtocol<TestProtocol>());
    f.resolver->calls.at(0).answer.callback({});
    Failure why = failureResultOf(d);
    EXPECT_TRUE(why.check<DNSLookupError>());
    EXPECT_EQ(why.getErrorMessage(),
              "DNSLookupError: no results for hostname lookup: example.com");
    EXPECT_TRUE(f.clock.getDelayedCalls().empty());
  }
}

// A name the OS would read cut short, or no name: refused before the
// resolver sees it.
TEST(HostnameEndpointTests, BadHostFailsAtOnce) {
  for (std::string host : {std::string("example.com\0evil", 16), std::string()}) {
    Fixture f;
    auto d = f.endpoint(host).connect(Factory::forProtocol<TestProtocol>());
    Failure why = failureResultOf(d);
    EXPECT_TRUE(why.check<DNSLookupError>()) << why.getErrorMessage();
    EXPECT_TRUE(f.resolver->calls.empty());
    EXPECT_TRUE(f.clock.getDelayedCalls().empty());
  }
}

// --- the race ---------------------------------------------------------------------

// RFC 8305: IPv6 first, alternating, one more attempt every 250 ms while
// none has connected or failed.
TEST(HostnameEndpointTests, AttemptOrderAndSpacing) {
  Fixture f;
  auto d = f.connectResolvingTo({v4("1.1.1.1"), v4("2.2.2.2"), v6("::a"), v6("::b")});
  EXPECT_EQ(f.attempts(), std::vector<std::string>{"::a"});
  f.clock.advance(0.249);
  EXPECT_EQ(f.attempts().size(), 1u);
  f.clock.advance(0.001);
  EXPECT_EQ(f.attempts(), (std::vector<std::string>{"::a", "1.1.1.1"}));
  f.clock.advance(0.25);
  EXPECT_EQ(f.attempts(), (std::vector<std::string>{"::a", "1.1.1.1", "::b"}));
  f.clock.advance(0.25);
  EXPECT_EQ(f.attempts(), (std::vector<std::string>{"::a", "1.1.1.1", "::b", "2.2.2.2"}));
  // All four still run; the last one wins.
  for (std::size_t i = 0; i < 4; ++i) EXPECT_FALSE(f.stopped(i));
  f.connectAttempt(3);
  EXPECT_NE(successResultOf(d), nullptr);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(f.stopped(i)) << i;
  EXPECT_TRUE(f.clock.getDelayedCalls().empty());
}

// RFC 8305 section 5: when the latest attempt fails the next one starts
// at once, and the next delay counts from there.
TEST(HostnameEndpointTests, FailureStartsTheNextAttemptAtOnce) {
  Fixture f;
  auto d = f.connectResolvingTo({v6("::a"), v4("1.1.1.1"), v4("2.2.2.2")});
  f.clock.advance(0.1);
  f.refuseAttempt(0);
  EXPECT_EQ(f.attempts(), (std::vector<std::string>{"::a", "1.1.1.1"}));
  f.clock.advance(0.249);
  EXPECT_EQ(f.attempts().size(), 2u);
  f.clock.advance(0.001);
  EXPECT_EQ(f.attempts().size(), 3u);
  f.connectAttempt(2);
  EXPECT_NE(successResultOf(d), nullptr);
  EXPECT_TRUE(f.stopped(1));
}

// The failure of an older attempt does not hurry the next one.
TEST(HostnameEndpointTests, OlderFailureKeepsTheSchedule) {
  Fixture f;
  auto d = f.connectResolvingTo({v6("::a"), v4("1.1.1.1"), v4("2.2.2.2")});
  f.clock.advance(0.25);
  ASSERT_EQ(f.attempts().size(), 2u);
  f.refuseAttempt(0);
  EXPECT_EQ(f.attempts().size(), 2u);
  f.clock.advance(0.25);
  EXPECT_EQ(f.attempts().size(), 3u);
  d.cancel();
  EXPECT_TRUE(failureResultOf(d).check<ConnectingCancelledError>());
}

// A slow IPv6 address loses to IPv4 started 250 ms later, and is cancelled
// (test_endpoints.py IPv4AndIPv6Tests.test_IPv4IsFaster).
TEST(HostnameEndpointTests, SlowIPv6LosesToIPv4) {
  Fixture f;
  auto d = f.connectResolvingTo({v4("1.1.1.1"), v6("::a")});
  f.clock.advance(0.25);
  ASSERT_EQ(f.attempts(), (std::vector<std::string>{"::a", "1.1.1.1"}));
  f.connectAttempt(1);
  std::shared_ptr<Protocol> p = successResultOf(d);
  EXPECT_NE(dynamic_cast<TestProtocol*>(p.get()), nullptr);
  EXPECT_EQ(p->transport(), f.transports.at(0).get());
  EXPECT_TRUE(f.stopped(0));
  EXPECT_FALSE(f.stopped(1));
  // Nothing more is tried, nothing is left scheduled.
  EXPECT_TRUE(f.clock.getDelayedCalls().empty());
  f.clock.advance(10);
  EXPECT_EQ(f.attempts().size(), 2u);
}

// Every address failing: one failure naming the host and each address's
// error, in the order they came (Twisted gives only the last one).
TEST(HostnameEndpointTests, AllAttemptsFail) {
  Fixture f;
  auto d = f.connectResolvingTo({v4("1.1.1.1"), v6("::a")});
  f.refuseAttempt(0);  // ::a; 1.1.1.1 starts at once
  ASSERT_EQ(f.attempts().size(), 2u);
  EXPECT_FALSE(d.called());
  f.refuseAttempt(1);
  Failure why = failureResultOf(d);
  ASSERT_TRUE(why.check<HostnameConnectError>()) << why.getErrorMessage();
  EXPECT_TRUE(why.check<ConnectError>());
  EXPECT_EQ(
      why.getErrorMessage(),
      "HostnameConnectError: couldn't connect to example.com:80 (2 addresses tried); "
      "[::a]:80: ConnectionRefusedError: refused ::a; "
      "1.1.1.1:80: ConnectionRefusedError: refused 1.1.1.1");
  const auto& failures = why.value<HostnameConnectError>()->failures();
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0].address, v6("::a"));
  EXPECT_TRUE(failures[1].failure.check<ConnectionRefusedError>());
  EXPECT_TRUE(f.clock.getDelayedCalls().empty());
}

// --- cancelling and the deadline --------------------------------------------------

// Cancelled while resolving: the resolution is cancelled, nothing is
// attempted, nothing stays scheduled (test_endpoints.py
// test_endpointConnectingCancelled for HostnameEndpoint).
TEST(HostnameEndpointTests, CancelWhileResolving) {
  Fixture f;
  auto d = f.endpoint("example.com").connect(Factory::forProtocol<TestProtocol>());
  d.cancel();
  Failure why = failureResultOf(d);
  ASSERT_TRUE(why.check<ConnectingCancelledError>());
  EXPECT_TRUE(why.check<CancelledError>());
  EXPECT_EQ(why.value<ConnectingCancelledError>()->address(),
            Address::hostname("example.com", 80));
  EXPECT_EQ(f.resolver->cancelled, 1);
  EXPECT_TRUE(f.resolver->calls.at(0).answer.called());
  EXPECT_TRUE(f.network->tcpClients.empty());
  EXPECT_TRUE(f.clock.getDelayedCalls().empty());
}

// Cancelled mid-race: every attempt in flight is stopped, no new one
// starts.
TEST(HostnameEndpointTests, CancelMidRace) {
  Fixture f;
  auto d = f.connectResolvingTo({v4("1.1.1.1"), v6("::a"), v4("2.2.2.2")});
  f.clock.advance(0.25);
  ASSERT_EQ(f.attempts().size(), 2u);
  d.cancel();
  Failure why = failureResultOf(d);
  EXPECT_TRUE(why.check<ConnectingCancelledError>());
  EXPECT_TRUE(f.stopped(0));
  EXPECT_TRUE(f.stopped(1));
  EXPECT_TRUE(f.clock.getDelayedCalls().empty());
  f.clock.advance(1);
  EXPECT_EQ(f.attempts().size(), 2u);
  // The network's late reports change nothing.
  f.refuseAttempt(0);
}

// The timeout bounds the resolution...
TEST(HostnameEndpointTests, TimeoutWhileResolving) {
  Fixture f;
  auto d =
      f.endpoint("example.com", Seconds(5)).connect(Factory::forProtocol<TestProtocol>());
  f.clock.advance(4.999);
  EXPECT_FALSE(d.called());
  f.clock.advance(0.001);
  Failure why = failureResultOf(d);
  ASSERT_TRUE(why.check<TimeoutError>()) << why.getErrorMessage();
  EXPECT_EQ(why.getErrorMessage(),
            "TimeoutError: connecting to example.com:80 took longer than 5 s (the name "
            "was still being resolved)");
  EXPECT_EQ(f.resolver->cancelled, 1);
  EXPECT_TRUE(f.network->tcpClients.empty());
  EXPECT_TRUE(f.clock.getDelayedCalls().empty());
}

// ...and the attempts after it: one deadline for the whole connect.
TEST(HostnameEndpointTests, TimeoutWhileRacing) {
  Fixture f;
  auto d =
      f.endpoint("example.com", Seconds(2)).connect(Factory::forProtocol<TestProtocol>());
  f.clock.advance(1.5);
  f.resolver->calls.at(0).answer.callback({v4("1.1.1.1"), v4("2.2.2.2")});
  f.clock.advance(0.25);
  ASSERT_EQ(f.attempts().size(), 2u);
  f.clock.advance(0.25);
  Failure why = failureResultOf(d);
  ASSERT_TRUE(why.check<TimeoutError>()) << why.getErrorMessage();
  EXPECT_NE(why.getErrorMessage().find("(2 connection attempt(s) made)"),
            std::string::npos)
      << why.getErrorMessage();
  EXPECT_TRUE(f.stopped(0));
  EXPECT_TRUE(f.stopped(1));
  EXPECT_TRUE(f.clock.getDelayedCalls().empty());
}

// --- the host: description --------------------------------------------------------

HostnameClientSpec hostSpec(std::string_view description) {
  absl::StatusOr<ClientSpec> spec = parseClientSpec(description);
  EXPECT_TRUE(spec.ok()) << spec.status();
  if (!spec.ok() || !std::holds_alternative<HostnameClientSpec>(*spec)) return {};
  return std::get<HostnameClientSpec>(*spec);
}

std::string hostError(std::string_view description) {
  absl::StatusOr<ClientSpec> spec = parseClientSpec(description);
  EXPECT_FALSE(spec.ok()) << "'" << description << "' parsed";
  return spec.ok() ? "" : std::string(spec.status().message());
}

// "host:" reads its arguments as "tcp:" does, positional or keyword.
TEST(HostnameStringTests, Parse) {
  HostnameClientSpec spec = hostSpec("host:example.com:80");
  EXPECT_EQ(spec.host, "example.com");
  EXPECT_EQ(spec.port, 80);
  EXPECT_EQ(spec.timeout, Seconds(30));
  EXPECT_EQ(spec.bindAddress, std::nullopt);
  EXPECT_EQ(spec.attemptDelay, Seconds(0.25));
  spec = hostSpec("HOST:host=example.com:port=443:timeout=2.5:bindAddress=10.0.0.1");
  EXPECT_EQ(spec.host, "example.com");
  EXPECT_EQ(spec.port, 443);
  EXPECT_EQ(spec.timeout, Seconds(2.5));
  EXPECT_EQ(spec.bindAddress, std::optional<std::string>("10.0.0.1"));
  EXPECT_EQ(hostSpec("host:host=\\:\\:1:8080").host, "::1");
  EXPECT_EQ(hostSpec("host:example.com:port=8080").port, 8080);
}

TEST(HostnameStringTests, BadInputsNameWhatIsWrong) {
  EXPECT_EQ(hostError("host:example.com"),
            "endpoint description 'host:example.com': missing the port (e.g. "
            "'host:host=localhost:port=80')");
  EXPECT_EQ(hostError("host:port=80"),
            "endpoint description 'host:port=80': missing the host (e.g. "
            "'host:host=localhost:port=80')");
  EXPECT_NE(hostError("host:example.com:http").find("port: 'http' is not a number"),
            std::string::npos);
  EXPECT_NE(hostError("host:example.com:80:timeout=soon")
                .find("timeout: 'soon' is not a non-negative number of seconds"),
            std::string::npos);
  EXPECT_NE(hostError("host:example.com:80:attemptDelay=1")
                .find("unknown keyword 'attemptDelay'"),
            std::string::npos);
  EXPECT_NE(hostError("host:a:1:2").find("too many positional arguments"),
            std::string::npos);
  EXPECT_NE(hostError(std::string_view("host:a\0b:80", 11)).find("host"),
            std::string::npos);
  // A server description has no host: type.
  absl::StatusOr<ServerSpec> server = parseServerSpec("host:80");
  ASSERT_FALSE(server.ok());
  EXPECT_NE(std::string(server.status().message())
                .find("Unknown endpoint type: 'host' (expected tcp or unix)"),
            std::string::npos);
  EXPECT_NE(hostError("ftl:x").find("(expected tcp, unix or host)"), std::string::npos);
}

// clientFromString builds a HostnameEndpoint on the network's clock and
// resolver, and says so when the network has none.
TEST(HostnameStringTests, ClientFromString) {
  auto network = std::make_shared<MemoryReactor>();
  auto refused = clientFromString(network, "host:example.com:80");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(
      refused.status().message(),
      "endpoint description 'host:example.com:80': a host: endpoint needs a network "
      "with a clock and a name resolver");
  auto resolver = std::make_shared<FakeResolver>();
  network->resolver = resolver;
  auto endpoint = clientFromString(network, "host:example.com:80:timeout=3");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  auto* hostname = dynamic_cast<HostnameEndpoint*>(endpoint->get());
  ASSERT_NE(hostname, nullptr);
  EXPECT_EQ(hostname->spec().timeout, Seconds(3));
  auto d = (*endpoint)->connect(Factory::forProtocol<TestProtocol>());
  ASSERT_EQ(resolver->calls.size(), 1u);
  network->time.advance(3);
  EXPECT_TRUE(failureResultOf(d).check<TimeoutError>());
}

TEST(HostnameEndpointTests, NullResolverIsRefused) {
  auto network = std::make_shared<MemoryReactor>();
  HostnameClientSpec spec;
  spec.host = "example.com";
  EXPECT_THROW(HostnameEndpoint(network, network->time, nullptr, spec),
               std::invalid_argument);
}

TEST(HostnameAddressTests, ToString) {
  EXPECT_EQ(Address::hostname("example.com", 80).toString(),
            "HostnameAddress(hostname=b'example.com', port=80)");
}

}  // namespace
}  // namespace torsion::net
