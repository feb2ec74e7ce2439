// The UDP conformance suite on every backend (AllBackends/UdpTest.*).
// Ported tests name their originals in twisted/test/test_udp.py and
// twisted/internet/test/test_udp.py.
#include "net/udp.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "gtest/gtest.h"
#include "net/errors.h"
#include "net/socket_address.h"
#include "net/socket_ops.h"
#include "tests/reactor_test_base.h"

namespace torsion::testing {
namespace {

using net::Address;

class Recorder : public net::DatagramProtocol {
 public:
  void startProtocol() override {
    ++starts;
    if (onStart) onStart(*this);
  }
  void stopProtocol() override { ++stops; }
  void datagramReceived(std::string_view data, const Address& from) override {
    datagrams.emplace_back(data);
    senders.push_back(from);
    if (onDatagram) onDatagram(*this, data, from);
  }
  void connectionRefused() override { ++refused; }

  std::function<void(Recorder&)> onStart;
  std::function<void(Recorder&, std::string_view, const Address&)> onDatagram;
  int starts = 0;
  int stops = 0;
  int refused = 0;
  std::vector<std::string> datagrams;
  std::vector<Address> senders;
};

class UdpTest : public ReactorTest {
 protected:
  std::shared_ptr<net::DatagramTransport> listen(std::shared_ptr<net::DatagramProtocol> p,
                                                 std::uint16_t port = 0) {
    auto t = net::listenUDP(reactor(), port, std::move(p), "127.0.0.1");
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : nullptr;
  }
  void stop(const std::shared_ptr<net::DatagramTransport>& t) {
    bool done = false;
    t->stopListening().addCallback([&] { done = true; });
    EXPECT_TRUE(iterateUntil([&] { return done; }));
  }
  // A port of `client`'s connected to `closedPort`, a port nobody listens
  // on any more, after the client's connectionRefused() ran. The ICMP error
  // arrives asynchronously, so it keeps sending until it shows.
  struct RefusedPort {
    std::shared_ptr<Recorder> client;
    std::shared_ptr<net::DatagramTransport> port;
    std::uint16_t closedPort = 0;
  };
  RefusedPort refusedPort() {
    auto gone = listen(std::make_shared<Recorder>());
    const std::uint16_t closedPort = gone->getHost().port;
    stop(gone);
    auto client = std::make_shared<Recorder>();
    auto port = listen(client);
    EXPECT_TRUE(port->connect("127.0.0.1", closedPort).ok());
    EXPECT_TRUE(iterateUntil([&] {
      (void)port->write("anyone?");
      return client->refused > 0;
    }));
    return {client, port, closedPort};
  }
};

// twisted/test/test_udp.py UDPTests.test_startStop: startProtocol once on
// listen, stopProtocol after stopListening completed.
TEST_P(UdpTest, StartStop) {
  auto p = std::make_shared<Recorder>();
  auto port = listen(p);
  EXPECT_EQ(p->starts, 1);
  EXPECT_EQ(p->numPorts(), 1);
  EXPECT_EQ(p->transport(), port.get());
  bool done = false;
  port->stopListening().addCallback([&] { done = true; });
  EXPECT_EQ(p->stops, 0);  // asynchronous
  ASSERT_TRUE(iterateUntil([&] { return done; }));
  EXPECT_EQ(p->stops, 1);
  EXPECT_EQ(p->numPorts(), 0);
  EXPECT_EQ(p->transport(), nullptr);
}

// twisted/test/test_udp.py UDPTests.test_stopProtocolScheduling:
// stopListening from inside startProtocol does not call stopProtocol
// re-entrantly.
TEST_P(UdpTest, StopProtocolScheduling) {
  auto p = std::make_shared<Recorder>();
  bool inside = false;
  bool done = false;
  p->onStart = [&](Recorder& self) {
    inside = true;
    self.transport()->stopListening().addCallback([&] { done = true; });
    EXPECT_EQ(self.stops, 0);
    inside = false;
  };
  auto port = listen(p);
  ASSERT_TRUE(iterateUntil([&] { return done; }));
  EXPECT_EQ(p->stops, 1);
  EXPECT_FALSE(inside);
}

// twisted/test/test_udp.py UDPTests.test_rebind: listening again with the
// same protocol starts it again.
TEST_P(UdpTest, Rebind) {
  auto p = std::make_shared<Recorder>();
  auto port = listen(p);
  stop(port);
  auto again = listen(p);
  EXPECT_EQ(p->starts, 2);
  stop(again);
  EXPECT_EQ(p->stops, 2);
}

// twisted/test/test_udp.py UDPTests.test_bindError (U2): the port is in
// use; getHost().type is "UDP".
TEST_P(UdpTest, BindError) {
  auto port = listen(std::make_shared<Recorder>());
  EXPECT_EQ(port->getHost().type, "UDP");
  EXPECT_EQ(port->getHost().host, "127.0.0.1");
  auto again = net::listenUDP(reactor(), port->getHost().port,
                              std::make_shared<Recorder>(), "127.0.0.1");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("CannotListenError"), std::string::npos);
  // "Address already in use" (strerror), or winsock's text for
  // WSAEADDRINUSE.
  const std::string inUse = net::internal::socketErrorText(net::internal::kAddressInUse);
  EXPECT_NE(again.status().message().find(inUse), std::string::npos)
      << again.status().message() << " lacks " << inUse;
  stop(port);
}

// twisted/test/test_udp.py UDPTests.test_sendPackets: datagrams both ways,
// with sender addresses, unconnected and connected.
TEST_P(UdpTest, SendPackets) {
  auto server = std::make_shared<Recorder>();
  server->onDatagram = [](Recorder& self, std::string_view d, const Address& from) {
    EXPECT_TRUE(self.transport()->write("echo:" + std::string(d), from).ok());
  };
  auto client = std::make_shared<Recorder>();
  auto serverPort = listen(server);
  auto clientPort = listen(client);
  const Address serverAddress = serverPort->getHost();
  ASSERT_TRUE(clientPort->write("hello", serverAddress).ok());
  ASSERT_TRUE(iterateUntil([&] { return client->datagrams.size() == 1; }));
  EXPECT_EQ(server->datagrams, std::vector<std::string>{"hello"});
  EXPECT_EQ(server->senders.at(0), clientPort->getHost());
  EXPECT_EQ(client->datagrams.at(0), "echo:hello");
  EXPECT_EQ(client->senders.at(0), serverAddress);

  ASSERT_TRUE(clientPort->connect("127.0.0.1", serverAddress.port).ok());
  ASSERT_TRUE(clientPort->write("a").ok());
  std::string_view pieces[] = {"b", "c", "d"};
  ASSERT_TRUE(clientPort->writeSequence(pieces).ok());
  ASSERT_TRUE(iterateUntil([&] { return client->datagrams.size() == 3; }));
  EXPECT_EQ(server->datagrams, (std::vector<std::string>{"hello", "a", "bcd"}));
  stop(clientPort);
  stop(serverPort);
}

// UDP round trips: 200 ping-pongs.
TEST_P(UdpTest, RoundTrips) {
  constexpr int kRounds = 200;
  auto server = std::make_shared<Recorder>();
  server->onDatagram = [](Recorder& self, std::string_view d, const Address& from) {
    (void)self.transport()->write(d, from);
  };
  auto client = std::make_shared<Recorder>();
  auto serverPort = listen(server);
  auto clientPort = listen(client);
  const Address to = serverPort->getHost();
  client->onDatagram = [&](Recorder& self, std::string_view, const Address&) {
    if (self.datagrams.size() < kRounds) {
      (void)self.transport()->write(std::to_string(self.datagrams.size()), to);
    }
  };
  ASSERT_TRUE(clientPort->write("0", to).ok());
  ASSERT_TRUE(iterateUntil([&] { return client->datagrams.size() == kRounds; }));
  for (int i = 0; i < kRounds; ++i) EXPECT_EQ(client->datagrams[i], std::to_string(i));
  stop(clientPort);
  stop(serverPort);
}

// twisted/test/test_udp.py UDPTests.test_connectionRefused (U3): in
// connected mode, a datagram to a closed port makes the protocol's
// connectionRefused() run.
TEST_P(UdpTest, ConnectionRefused) {
  RefusedPort refused = refusedPort();
  EXPECT_GT(refused.client->refused, 0);
  stop(refused.port);
}

// No Twisted counterpart: a refusal is reported once, not for good. Once
// something listens on the port again, the connected port's datagrams get
// there (Wine keeps the ICMP error in SO_ERROR forever; udp_port.cc).
TEST_P(UdpTest, SendsAgainAfterConnectionRefused) {
  RefusedPort refused = refusedPort();
  ASSERT_GT(refused.client->refused, 0);
  auto server = std::make_shared<Recorder>();
  auto back = listen(server, refused.closedPort);
  ASSERT_TRUE(back);
  ASSERT_TRUE(iterateUntil([&] {
    (void)refused.port->write("hello again");
    return !server->datagrams.empty();
  }));
  EXPECT_EQ(server->datagrams.front(), "hello again");
  stop(back);
  stop(refused.port);
}

// twisted/test/test_udp.py UDPTests.test_badConnect: connect needs an IP
// literal and happens once.
TEST_P(UdpTest, BadConnect) {
  auto port = listen(std::make_shared<Recorder>());
  EXPECT_THROW((void)port->connect("localhost", 80), net::InvalidAddressError);
  ASSERT_TRUE(port->connect("127.0.0.1", 9).ok());
  EXPECT_THROW((void)port->connect("127.0.0.1", 10), std::logic_error);
  stop(port);
}

// twisted/internet/test/test_udp.py UDPServerTestsBuilder
// test_writeToHostname-style checks (U3): write needs an IP literal of
// the socket's family; a write without address needs connect(); too long
// is MessageLengthError.
TEST_P(UdpTest, InvalidWrites) {
  auto port = listen(std::make_shared<Recorder>());
  EXPECT_THROW((void)port->write("x", Address::ipv4("UDP", "localhost", 9)),
               net::InvalidAddressError);
  EXPECT_THROW((void)port->write("x", Address::ipv6("UDP", "::1", 9)),
               net::InvalidAddressError);
  EXPECT_THROW((void)port->write("x"), std::logic_error);
  EXPECT_THROW((void)port->write(std::string(70000, 'x'), port->getHost()),
               net::MessageLengthError);
  stop(port);
}

// A NUL byte ends a C string: "127.0.0.1\0evil" used to bind, send to and
// connect to 127.0.0.1. Each is refused, naming the NUL.
const std::string kNulHost("127.0.0.1\0evil", 14);

TEST_P(UdpTest, NulInInterfaceIsRefused) {
  auto t = net::listenUDP(reactor(), 0, std::make_shared<Recorder>(), kNulHost);
  if (t.ok()) {
    ADD_FAILURE() << "bound to " << net::internal::describe((*t)->getHost());
    stop(*t);
    return;
  }
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(t.status().message());
  EXPECT_NE(message.find("interface '127.0.0.1\\x00evil' contains a NUL byte"),
            std::string::npos)
      << message;
}

TEST_P(UdpTest, NulInDestinationIsRefused) {
  auto server = std::make_shared<Recorder>();
  auto serverPort = listen(server);
  auto port = listen(std::make_shared<Recorder>());
  const std::uint16_t to = serverPort->getHost().port;
  try {
    (void)port->write("x", Address::ipv4("UDP", kNulHost, to));
    ADD_FAILURE() << "write to a host with a NUL was accepted";
  } catch (const net::InvalidAddressError& e) {
    EXPECT_NE(std::string(e.what()).find("NUL byte"), std::string::npos) << e.what();
  }
  try {
    (void)port->connect(kNulHost, to);
    ADD_FAILURE() << "connect to a host with a NUL was accepted";
  } catch (const net::InvalidAddressError& e) {
    EXPECT_NE(std::string(e.what()).find("NUL byte"), std::string::npos) << e.what();
  }
  stop(port);
  stop(serverPort);
  EXPECT_TRUE(server->datagrams.empty());
}

// twisted/test/test_udp.py UDPTests.test_datagramReceivedError (U4): an
// exception in datagramReceived is logged and the port keeps working.
TEST_P(UdpTest, DatagramReceivedError) {
  auto server = std::make_shared<Recorder>();
  server->onDatagram = [](Recorder&, std::string_view d, const Address&) {
    if (d == "bad") throw std::runtime_error("datagramReceived failed");
  };
  auto serverPort = listen(server);
  auto clientPort = listen(std::make_shared<Recorder>());
  ASSERT_TRUE(clientPort->write("bad", serverPort->getHost()).ok());
  ASSERT_TRUE(clientPort->write("good", serverPort->getHost()).ok());
  ASSERT_TRUE(iterateUntil([&] { return server->datagrams.size() == 2; }));
  EXPECT_EQ(server->datagrams.back(), "good");
  EXPECT_EQ(log().flushErrors().size(), 1u);
  stop(clientPort);
  stop(serverPort);
}

// twisted/test/test_udp.py UDPTests.test_NoWarningOnBroadcast /
// internet/test/test_udp.py test_setBroadcastAllowed (U5).
TEST_P(UdpTest, SetBroadcastAllowed) {
  auto port = listen(std::make_shared<Recorder>());
  EXPECT_FALSE(port->getBroadcastAllowed());
  ASSERT_TRUE(port->setBroadcastAllowed(true).ok());
  EXPECT_TRUE(port->getBroadcastAllowed());
  stop(port);
}

// Reactor shutdown stops the port and its protocol.
TEST_P(UdpTest, ShutdownStopsProtocol) {
  auto p = std::make_shared<Recorder>();
  auto port = listen(p);
  reactor().callWhenRunning([&] { reactor().stop(); });
  runReactor();
  EXPECT_EQ(p->stops, 1);
  bool done = false;
  port->stopListening().addCallback([&] { done = true; });
  EXPECT_TRUE(done);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, UdpTest, ::testing::ValuesIn(availableBackends()),
                         BackendName());

}  // namespace
}  // namespace torsion::testing
