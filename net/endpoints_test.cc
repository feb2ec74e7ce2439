// Tests for net/endpoints.h: ports of Twisted's
// src/twisted/internet/test/test_endpoints.py ParserTests,
// ServerStringTests and ClientStringTests (the parsing tests: tcp and unix;
// ssl, systemd and plugins are not part of torsion), WrappingFactoryTests
// and the endpoint connect/listen tests that run against MemoryReactor.
// Each test names the Twisted test it mirrors.
#include "net/endpoints.h"

#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/errors.h"
#include "deferred/test_util.h"
#include "gtest/gtest.h"
#include "net/memory_reactor.h"
#include "net/string_transport.h"

namespace torsion::net {
namespace {

using torsion::testing::failureResultOf;
using torsion::testing::successResultOf;

TcpServerSpec tcpServer(std::string_view description) {
  absl::StatusOr<ServerSpec> spec = parseServerSpec(description);
  EXPECT_TRUE(spec.ok()) << spec.status();
  if (!spec.ok() || !std::holds_alternative<TcpServerSpec>(*spec)) return {};
  return std::get<TcpServerSpec>(*spec);
}

UnixServerSpec unixServer(std::string_view description) {
  absl::StatusOr<ServerSpec> spec = parseServerSpec(description);
  EXPECT_TRUE(spec.ok()) << spec.status();
  if (!spec.ok() || !std::holds_alternative<UnixServerSpec>(*spec)) return {};
  return std::get<UnixServerSpec>(*spec);
}

TcpClientSpec tcpClient(std::string_view description) {
  absl::StatusOr<ClientSpec> spec = parseClientSpec(description);
  EXPECT_TRUE(spec.ok()) << spec.status();
  if (!spec.ok() || !std::holds_alternative<TcpClientSpec>(*spec)) return {};
  return std::get<TcpClientSpec>(*spec);
}

UnixClientSpec unixClient(std::string_view description) {
  absl::StatusOr<ClientSpec> spec = parseClientSpec(description);
  EXPECT_TRUE(spec.ok()) << spec.status();
  if (!spec.ok() || !std::holds_alternative<UnixClientSpec>(*spec)) return {};
  return std::get<UnixClientSpec>(*spec);
}

// The message of a failed parse (the test fails if it did not fail).
template <typename Parse>
std::string errorOf(Parse parse, std::string_view description) {
  auto result = parse(description);
  EXPECT_FALSE(result.ok()) << "'" << description << "' parsed";
  if (result.ok()) return "";
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(result.status().message());
}

std::string serverError(std::string_view d) { return errorOf(parseServerSpec, d); }
std::string clientError(std::string_view d) { return errorOf(parseClientSpec, d); }

// --- ParserTests ----------------------------------------------------------------

// test_endpoints.py ParserTests.test_simpleTCP
TEST(ParserTests, SimpleTCP) {
  EXPECT_EQ(tcpServer("tcp:80"), (TcpServerSpec{80, "", 50}));
}

// test_endpoints.py ParserTests.test_interfaceTCP
TEST(ParserTests, InterfaceTCP) {
  EXPECT_EQ(tcpServer("tcp:80:interface=127.0.0.1"),
            (TcpServerSpec{80, "127.0.0.1", 50}));
}

// test_endpoints.py ParserTests.test_backlogTCP
TEST(ParserTests, BacklogTCP) {
  EXPECT_EQ(tcpServer("tcp:80:backlog=6"), (TcpServerSpec{80, "", 6}));
}

// test_endpoints.py ParserTests.test_simpleUNIX
TEST(ParserTests, SimpleUNIX) {
  EXPECT_EQ(unixServer("unix:/var/run/finger"),
            (UnixServerSpec{"/var/run/finger", 0666, 50, true}));
}

// test_endpoints.py ParserTests.test_modeUNIX
TEST(ParserTests, ModeUNIX) {
  EXPECT_EQ(unixServer("unix:/var/run/finger:mode=0660"),
            (UnixServerSpec{"/var/run/finger", 0660, 50, true}));
}

// test_endpoints.py ParserTests.test_wantPIDUNIX
TEST(ParserTests, WantPIDUNIX) {
  EXPECT_EQ(unixServer("unix:/var/run/finger:lockfile=0"),
            (UnixServerSpec{"/var/run/finger", 0666, 50, false}));
}

// test_endpoints.py ParserTests.test_escape
TEST(ParserTests, Escape) {
  EXPECT_EQ(unixServer(R"(unix:foo\:bar\=baz\:qux\\)"),
            (UnixServerSpec{R"(foo:bar=baz:qux\)", 0666, 50, true}));
}

// test_endpoints.py ParserTests.test_quoteStringArgument
TEST(ParserTests, QuoteStringArgument) {
  EXPECT_EQ(quoteStringArgument("some : stuff \\"), "some \\: stuff \\\\");
  // And it round-trips through the parser.
  std::string path = R"(C:\dir\sock:1)";
  EXPECT_EQ(unixServer("unix:" + quoteStringArgument(path)).address, path);
}

// test_endpoints.py ParserTests.test_impliedEscape
TEST(ParserTests, ImpliedEscape) {
  EXPECT_EQ(unixServer("unix:address=foo=bar"),
            (UnixServerSpec{"foo=bar", 0666, 50, true}));
}

// test_endpoints.py ParserTests.test_unknownType
TEST(ParserTests, UnknownType) {
  EXPECT_NE(serverError("bogus-type:nothing").find("Unknown endpoint type: 'bogus-type'"),
            std::string::npos);
}

// Twisted's _parse docstring example: "a:b:d=1:c" -> args [a, b, c],
// kwargs {d: 1}, here with the type split off.
TEST(ParserTests, PositionalAndKeywordArguments) {
  absl::StatusOr<EndpointDescription> parts = parseEndpointDescription("a:b:d=1:c");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(*parts, (EndpointDescription{"a", {"b", "c"}, {{"d", "1"}}}));
}

// A bad description names the bad part.
TEST(ParserTests, ErrorsNameTheBadPart) {
  EXPECT_NE(serverError("tcp:http").find("port: 'http'"), std::string::npos);
  EXPECT_NE(serverError("tcp:70000").find("0..65535"), std::string::npos);
  EXPECT_NE(serverError("tcp:80:bakclog=5").find("unknown keyword 'bakclog'"),
            std::string::npos);
  EXPECT_NE(serverError("tcp:80:backlog=-1").find("backlog"), std::string::npos);
  EXPECT_NE(serverError("tcp:80:port=81").find("'port' is given twice"),
            std::string::npos);
  EXPECT_NE(serverError("tcp:80:backlog=1:backlog=2").find("given twice"),
            std::string::npos);
  EXPECT_NE(serverError("tcp").find("missing the port"), std::string::npos);
  EXPECT_NE(serverError("tcp:1:2:3:4").find("too many positional"), std::string::npos);
  EXPECT_NE(serverError("").find("type"), std::string::npos);
  EXPECT_NE(serverError("tcp:80\\").find("backslash"), std::string::npos);
  EXPECT_NE(serverError("unix:/x:mode=999").find("mode: '999'"), std::string::npos);
  EXPECT_NE(serverError("unix:/x:lockfile=yes").find("lockfile"), std::string::npos);
  EXPECT_NE(serverError("tcp:80:=5").find("empty keyword"), std::string::npos);
  // The description itself is quoted.
  EXPECT_NE(serverError("tcp:http").find("'tcp:http'"), std::string::npos);
}

// --- ServerStringTests ------------------------------------------------------------

// test_endpoints.py ServerStringTests.test_tcp
TEST(ServerStringTests, Tcp) {
  auto reactor = std::make_shared<MemoryReactor>();
  auto server = serverFromString(reactor, "tcp:1234:backlog=12:interface=10.0.0.1");
  ASSERT_TRUE(server.ok()) << server.status();
  auto* tcp = dynamic_cast<TCP4ServerEndpoint*>(server->get());
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(tcp->network(), reactor.get());
  EXPECT_EQ(tcp->spec(), (TcpServerSpec{1234, "10.0.0.1", 12}));
}

// test_endpoints.py ServerStringTests.test_unix
TEST(ServerStringTests, Unix) {
  auto reactor = std::make_shared<MemoryReactor>();
  auto endpoint =
      serverFromString(reactor, "unix:/var/foo/bar:backlog=7:mode=0123:lockfile=1");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  auto* ux = dynamic_cast<UNIXServerEndpoint*>(endpoint->get());
  ASSERT_NE(ux, nullptr);
  EXPECT_EQ(ux->network(), reactor.get());
  EXPECT_EQ(ux->spec(), (UnixServerSpec{"/var/foo/bar", 0123, 7, true}));
}

// test_endpoints.py ServerStringTests.test_implicitDefaultNotAllowed
TEST(ServerStringTests, ImplicitDefaultNotAllowed) {
  std::string message = serverError("4321");
  EXPECT_NE(message.find("unqualified"), std::string::npos) << message;
  EXPECT_NE(message.find("'tcp:4321'"), std::string::npos) << message;
}

// test_endpoints.py ServerStringTests.test_unknownType
TEST(ServerStringTests, UnknownType) {
  auto reactor = std::make_shared<MemoryReactor>();
  auto server = serverFromString(reactor, "ftl:andromeda/carcosa/hali/2387");
  ASSERT_FALSE(server.ok());
  EXPECT_NE(std::string(server.status().message()).find("Unknown endpoint type: 'ftl'"),
            std::string::npos)
      << server.status();
}

// --- ClientStringTests ------------------------------------------------------------

// test_endpoints.py ClientStringTests.test_tcp
TEST(ClientStringTests, Tcp) {
  auto reactor = std::make_shared<MemoryReactor>();
  auto client = clientFromString(
      reactor, "tcp:host=example.com:port=1234:timeout=7:bindAddress=10.0.0.2");
  ASSERT_TRUE(client.ok()) << client.status();
  auto* tcp = dynamic_cast<TCP4ClientEndpoint*>(client->get());
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(tcp->network(), reactor.get());
  EXPECT_EQ(tcp->spec(), (TcpClientSpec{"example.com", 1234, Seconds(7), "10.0.0.2"}));
}

// test_endpoints.py ClientStringTests.test_tcpPositionalArgs
TEST(ClientStringTests, TcpPositionalArgs) {
  EXPECT_EQ(tcpClient("tcp:example.com:1234:timeout=7:bindAddress=10.0.0.2"),
            (TcpClientSpec{"example.com", 1234, Seconds(7), "10.0.0.2"}));
}

// test_endpoints.py ClientStringTests.test_tcpHostPositionalArg
TEST(ClientStringTests, TcpHostPositionalArg) {
  TcpClientSpec spec =
      tcpClient("tcp:example.com:port=1234:timeout=7:bindAddress=10.0.0.2");
  EXPECT_EQ(spec.host, "example.com");
  EXPECT_EQ(spec.port, 1234);
}

// test_endpoints.py ClientStringTests.test_tcpPortPositionalArg
TEST(ClientStringTests, TcpPortPositionalArg) {
  TcpClientSpec spec =
      tcpClient("tcp:host=example.com:1234:timeout=7:bindAddress=10.0.0.2");
  EXPECT_EQ(spec.host, "example.com");
  EXPECT_EQ(spec.port, 1234);
}

// test_endpoints.py ClientStringTests.test_tcpDefaults
TEST(ClientStringTests, TcpDefaults) {
  TcpClientSpec spec = tcpClient("tcp:host=example.com:port=1234");
  EXPECT_EQ(spec.timeout, Seconds(30));
  EXPECT_FALSE(spec.bindAddress.has_value());
  // Fractional timeouts are accepted (Twisted takes whole seconds only).
  EXPECT_EQ(tcpClient("tcp:localhost:80:timeout=2.5").timeout, Seconds(2.5));
}

// test_endpoints.py ClientStringTests.test_unix
TEST(ClientStringTests, Unix) {
  auto reactor = std::make_shared<MemoryReactor>();
  auto client = clientFromString(reactor, "unix:path=/var/foo/bar:lockfile=1:timeout=9");
  ASSERT_TRUE(client.ok()) << client.status();
  auto* ux = dynamic_cast<UNIXClientEndpoint*>(client->get());
  ASSERT_NE(ux, nullptr);
  EXPECT_EQ(ux->spec(), (UnixClientSpec{"/var/foo/bar", Seconds(9), true}));
}

// test_endpoints.py ClientStringTests.test_unixDefaults
TEST(ClientStringTests, UnixDefaults) {
  UnixClientSpec spec = unixClient("unix:path=/var/foo/bar");
  EXPECT_EQ(spec.timeout, Seconds(30));
  EXPECT_FALSE(spec.checkPID);
}

// test_endpoints.py ClientStringTests.test_unixPathPositionalArg
TEST(ClientStringTests, UnixPathPositionalArg) {
  EXPECT_EQ(unixClient("unix:/var/foo/bar:lockfile=1:timeout=9"),
            (UnixClientSpec{"/var/foo/bar", Seconds(9), true}));
}

// test_endpoints.py ClientStringTests.test_unknownType
TEST(ClientStringTests, UnknownType) {
  EXPECT_NE(
      clientError("ftl:andromeda/carcosa/hali/2387").find("Unknown endpoint type: 'ftl'"),
      std::string::npos);
}

TEST(ClientStringTests, ErrorsNameTheBadPart) {
  EXPECT_NE(clientError("tcp:port=80").find("missing the host"), std::string::npos);
  EXPECT_NE(clientError("tcp:localhost").find("missing the port"), std::string::npos);
  EXPECT_NE(clientError("tcp:localhost:80:timeout=soon").find("timeout: 'soon'"),
            std::string::npos);
  EXPECT_NE(clientError("tcp:a:1:b:2").find("too many positional"), std::string::npos);
  EXPECT_NE(clientError("unix:timeout=3").find("missing the socket path"),
            std::string::npos);
  EXPECT_NE(clientError("TCP:localhost:80:mode=1").find("unknown keyword 'mode'"),
            std::string::npos);
}

// --- names with a NUL byte ---------------------------------------------------------

// A NUL byte cuts a name short where it meets the OS (a C string):
// "tcp:0:interface=127.0.0.1\0evil" used to listen on 127.0.0.1 and
// "tcp:host=127.0.0.1\0.evil:port=1" to connect there. Every host,
// interface and path in a description is refused, naming the argument; the
// message shows the NUL escaped, never raw.
void expectNulRefused(const std::string& message, std::string_view what) {
  EXPECT_NE(message.find(what), std::string::npos) << message;
  EXPECT_NE(message.find("contains a NUL byte"), std::string::npos) << message;
  EXPECT_EQ(message.find('\0'), std::string::npos) << "raw NUL in: " << message;
}

TEST(NulTests, ServerDescriptions) {
  using namespace std::string_literals;
  expectNulRefused(serverError("tcp:0:interface=127.0.0.1\0evil"s),
                   "interface '127.0.0.1\\x00evil'");
  expectNulRefused(serverError("tcp:0:127.0.0.1\0evil"s),
                   "interface '127.0.0.1\\x00evil'");
  expectNulRefused(serverError("unix:/tmp/sock\0evil"s), "path '/tmp/sock\\x00evil'");
  expectNulRefused(serverError("unix:address=/tmp/sock\0evil:lockfile=1"s),
                   "path '/tmp/sock\\x00evil'");
}

TEST(NulTests, ClientDescriptions) {
  using namespace std::string_literals;
  expectNulRefused(clientError("tcp:host=127.0.0.1\0.evil:port=1"s),
                   "host '127.0.0.1\\x00.evil'");
  expectNulRefused(clientError("tcp:127.0.0.1\0.evil:1"s), "host '127.0.0.1\\x00.evil'");
  expectNulRefused(clientError("tcp:localhost:1:bindAddress=127.0.0.1\0x"s),
                   "bindAddress '127.0.0.1\\x00x'");
  expectNulRefused(clientError("unix:/tmp/sock\0evil"s), "path '/tmp/sock\\x00evil'");
  expectNulRefused(clientError("unix:path=/tmp/sock\0evil:lockfile=1"s),
                   "path '/tmp/sock\\x00evil'");
}

// Other bad descriptions with a NUL quote it escaped too.
TEST(NulTests, ErrorMessagesEscapeTheDescription) {
  using namespace std::string_literals;
  const std::string message = clientError("tcp:localhost:1:time\0out=3"s);
  EXPECT_NE(message.find("unknown keyword 'time\\x00out'"), std::string::npos) << message;
  EXPECT_EQ(message.find('\0'), std::string::npos) << message;
}

// serverFromString / clientFromString refuse them before any listen or
// connect reaches the network.
TEST(NulTests, FromStringRefusesBeforeTheNetwork) {
  using namespace std::string_literals;
  auto reactor = std::make_shared<MemoryReactor>();
  EXPECT_EQ(serverFromString(reactor, "tcp:0:interface=127.0.0.1\0evil"s).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      clientFromString(reactor, "tcp:host=127.0.0.1\0.evil:port=1"s).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(reactor->tcpServers.empty());
  EXPECT_TRUE(reactor->tcpClients.empty());
}

// --- endpoints on a MemoryReactor ------------------------------------------------

// Twisted's TestProtocol: counts connectionMade, records data and losses.
class TestProtocol : public Protocol {
 public:
  void connectionMade() override { ++connectionMadeCalls; }
  void dataReceived(std::string_view data) override { data_.emplace_back(data); }
  void connectionLost(const Failure& reason) override {
    connectionsLost.push_back(reason);
  }
  int connectionMadeCalls = 0;
  std::vector<std::string> data_;
  std::vector<Failure> connectionsLost;
};

class NoneFactory : public ClientFactory {
 public:
  std::shared_ptr<Protocol> buildProtocol(const Address&) override { return nullptr; }
};

// test_endpoints.py TCP4EndpointsTests (EndpointTestCaseMixin)
// test_endpointListenSuccess
TEST(TCP4EndpointsTests, EndpointListenSuccess) {
  auto reactor = std::make_shared<MemoryReactor>();
  auto factory = Factory::forProtocol<TestProtocol>();
  TCP4ServerEndpoint endpoint(reactor, TcpServerSpec{0, "127.0.0.1", 100});
  Deferred<std::shared_ptr<ListeningPort>> d = endpoint.listen(factory);
  std::shared_ptr<ListeningPort> port = successResultOf(d);
  ASSERT_EQ(reactor->tcpServers.size(), 1u);
  EXPECT_EQ(reactor->tcpServers[0].spec, (TcpServerSpec{0, "127.0.0.1", 100}));
  EXPECT_EQ(reactor->tcpServers[0].factory, factory);
  EXPECT_EQ(port->getHost(), Address::ipv4("TCP", "127.0.0.1", 1234));
}

// test_endpoints.py EndpointTestCaseMixin.test_endpointListenFailure
TEST(TCP4EndpointsTests, EndpointListenFailure) {
  auto reactor = std::make_shared<MemoryReactor>();
  reactor->listenError = absl::UnavailableError("CannotListenError: address in use");
  TCP4ServerEndpoint endpoint(reactor, TcpServerSpec{80, "", 50});
  Deferred<std::shared_ptr<ListeningPort>> d =
      endpoint.listen(Factory::forProtocol<TestProtocol>());
  Failure f = failureResultOf(d);
  EXPECT_EQ(f.status(), absl::UnavailableError("CannotListenError: address in use"));
}

// test_endpoints.py EndpointTestCaseMixin.test_endpointConnectSuccess
TEST(TCP4EndpointsTests, EndpointConnectSuccess) {
  auto reactor = std::make_shared<MemoryReactor>();
  auto endpoint = clientFromString(reactor, "tcp:example.com:80:timeout=5");
  ASSERT_TRUE(endpoint.ok());
  Deferred<std::shared_ptr<Protocol>> d =
      (*endpoint)->connect(Factory::forProtocol<TestProtocol>());
  EXPECT_FALSE(d.called());
  ASSERT_EQ(reactor->tcpClients.size(), 1u);
  auto& attempt = reactor->tcpClients[0];
  EXPECT_EQ(attempt.spec.host, "example.com");
  EXPECT_EQ(attempt.spec.timeout, Seconds(5));
  // Play the network: the connection comes up.
  std::shared_ptr<Protocol> wrapper =
      attempt.factory->buildProtocol(Address::ipv4("TCP", "93.184.216.34", 80));
  ASSERT_NE(wrapper, nullptr);
  StringTransport transport;
  wrapper->makeConnection(&transport);
  std::shared_ptr<Protocol> proto = successResultOf(d);
  auto* test = dynamic_cast<TestProtocol*>(proto.get());
  ASSERT_NE(test, nullptr);
  EXPECT_EQ(test->connectionMadeCalls, 1);
  EXPECT_EQ(proto->transport(), &transport);
  // Events reach the user's protocol through the wrapper.
  wrapper->dataReceived("foo");
  EXPECT_EQ(test->data_, std::vector<std::string>{"foo"});
  wrapper->connectionLost(Failure(ConnectionDone()));
  wrapper->detachTransport();
  ASSERT_EQ(test->connectionsLost.size(), 1u);
  EXPECT_TRUE(test->connectionsLost[0].check<ConnectionDone>());
  EXPECT_EQ(proto->transport(), nullptr);
}

// test_endpoints.py EndpointTestCaseMixin.test_endpointConnectFailure
TEST(TCP4EndpointsTests, EndpointConnectFailure) {
  auto reactor = std::make_shared<MemoryReactor>();
  TCP4ClientEndpoint endpoint(reactor, TcpClientSpec{"127.0.0.1", 9, Seconds(30), {}});
  Deferred<std::shared_ptr<Protocol>> d =
      endpoint.connect(Factory::forProtocol<TestProtocol>());
  auto& attempt = reactor->tcpClients.at(0);
  attempt.factory->clientConnectionFailed(attempt.result.get(),
                                          Failure(std::runtime_error("refused")));
  Failure f = failureResultOf(d);
  EXPECT_EQ(f.getErrorMessage(), "refused");
}

// test_endpoints.py EndpointTestCaseMixin.test_endpointConnectingCancelled
TEST(TCP4EndpointsTests, EndpointConnectingCancelled) {
  auto reactor = std::make_shared<MemoryReactor>();
  TCP4ClientEndpoint endpoint(reactor, TcpClientSpec{"127.0.0.1", 9, Seconds(30), {}});
  Deferred<std::shared_ptr<Protocol>> d =
      endpoint.connect(Factory::forProtocol<TestProtocol>());
  d.cancel();
  Failure f = failureResultOf(d);
  ASSERT_TRUE(f.check<ConnectingCancelledError>()) << f.getBriefTraceback();
  EXPECT_TRUE(f.check<CancelledError>());
  EXPECT_EQ(f.value<ConnectingCancelledError>()->address(),
            Address::ipv4("TCP", "127.0.0.1", 9));
  EXPECT_TRUE(reactor->tcpClients.at(0).result->stoppedConnecting());
  // The network's own failure report afterwards changes nothing.
  reactor->tcpClients[0].factory->clientConnectionFailed(
      nullptr, Failure(std::runtime_error("x")));
}

// test_endpoints.py WrappingFactoryTests.test_buildNoneProtocol
TEST(WrappingFactoryTests, BuildNoneProtocol) {
  auto reactor = std::make_shared<MemoryReactor>();
  TCP4ClientEndpoint endpoint(reactor, TcpClientSpec{"h", 1, Seconds(30), {}});
  Deferred<std::shared_ptr<Protocol>> d =
      endpoint.connect(std::make_shared<NoneFactory>());
  // test_buildProtocolReturnsNone: the wrapper returns null too.
  EXPECT_EQ(reactor->tcpClients.at(0).factory->buildProtocol(Address()), nullptr);
  Failure f = failureResultOf(d);
  EXPECT_TRUE(f.check<NoProtocol>()) << f.getBriefTraceback();
}

// test_endpoints.py WrappingFactoryTests.test_failedBuildProtocol
TEST(WrappingFactoryTests, FailedBuildProtocol) {
  class BogusFactory : public ClientFactory {
   public:
    std::shared_ptr<Protocol> buildProtocol(const Address&) override {
      throw std::invalid_argument("My protocol is poorly defined.");
    }
  };
  auto reactor = std::make_shared<MemoryReactor>();
  TCP4ClientEndpoint endpoint(reactor, TcpClientSpec{"h", 1, Seconds(30), {}});
  Deferred<std::shared_ptr<Protocol>> d =
      endpoint.connect(std::make_shared<BogusFactory>());
  EXPECT_EQ(reactor->tcpClients.at(0).factory->buildProtocol(Address()), nullptr);
  Failure f = failureResultOf(d);
  ASSERT_TRUE(f.check<std::invalid_argument>());
  EXPECT_EQ(f.getErrorMessage(), "My protocol is poorly defined.");
}

// test_endpoints.py WrappingFactoryTests.test_doStart / test_doStop
TEST(WrappingFactoryTests, DoStartDoStop) {
  auto reactor = std::make_shared<MemoryReactor>();
  auto factory = Factory::forProtocol<TestProtocol>();
  TCP4ClientEndpoint endpoint(reactor, TcpClientSpec{"h", 1, Seconds(30), {}});
  Deferred<std::shared_ptr<Protocol>> d = endpoint.connect(factory);
  auto& wrapping = reactor->tcpClients.at(0).factory;
  wrapping->doStart();
  EXPECT_EQ(factory->numPorts(), 1);
  wrapping->doStop();
  EXPECT_EQ(factory->numPorts(), 0);
  d.cancel();
  failureResultOf(d);
}

// test_endpoints.py WrappingFactoryTests.test_wrappingProtocolHalfCloseable
// / test_wrappedProtocolReadConnectionLost / ...WriteConnectionLost
TEST(WrappingFactoryTests, WrappingProtocolHalfCloseable) {
  class HalfCloseable : public TestProtocol {
   public:
    bool halfCloseable() const override { return true; }
    void readConnectionLost() override { readLost = true; }
    void writeConnectionLost() override { writeLost = true; }
    bool readLost = false, writeLost = false;
  };
  auto reactor = std::make_shared<MemoryReactor>();
  TCP4ClientEndpoint endpoint(reactor, TcpClientSpec{"h", 1, Seconds(30), {}});
  Deferred<std::shared_ptr<Protocol>> d =
      endpoint.connect(Factory::forProtocol<HalfCloseable>());
  auto wrapper = reactor->tcpClients.at(0).factory->buildProtocol(Address());
  StringTransport t;
  wrapper->makeConnection(&t);
  std::shared_ptr<Protocol> built = successResultOf(d);
  auto proto = std::dynamic_pointer_cast<HalfCloseable>(built);
  ASSERT_NE(proto, nullptr);
  EXPECT_TRUE(wrapper->halfCloseable());
  wrapper->readConnectionLost();
  wrapper->writeConnectionLost();
  EXPECT_TRUE(proto->readLost);
  EXPECT_TRUE(proto->writeLost);
}

// test_endpoints.py UNIXEndpointsTests (EndpointTestCaseMixin), listen and
// connect record the Unix arguments.
TEST(UNIXEndpointsTests, EndpointListenAndConnect) {
  auto reactor = std::make_shared<MemoryReactor>();
  auto server = serverFromString(reactor, "unix:/tmp/t.sock:mode=600:backlog=100");
  ASSERT_TRUE(server.ok());
  Deferred<std::shared_ptr<ListeningPort>> listening =
      (*server)->listen(Factory::forProtocol<TestProtocol>());
  std::shared_ptr<ListeningPort> port = successResultOf(listening);
  EXPECT_EQ(port->getHost(), Address::unixSocket("/tmp/t.sock"));
  ASSERT_EQ(reactor->unixServers.size(), 1u);
  EXPECT_EQ(reactor->unixServers[0].spec,
            (UnixServerSpec{"/tmp/t.sock", 0600, 100, true}));

  auto client = clientFromString(reactor, "unix:path=/tmp/t.sock:timeout=10:lockfile=1");
  ASSERT_TRUE(client.ok());
  Deferred<std::shared_ptr<Protocol>> d =
      (*client)->connect(Factory::forProtocol<TestProtocol>());
  ASSERT_EQ(reactor->unixClients.size(), 1u);
  EXPECT_EQ(reactor->unixClients[0].spec,
            (UnixClientSpec{"/tmp/t.sock", Seconds(10), true}));
  auto wrapper = reactor->unixClients[0].factory->buildProtocol(Address::unixSocket(""));
  StringTransport t;
  wrapper->makeConnection(&t);
  EXPECT_NE(successResultOf(d), nullptr);
}

// test_endpoints.py ConnectProtocolTests.test_connectProtocolCreatesFactory
// / test_connectProtocolReturnsConnectResult
TEST(ConnectProtocolTests, ConnectProtocolCreatesFactory) {
  auto reactor = std::make_shared<MemoryReactor>();
  TCP4ClientEndpoint endpoint(reactor, TcpClientSpec{"h", 1, Seconds(30), {}});
  auto protocol = std::make_shared<TestProtocol>();
  Deferred<std::shared_ptr<Protocol>> d = connectProtocol(endpoint, protocol);
  auto wrapper = reactor->tcpClients.at(0).factory->buildProtocol(Address());
  StringTransport t;
  wrapper->makeConnection(&t);
  EXPECT_EQ(successResultOf(d), protocol);
  EXPECT_EQ(protocol->connectionMadeCalls, 1);
}

}  // namespace
}  // namespace torsion::net
