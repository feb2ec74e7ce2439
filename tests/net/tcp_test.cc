// The TCP conformance suite, run on every backend
// (AllBackends/TcpTest.<Case>/<backend>). Ported tests name the Twisted
// test they mirror (twisted/internet/test/test_tcp.py, connectionmixins.py
// and twisted/test/test_tcp.py).
#include "net/tcp.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/registry.h"
#include "core/errors.h"
#include "gtest/gtest.h"
#include "net/errors.h"
#include "net/resolve.h"
#include "tests/net/net_test_util.h"

namespace torsion::testing {
namespace {

using net::Address;
using net::ConnectionAborted;

// Connects a RecordingProtocol client to an echo server and returns it.
std::shared_ptr<RecordingProtocol> newClient(
    std::function<void(RecordingProtocol&)> onMade) {
  auto p = std::make_shared<RecordingProtocol>();
  p->onMade = std::move(onMade);
  return p;
}

// A half-closing client: sends `request`, closes its writing side
// (`writeCloses` times: a repeat must be harmless) and, once the server's
// side has ended too, the connection.
std::shared_ptr<RecordingProtocol> newHalfClosingClient(std::string request,
                                                        int writeCloses = 1) {
  auto p = newClient([request, writeCloses](RecordingProtocol& self) {
    self.transport()->write(request);
    for (int i = 0; i < writeCloses; ++i) self.transport()->loseWriteConnection();
  });
  p->halfClose = true;
  p->onReadLost = [](RecordingProtocol& self) { self.transport()->loseConnection(); };
  return p;
}

TEST_P(TcpTest, Echo) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory);
  ASSERT_TRUE(port);
  auto client =
      newClient([](RecordingProtocol& p) { p.transport()->write("hello, world"); });
  client->onData = [](RecordingProtocol& p, std::string_view) {
    if (p.received == "hello, world") p.transport()->loseConnection();
  };
  auto clientFactory = factoryFor(client);
  connect(port, clientFactory);
  ASSERT_TRUE(iterateUntil([&] { return bothLost(*client, *serverFactory); }));
  EXPECT_EQ(client->received, "hello, world");
  EXPECT_TRUE(client->reason.check<ConnectionDone>()) << client->reason.getErrorMessage();
  EXPECT_TRUE(serverFactory->protocol()->reason.check<ConnectionDone>());
  EXPECT_EQ(client->made, 1);
  EXPECT_EQ(client->lostCount, 1);
  EXPECT_EQ(client->transport(), nullptr);  // detached after connectionLost
  EXPECT_EQ(clientFactory->losses, 1);
  EXPECT_TRUE(clientFactory->lostReason.check<ConnectionDone>());
}

// twisted/internet/test/test_tcp.py TCPClientTestsBuilder.test_addresses:
// getHost / getPeer on both ends are IPv4Address('TCP', ...).
TEST_P(TcpTest, Addresses) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory);
  auto client = newClient([](RecordingProtocol& p) { p.transport()->loseConnection(); });
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return bothLost(*client, *serverFactory); }));
  auto server = serverFactory->protocol();
  EXPECT_EQ(server->host, Address::ipv4("TCP", "127.0.0.1", portOf(port)));
  EXPECT_EQ(client->peer, Address::ipv4("TCP", "127.0.0.1", portOf(port)));
  EXPECT_EQ(server->peer, client->host);
  EXPECT_EQ(serverFactory->addresses.at(0), client->host);
  EXPECT_EQ(port->getHost().toString(),
            "IPv4Address(TCP, '127.0.0.1', " + std::to_string(portOf(port)) + ")");
}

// test_tcp.py TCPPortTestsMixin.test_portGetHostOnIPv6 and the IPv6
// client tests: ::1 works end to end.
TEST_P(TcpTest, IPv6Echo) {
  if (unusedLoopbackPort(AF_INET6) == 0) GTEST_SKIP() << "no IPv6 loopback";
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory, "::1");
  ASSERT_TRUE(port);
  EXPECT_EQ(port->getHost().kind, Address::Kind::kIPv6);
  EXPECT_EQ(port->getHost().host, "::1");
  auto client = newClient([](RecordingProtocol& p) { p.transport()->write("six"); });
  client->onData = [](RecordingProtocol& p, std::string_view) {
    if (p.received == "six") p.transport()->loseConnection();
  };
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return bothLost(*client, *serverFactory); }));
  EXPECT_EQ(client->received, "six");
  EXPECT_EQ(client->peer, Address::ipv6("TCP", "::1", portOf(port)));
}

// test_tcp.py TCPPortTestsMixin (test_cannotBind in twisted/test/test_tcp.py
// ListeningTests): a port in use gives CannotListenError naming the
// address, the port and the errno text.
TEST_P(TcpTest, CannotBind) {
  auto port = listen(std::make_shared<TestFactory>());
  auto again = net::listenTCP(reactor(), portOf(port), std::make_shared<TestFactory>(),
                              {.interface = "127.0.0.1"});
  ASSERT_FALSE(again.ok());
  const std::string msg(again.status().message());
  EXPECT_NE(msg.find("CannotListenError"), std::string::npos) << msg;
  EXPECT_NE(msg.find("127.0.0.1:" + std::to_string(portOf(port))), std::string::npos)
      << msg;
  // "Address already in use" (strerror), or winsock's text for
  // WSAEADDRINUSE.
  const std::string inUse = net::internal::socketErrorText(net::internal::kAddressInUse);
  EXPECT_NE(msg.find(inUse), std::string::npos) << msg << " lacks " << inUse;

  auto bad = net::listenTCP(reactor(), 0, std::make_shared<TestFactory>(),
                            {.interface = "not-an-ip"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

// twisted/test/test_tcp.py FactoryTests / N2: doStart on listen, doStop
// once the port stopped; stopListening's Deferred fires; the port then
// refuses connections.
TEST_P(TcpTest, StopListening) {
  auto factory = std::make_shared<TestFactory>();
  auto port = net::listenTCP(reactor(), 0, factory, {.interface = "127.0.0.1"});
  ASSERT_TRUE(port.ok());
  EXPECT_EQ(factory->started, 1);
  const std::uint16_t number = (*port)->getHost().port;
  bool stopped = false;
  (*port)->stopListening().addCallback([&] { stopped = true; });
  EXPECT_FALSE(stopped);  // asynchronous, as in Twisted
  ASSERT_TRUE(iterateUntil([&] { return stopped; }));
  EXPECT_EQ(factory->stopped, 1);
  // A second stopListening is harmless and already fired.
  bool again = false;
  (*port)->stopListening().addCallback([&] { again = true; });
  EXPECT_TRUE(again);

  auto clientFactory = std::make_shared<TestFactory>();
  net::connectTCP(reactor(), "127.0.0.1", number, clientFactory);
  ASSERT_TRUE(iterateUntil([&] { return clientFactory->failures == 1; }));
  EXPECT_TRUE(clientFactory->failure.check<net::ConnectionRefusedError>());
}

// Behaviour N6: a refused connect fails with ConnectionRefusedError (a
// ConnectError) through clientConnectionFailed, with the same connector,
// and the factory is stopped again (twisted/test/test_tcp.py
// ClientStartStopFactory checks the start/stop pairing).
TEST_P(TcpTest, ConnectionRefused) {
  // A port nobody listens on: bind, read its number, close.
  const std::uint16_t closed = unusedLoopbackPort();
  ASSERT_NE(closed, 0);
  auto factory = std::make_shared<TestFactory>();
  auto connector = net::connectTCP(reactor(), "127.0.0.1", closed, factory);
  EXPECT_EQ(factory->started, 1);
  ASSERT_EQ(factory->startedWith.size(), 1u);  // synchronously
  ASSERT_TRUE(iterateUntil([&] { return factory->failures == 1; }));
  EXPECT_TRUE(factory->failure.check<net::ConnectionRefusedError>())
      << factory->failure.getErrorMessage();
  EXPECT_TRUE(factory->failure.check<net::ConnectError>());
  EXPECT_EQ(factory->failedWith, connector.get());
  EXPECT_EQ(factory->stopped, 1);
  EXPECT_TRUE(factory->built.empty());
}

// twisted/test/test_tcp.py ConnectorTests.test_userFail: stopConnecting()
// fails the attempt with UserError; NotConnectingError afterwards.
TEST_P(TcpTest, UserFail) {
  auto port = listen(std::make_shared<TestFactory>());
  auto factory = std::make_shared<TestFactory>();
  auto connector = connect(port, factory);
  connector->stopConnecting();
  EXPECT_EQ(factory->failures, 1);
  EXPECT_TRUE(factory->failure.check<net::UserError>());
  EXPECT_FALSE(factory->failure.check<net::TimeoutError>());
  EXPECT_THROW(connector->stopConnecting(), net::NotConnectingError);
  // Nothing connects later.
  for (int i = 0; i < 5; ++i) reactor().iterate(Seconds(0.01));
  EXPECT_TRUE(factory->built.empty());
  EXPECT_EQ(factory->stopped, 1);
}

// twisted/test/test_tcp.py ConnectorTests.test_reconnect: connect() from
// clientConnectionLost reconnects with the same connector.
TEST_P(TcpTest, Reconnect) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory);
  auto factory = std::make_shared<TestFactory>([] {
    auto p = std::make_shared<RecordingProtocol>();
    p->onMade = [](RecordingProtocol& self) { self.transport()->loseConnection(); };
    return p;
  });
  factory->onLost = [&](net::Connector* c, const Failure&) {
    if (factory->losses < 2) c->connect();
  };
  auto connector = connect(port, factory);
  ASSERT_TRUE(iterateUntil([&] { return factory->losses == 2; }));
  EXPECT_EQ(factory->built.size(), 2u);
  EXPECT_EQ(factory->lostWith, connector.get());
  EXPECT_EQ(factory->started, 1);  // the factory stays started across retries
  EXPECT_EQ(factory->stopped, 1);
  ASSERT_TRUE(iterateUntil([&] {
    return serverFactory->built.size() == 2 && serverFactory->protocol(1)->lost;
  }));
}

// test_tcp.py TCPConnectorTestsBuilder.test_connectorIdentity: the same
// connector is passed to startedConnecting and clientConnectionLost.
TEST_P(TcpTest, ConnectorIdentity) {
  auto port = listen(std::make_shared<TestFactory>());
  auto factory = std::make_shared<TestFactory>([] {
    auto p = std::make_shared<RecordingProtocol>();
    p->onMade = [](RecordingProtocol& self) { self.transport()->loseConnection(); };
    return p;
  });
  auto connector = connect(port, factory);
  ASSERT_TRUE(iterateUntil([&] { return factory->losses == 1; }));
  ASSERT_EQ(factory->startedWith.size(), 1u);
  EXPECT_EQ(factory->startedWith[0], connector.get());
  EXPECT_EQ(factory->lostWith, connector.get());
  EXPECT_TRUE(factory->lostReason.check<ConnectionDone>());
  EXPECT_EQ(connector->getDestination(), Address::ipv4("TCP", "127.0.0.1", portOf(port)));
}

// test_tcp.py (StreamTransportTestsMixin / ConnectionTestsMixin)
// test_buildProtocolReturnsNone: a server factory refusing the connection
// closes it; the client just sees it end.
TEST_P(TcpTest, BuildProtocolReturnsNone) {
  auto serverFactory = std::make_shared<TestFactory>([] { return nullptr; });
  auto port = listen(serverFactory);
  auto client = std::make_shared<RecordingProtocol>();
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
  EXPECT_EQ(client->made, 1);
  EXPECT_TRUE((client->reason.check<ConnectionLost, ConnectionDone>()));
  EXPECT_TRUE(serverFactory->built.empty());
}

// Client side of N1: buildProtocol returning null fails the connect.
TEST_P(TcpTest, ClientBuildProtocolReturnsNone) {
  auto port = listen(std::make_shared<TestFactory>());
  auto factory = std::make_shared<TestFactory>([] { return nullptr; });
  connect(port, factory);
  ASSERT_TRUE(iterateUntil([&] { return factory->failures == 1; }));
  EXPECT_NE(factory->failure.getErrorMessage().find("NoProtocol"), std::string::npos);
}

// test_tcp.py AbortConnectionMixin.test_serverAbortsConnectionTwice and
// ...ThenLosesConnection: abortConnection sends RST; the aborting side
// gets ConnectionAborted, the peer ConnectionLost; a second abort or a
// loseConnection afterwards is harmless.
TEST_P(TcpTest, ServerAbortsConnectionTwiceThenLosesConnection) {
  auto serverFactory = std::make_shared<TestFactory>([] {
    auto p = std::make_shared<RecordingProtocol>();
    p->onData = [](RecordingProtocol& self, std::string_view) {
      self.transport()->write("this is discarded");
      self.transport()->abortConnection();
      self.transport()->abortConnection();
      self.transport()->loseConnection();
      EXPECT_FALSE(self.lost);  // never re-entrantly (N4)
    };
    return p;
  });
  auto port = listen(serverFactory);
  auto client = newClient([](RecordingProtocol& p) { p.transport()->write("x"); });
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return bothLost(*client, *serverFactory); }));
  auto server = serverFactory->protocol();
  EXPECT_TRUE(server->reason.check<ConnectionAborted>())
      << server->reason.getErrorMessage();
  EXPECT_EQ(server->lostCount, 1);
  EXPECT_TRUE(client->reason.check<ConnectionLost>()) << client->reason.getErrorMessage();
  EXPECT_FALSE(client->reason.check<ConnectionDone>());
  EXPECT_FALSE(client->reason.check<ConnectionAborted>());
}

// test_tcp.py AbortConnectionMixin.test_clientAbortsConnectionTwice.
TEST_P(TcpTest, ClientAbortsConnectionTwice) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory);
  auto client = newClient([](RecordingProtocol& p) {
    p.transport()->abortConnection();
    p.transport()->abortConnection();
  });
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return bothLost(*client, *serverFactory); }));
  EXPECT_TRUE(client->reason.check<ConnectionAborted>());
  EXPECT_EQ(client->lostCount, 1);
  EXPECT_TRUE(serverFactory->protocol()->reason.check<ConnectionLost>());
}

// test_tcp.py AbortConnectionMixin.test_dataReceivedAbort: abort inside
// dataReceived; connectionLost comes later, once, with ConnectionAborted.
TEST_P(TcpTest, DataReceivedAbort) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory);
  bool lostInside = false;
  auto client = newClient([](RecordingProtocol& p) { p.transport()->write("ping"); });
  client->onData = [&](RecordingProtocol& p, std::string_view) {
    p.transport()->abortConnection();
    lostInside = p.lost;
  };
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return bothLost(*client, *serverFactory); }));
  EXPECT_FALSE(lostInside);
  EXPECT_TRUE(client->reason.check<ConnectionAborted>());
}

// test_tcp.py AbortConnectionMixin.test_dataReceivedThrows: an exception
// from dataReceived is logged and is the connectionLost reason (N13).
TEST_P(TcpTest, DataReceivedThrows) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory);
  auto client = newClient([](RecordingProtocol& p) { p.transport()->write("ping"); });
  client->onData = [](RecordingProtocol&, std::string_view) {
    throw std::runtime_error("dataReceived blew up");
  };
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return bothLost(*client, *serverFactory); }));
  EXPECT_TRUE(client->reason.check<std::runtime_error>());
  EXPECT_EQ(client->reason.getErrorMessage(), "dataReceived blew up");
  EXPECT_EQ(log().flushErrors().size(), 1u);
}

// twisted/test/test_tcp.py TCPServerTests.test_writeAfterDisconnect and
// test_writeSequenceAfterDisconnect: writes after the connection was lost
// are ignored.
TEST_P(TcpTest, WriteAfterDisconnect) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory);
  auto client = newClient([](RecordingProtocol& p) { p.transport()->loseConnection(); });
  client->onLost = [](RecordingProtocol& p, const Failure&) {
    p.transport()->write("after");
    std::string_view pieces[] = {"a", "b"};
    p.transport()->writeSequence(pieces);
    EXPECT_EQ(p.transport()->writeBufferSize(), 0u);
  };
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return bothLost(*client, *serverFactory); }));
  EXPECT_EQ(serverFactory->protocol()->received, "");
}

// writeSequence writes the pieces in order, as one write.
TEST_P(TcpTest, WriteSequence) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory);
  auto client = newClient([](RecordingProtocol& p) {
    std::vector<std::string_view> pieces = {"one ", "", "two ", "three"};
    p.transport()->writeSequence(pieces);
  });
  client->onData = [](RecordingProtocol& p, std::string_view) {
    if (p.received.size() == 13) p.transport()->loseConnection();
  };
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
  EXPECT_EQ(client->received, "one two three");
  ASSERT_TRUE(iterateUntil([&] { return serverFactory->protocol()->lost; }));
}

// test_tcp.py TCPConnectionTestsBuilder.test_connectionLostAfterPausedTransport:
// a close that happens while the transport is paused is reported after
// resumeProducing: ["paused", "resumed", "lost"].
TEST_P(TcpTest, ConnectionLostAfterPausedTransport) {
  auto serverFactory = std::make_shared<TestFactory>([] {
    auto p = std::make_shared<RecordingProtocol>();
    p->onMade = [](RecordingProtocol& self) {
      self.transport()->write("some bytes");
      self.transport()->loseConnection();
    };
    return p;
  });
  auto port = listen(serverFactory);
  std::vector<std::string> events;
  DelayedCall resume;
  auto client = std::make_shared<RecordingProtocol>();
  client->onData = [&](RecordingProtocol& p, std::string_view) {
    if (!events.empty()) return;
    p.transport()->pauseProducing();
    events.push_back("paused");
    net::Transport* t = p.transport();
    resume = reactor().callLater(Seconds(0.1), [&events, t] {
      events.push_back("resumed");
      t->resumeProducing();
    });
  };
  client->onLost = [&](RecordingProtocol&, const Failure&) { events.push_back("lost"); };
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
  EXPECT_EQ(events, (std::vector<std::string>{"paused", "resumed", "lost"}));
  EXPECT_TRUE(client->reason.check<ConnectionDone>());
}

// test_tcp.py TCPConnectionTestsBuilder.test_stopStartReading: while
// paused nothing is delivered; after resume everything is.
TEST_P(TcpTest, StopStartReading) {
  auto serverFactory =
      std::make_shared<TestFactory>([] { return std::make_shared<RecordingProtocol>(); });
  auto port = listen(serverFactory);
  auto client = newClient([](RecordingProtocol&) {});
  connect(port, factoryFor(client));
  ASSERT_TRUE(
      iterateUntil([&] { return !serverFactory->built.empty() && client->made; }));
  auto server = serverFactory->protocol();
  server->transport()->pauseProducing();
  client->transport()->write("while paused");
  for (int i = 0; i < 10; ++i) reactor().iterate(Seconds(0.01));
  EXPECT_EQ(server->received, "");
  server->transport()->resumeProducing();
  ASSERT_TRUE(iterateUntil([&] { return server->received == "while paused"; }));
  client->transport()->loseConnection();
  ASSERT_TRUE(iterateUntil([&] { return server->lost && client->lost; }));
}

// test_tcp.py TCPConnectionTestsBuilder.test_doubleHalfClose (N10): the
// peer half-closes (here: closes); the listener answers readConnectionLost
// with loseWriteConnection and writeConnectionLost with loseConnection;
// the connection then closes cleanly on both sides.
TEST_P(TcpTest, DoubleHalfClose) {
  auto serverFactory = std::make_shared<TestFactory>([] {
    auto p = std::make_shared<RecordingProtocol>();
    p->halfClose = true;
    p->onReadLost = [](RecordingProtocol& self) {
      self.transport()->loseWriteConnection();
    };
    return p;
  });
  auto port = listen(serverFactory);
  auto client = newClient([](RecordingProtocol& p) { p.transport()->loseConnection(); });
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] {
    auto s = serverFactory->protocol();
    return client->lost && s && s->writeLost;
  }));
  auto server = serverFactory->protocol();
  EXPECT_TRUE(server->readLost);
  EXPECT_FALSE(server->lost);  // half-closed both ways: waits for loseConnection
  server->transport()->loseConnection();
  ASSERT_TRUE(iterateUntil([&] { return server->lost; }));
  EXPECT_TRUE(server->reason.check<ConnectionDone>());
  EXPECT_EQ(server->lostCount, 1);
}

// twisted/test/test_tcp.py HalfCloseTests.testCloseWriteCloser and
// testWriteCloseNotification: the closer hears writeConnectionLost and
// keeps reading; the peer hears readConnectionLost and can still write; a
// second loseWriteConnection is harmless.
TEST_P(TcpTest, HalfCloseRequestReply) {
  auto serverFactory = std::make_shared<TestFactory>([] {
    auto p = std::make_shared<RecordingProtocol>();
    p->halfClose = true;
    p->onReadLost = [](RecordingProtocol& self) {
      self.transport()->write("reply to " + self.received);
      self.transport()->loseConnection();
    };
    return p;
  });
  auto port = listen(serverFactory);
  auto client = newHalfClosingClient("request", /*writeCloses=*/2);
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return bothLost(*client, *serverFactory); }));
  auto server = serverFactory->protocol();
  EXPECT_TRUE(server->readLost);
  EXPECT_EQ(server->received, "request");
  EXPECT_TRUE(client->writeLost);
  EXPECT_TRUE(client->readLost);
  EXPECT_EQ(client->received, "reply to request");
  EXPECT_TRUE(server->reason.check<ConnectionDone>());
  EXPECT_TRUE(client->reason.check<ConnectionDone>());
}

// Without halfCloseable, the peer's half-close ends the connection
// (ConnectionDone).
TEST_P(TcpTest, HalfCloseOnNonHalfCloseableProtocol) {
  auto serverFactory =
      std::make_shared<TestFactory>([] { return std::make_shared<RecordingProtocol>(); });
  auto port = listen(serverFactory);
  auto client = newHalfClosingClient("bye");
  connect(port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return bothLost(*client, *serverFactory); }));
  auto server = serverFactory->protocol();
  EXPECT_EQ(server->received, "bye");
  EXPECT_FALSE(server->readLost);
  EXPECT_TRUE(server->reason.check<ConnectionDone>());
}

// test_tcp.py TCPConnectionTestsBuilder.test_protocolGarbageAfterLostConnection
// (N14): once the connection is closed the reactor holds no reference to
// the protocol.
TEST_P(TcpTest, ProtocolGarbageAfterLostConnection) {
  std::weak_ptr<RecordingProtocol> weak;
  bool lost = false;
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory);
  {
    auto factory = std::make_shared<TestFactory>([&] {
      auto p = std::make_shared<RecordingProtocol>();
      p->onMade = [](RecordingProtocol& self) { self.transport()->loseConnection(); };
      p->onLost = [&](RecordingProtocol&, const Failure&) { lost = true; };
      weak = p;
      return p;
    });
    connect(port, factory);
    ASSERT_TRUE(iterateUntil([&] { return lost; }));
    factory->built.clear();
  }
  EXPECT_TRUE(weak.expired());
  ASSERT_TRUE(iterateUntil([&] { return serverFactory->protocol()->lost; }));
}

// twisted/test/test_tcp.py testTcpNoDelay / testTcpKeepAlive: the options
// can be set (and, on a Unix socket, are refused with a clear status).
TEST_P(TcpTest, TcpNoDelayAndKeepAlive) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory);
  auto client = newClient([](RecordingProtocol& p) {
    EXPECT_TRUE(p.transport()->setTcpNoDelay(true).ok());
    EXPECT_TRUE(p.transport()->setTcpNoDelay(false).ok());
    EXPECT_TRUE(p.transport()->setTcpKeepAlive(true).ok());
    p.transport()->loseConnection();
  });
  connect(port, factoryFor(client));
  ASSERT_TRUE(
      iterateUntil([&] { return client->lost && serverFactory->protocol()->lost; }));
}

// A name is resolved on the thread pool (the reactor must run for that).
TEST_P(TcpTest, ConnectByName) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory);
  auto client = newClient([](RecordingProtocol& p) { p.transport()->loseConnection(); });
  client->onLost = [&](RecordingProtocol&, const Failure&) { reactor().stop(); };
  auto factory = factoryFor(client);
  factory->onFailed = [&](net::Connector*, const Failure& f) {
    ADD_FAILURE() << f.getErrorMessage();
    reactor().stop();
  };
  net::connectTCP(reactor(), "localhost", portOf(port), factory);
  runReactor();
  EXPECT_TRUE(client->lost);
  EXPECT_EQ(client->peer.host, "127.0.0.1");
  stopPorts();
}

// IReactorCore.resolve: IP literals resolve at once, without the pool.
TEST_P(TcpTest, ResolveLiteralIsSynchronous) {
  std::string got;
  net::resolve(reactor(), "::1").addCallback([&](std::string ip) { got = ip; });
  EXPECT_EQ(got, "::1");
  net::resolve(reactor(), "127.0.0.1").addCallback([&](std::string ip) { got = ip; });
  EXPECT_EQ(got, "127.0.0.1");
  EXPECT_FALSE(reactor().hasThreadPool());
}

// connectTCP's bindAddress (twisted/test/test_tcp.py
// LocalRemoteAddressTests / ConnectBindError): the client socket is bound
// first; an address that cannot be bound fails with ConnectBindError.
TEST_P(TcpTest, BindAddress) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory);
  auto client = newClient([](RecordingProtocol& p) { p.transport()->loseConnection(); });
  connect(port, factoryFor(client), {.bindAddress = net::BindAddress{"127.0.0.1", 0}});
  ASSERT_TRUE(
      iterateUntil([&] { return client->lost && serverFactory->protocol()->lost; }));
  EXPECT_EQ(client->host.host, "127.0.0.1");

  // The listening port's own address is taken.
  auto factory = std::make_shared<TestFactory>();
  connect(port, factory, {.bindAddress = net::BindAddress{"127.0.0.1", portOf(port)}});
  ASSERT_TRUE(iterateUntil([&] { return factory->failures == 1; }));
  EXPECT_TRUE(factory->failure.check<net::ConnectBindError>())
      << factory->failure.getErrorMessage();
}

// A name that does not resolve fails with DNSLookupError.
TEST_P(TcpTest, DNSLookupFailure) {
  auto factory = std::make_shared<TestFactory>();
  factory->onFailed = [&](net::Connector*, const Failure&) { reactor().stop(); };
  net::connectTCP(reactor(), "no-such-host.invalid", 80, factory);
  runReactor();
  ASSERT_EQ(factory->failures, 1);
  EXPECT_TRUE(factory->failure.check<net::DNSLookupError>())
      << factory->failure.getErrorMessage();
}

// A NUL byte ends a C string, so "127.0.0.1\0evil" used to reach the OS as
// "127.0.0.1": listening or connecting there instead of refusing. Every
// host and interface with one is refused, and the error names it.
const std::string kNulHost("127.0.0.1\0.evil", 15);

void expectNamesTheNul(std::string_view message, std::string_view what) {
  EXPECT_NE(message.find("NUL byte"), std::string_view::npos) << message;
  EXPECT_NE(message.find(what), std::string_view::npos) << message;
  EXPECT_EQ(message.find('\0'), std::string_view::npos) << "raw NUL in: " << message;
}

// A connection given a name with a NUL failed with `Error` naming it (as
// `what`), and reached no server: `serverFactory` listens on 127.0.0.1,
// where the cut name would have led.
template <typename Error>
void expectConnectRefusedTheNul(const TestFactory& factory,
                                const TestFactory& serverFactory, std::string_view what) {
  ASSERT_EQ(factory.failures, 1);
  EXPECT_TRUE(factory.failure.check<Error>()) << factory.failure.getErrorMessage();
  expectNamesTheNul(factory.failure.getErrorMessage(), what);
  EXPECT_TRUE(serverFactory.built.empty());
}

TEST_P(TcpTest, NulInInterfaceIsRefused) {
  auto port = net::listenTCP(reactor(), 0, std::make_shared<TestFactory>(),
                             {.interface = kNulHost});
  if (port.ok()) {  // it listened on 127.0.0.1: say so, and clean up
    ADD_FAILURE() << "listening on " << net::internal::describe((*port)->getHost());
    bool stopped = false;
    (*port)->stopListening().addCallback([&] { stopped = true; });
    ASSERT_TRUE(iterateUntil([&] { return stopped; }));
    return;
  }
  EXPECT_EQ(port.status().code(), absl::StatusCode::kInvalidArgument);
  expectNamesTheNul(std::string(port.status().message()),
                    "interface '127.0.0.1\\x00.evil'");
}

TEST_P(TcpTest, NulInHostIsRefused) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory);  // on 127.0.0.1, where the cut name leads
  auto factory = std::make_shared<TestFactory>();
  net::connectTCP(reactor(), kNulHost, portOf(port), factory);
  ASSERT_TRUE(
      iterateUntil([&] { return factory->failures + factory->built.size() > 0; }));
  expectConnectRefusedTheNul<net::DNSLookupError>(*factory, *serverFactory,
                                                  "host '127.0.0.1\\x00.evil'");
}

TEST_P(TcpTest, NulInBindAddressIsRefused) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory);
  auto factory = std::make_shared<TestFactory>();
  connect(port, factory, {.bindAddress = net::BindAddress{kNulHost, 0}});
  ASSERT_TRUE(
      iterateUntil([&] { return factory->failures + factory->built.size() > 0; }));
  expectConnectRefusedTheNul<net::ConnectBindError>(*factory, *serverFactory,
                                                    "'127.0.0.1\\x00.evil'");
}

// resolve() refuses the name at once instead of looking up "localhost".
TEST_P(TcpTest, NulInResolvedNameIsRefused) {
  std::optional<Failure> failed;
  std::string resolved;
  net::resolve(reactor(), std::string("localhost\0.evil", 15))
      .addCallbacks([&](std::string ip) { resolved = ip; },
                    [&](Failure f) { failed = f; });
  ASSERT_TRUE(iterateUntil([&] { return failed || !resolved.empty(); }));
  ASSERT_TRUE(failed.has_value()) << "resolved to " << resolved;
  EXPECT_TRUE(failed->check<net::DNSLookupError>()) << failed->getErrorMessage();
  expectNamesTheNul(failed->getErrorMessage(), "host 'localhost\\x00.evil'");
}

// Reactor shutdown disconnects connections and ports (R13 / FD8): every
// protocol hears connectionLost(ConnectionLost), factories are stopped.
TEST_P(TcpTest, ShutdownDisconnects) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = net::listenTCP(reactor(), 0, serverFactory, {.interface = "127.0.0.1"});
  ASSERT_TRUE(port.ok());
  auto client = newClient([&](RecordingProtocol&) { reactor().stop(); });
  auto clientFactory = factoryFor(client);
  net::connectTCP(reactor(), "127.0.0.1", (*port)->getHost().port, clientFactory);
  runReactor();
  EXPECT_TRUE(client->lost);
  EXPECT_TRUE(client->reason.check<ConnectionLost>());
  EXPECT_EQ(serverFactory->stopped, 1);
  EXPECT_EQ(clientFactory->stopped, 1);
  for (auto& p : serverFactory->built) {
    EXPECT_TRUE(std::static_pointer_cast<RecordingProtocol>(p)->lost);
  }
}

INSTANTIATE_TEST_SUITE_P(AllBackends, TcpTest, ::testing::ValuesIn(availableBackends()),
                         BackendName());

}  // namespace
}  // namespace torsion::testing
