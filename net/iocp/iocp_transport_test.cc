// White-box tests of the IOCP transports (net/iocp/), for what the
// conformance suites (tests/net, AllBackends/.../iocp) cannot see: an
// operation that succeeds inline, completions after close, how long a
// connection lives, a bulk transfer into a consumer that pauses, and RST on
// abort. Run under Wine 8 (not Windows).
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "backends/iocp_backend.h"
#include "base/log.h"
#include "core/errors.h"
#include "core/reactor.h"
#include "gtest/gtest.h"
#include "net/errors.h"
#include "net/iocp/iocp_stream_connection.h"
#include "net/iocp/iocp_stream_port.h"
#include "net/iocp/iocp_support.h"
#include "net/iocp/iocp_udp_port.h"
#include "net/protocol.h"
#include "net/socket_ops.h"
#include "net/tcp.h"
#include "net/udp.h"

namespace torsion::net::internal {
namespace {

// Records, and optionally pauses reading after every `pauseEvery` bytes.
class Sink : public Protocol {
 public:
  void connectionMade() override { ++made; }
  void dataReceived(std::string_view data) override {
    for (unsigned char ch : data) {
      hash = (hash ^ ch) * 1099511628211ull;
    }
    bytes += data.size();
    if (onData) onData(*this);
  }
  void connectionLost(const Failure& why) override {
    lost = true;
    reason = why;
  }
  std::function<void(Sink&)> onData;
  int made = 0;
  bool lost = false;
  Failure reason;
  std::uint64_t bytes = 0;
  std::uint64_t hash = 1469598103934665603ull;
};

class OneProtocolFactory : public ClientFactory {
 public:
  explicit OneProtocolFactory(std::shared_ptr<Protocol> p) : p_(std::move(p)) {}
  std::shared_ptr<Protocol> buildProtocol(const Address&) override {
    auto p = std::exchange(p_, nullptr);
    return p;
  }

 private:
  std::shared_ptr<Protocol> p_;
};

class IocpTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ensureSocketsInitialized();
    reactor_ = std::make_unique<Reactor>(ReactorOptions{.backend = "iocp"});
  }
  void TearDown() override {
    for (DelayedCall& c : reactor_->getDelayedCalls()) c.cancel();
    // Let aborted completions of closed sockets drain.
    for (int i = 0; i < 5; ++i) reactor_->iterate(Seconds(0.01));
    reactor_.reset();
  }

  template <typename Pred>
  bool iterateUntil(Pred done, double seconds = 10) {
    const double deadline = reactor_->seconds() + seconds;
    while (!done()) {
      if (reactor_->seconds() > deadline) return false;
      reactor_->iterate(Seconds(0.01));
    }
    return true;
  }

  // A connected loopback pair of overlapped sockets, made without the
  // reactor: {client, server}.
  std::pair<SOCKET, SOCKET> socketPair() {
    SOCKET l =
        WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, WSA_FLAG_OVERLAPPED);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(l, 1), 0);
    int len = sizeof a;
    ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len);
    SOCKET c =
        WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, WSA_FLAG_OVERLAPPED);
    EXPECT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    SOCKET s = ::accept(l, nullptr, nullptr);
    ::closesocket(l);
    return {c, s};
  }

  // Starts a WSARecv on `s` into `buf` with startOperation, `done` as its
  // completion. Returns what WSARecv said: 0 (done inline) or its
  // WSAGetLastError() (WSA_IO_PENDING: a packet will come).
  int startReceive(bool skipOnSuccess, SOCKET s, std::span<char> buf,
                   IocpOperation::Callback done) {
    int rc = -1;
    startOperation(
        *reactor_, skipOnSuccess, owner_, std::move(done),
        [&](OVERLAPPED* o, DWORD* bytes) {
          WSABUF b{static_cast<ULONG>(buf.size()), buf.data()};
          DWORD flags = 0;
          rc = WSARecv(s, &b, 1, bytes, &flags, o, nullptr) == 0 ? 0 : WSAGetLastError();
          return rc;
        });
    return rc;
  }

  // Serves `server` on a loopback port and connects `client` to it. Returns
  // the port once both ends are connected; null (the failure reported) if
  // it could not listen or they never connected.
  std::shared_ptr<ListeningPort> serveAndConnect(const std::shared_ptr<Sink>& server,
                                                 const std::shared_ptr<Sink>& client) {
    auto port = listenTCP(*reactor_, 0, std::make_shared<OneProtocolFactory>(server),
                          {.interface = "127.0.0.1"});
    EXPECT_TRUE(port.ok()) << port.status();
    if (!port.ok()) return nullptr;
    connectTCP(*reactor_, "127.0.0.1", (*port)->getHost().port,
               std::make_shared<OneProtocolFactory>(client));
    if (!iterateUntil([&] { return client->made && server->made; })) {
      ADD_FAILURE() << "the client and the server never both connected";
      return nullptr;
    }
    return *port;
  }

  // Stops listening on `port`: true once that is done.
  bool stopListening(ListeningPort& port) {
    bool stopped = false;
    port.stopListening().addCallback([&] { stopped = true; });
    return iterateUntil([&] { return stopped; });
  }

  // Owns the operations a test starts by hand; counts completions that threw.
  class TestOwner final : public CompletionOwner {
   public:
    std::string logPrefix() const override { return "TestOwner"; }
    void completionFailed(std::exception_ptr) override { ++failures; }
    int failures = 0;
  };

  std::unique_ptr<Reactor> reactor_;
  TestOwner owner_;
};

// FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: a WSARecv with data already
// waiting succeeds inline and posts no packet; startOperation completes it
// itself, on the next pass and not inside the call.
TEST_F(IocpTransportTest, InlineSuccessCompletesOnNextPass) {
  auto [c, s] = socketPair();
  absl::StatusOr<bool> skip = associateSocket(*reactor_, s);
  ASSERT_TRUE(skip.ok()) << skip.status();
  if (!*skip) GTEST_SKIP() << "SetFileCompletionNotificationModes refused the mode";
  ASSERT_EQ(::send(c, "hello", 5, 0), 5);
  Sleep(50);  // let loopback deliver before the receive starts
  char buf[16];
  int runs = 0;
  std::uint32_t got = 0;
  std::uint32_t err = 99;
  const int rc = startReceive(*skip, s, buf, [&](std::uint32_t e, std::uint32_t n) {
    ++runs;
    err = e;
    got = n;
  });
  EXPECT_EQ(rc, 0) << "expected the receive to succeed inline";
  EXPECT_EQ(runs, 0);  // never inside startOperation
  ASSERT_TRUE(iterateUntil([&] { return runs > 0; }));
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(err, 0u);
  EXPECT_EQ(std::string(buf, got), "hello");
  // No packet was queued for it: nothing else completes.
  for (int i = 0; i < 3; ++i) reactor_->iterate(Seconds(0.01));
  EXPECT_EQ(runs, 1);
  ::closesocket(c);
  ::closesocket(s);
}

// Without skip mode (a provider that is not IFS, or the mode refused) an
// inline success still queues a packet: the operation completes once,
// from poll().
TEST_F(IocpTransportTest, InlineSuccessWithoutSkipModeCompletesOnceFromPoll) {
  auto [c, s] = socketPair();
  ASSERT_TRUE(reactor_->completionPort()->associate(s).ok());
  ASSERT_EQ(::send(c, "hello", 5, 0), 5);
  Sleep(50);
  char buf[16];
  int runs = 0;
  std::uint32_t got = 0;
  startReceive(/*skipOnSuccess=*/false, s, buf, [&](std::uint32_t, std::uint32_t n) {
    ++runs;
    got = n;
  });
  EXPECT_EQ(runs, 0);
  ASSERT_TRUE(iterateUntil([&] { return runs > 0; }));
  for (int i = 0; i < 3; ++i) reactor_->iterate(Seconds(0.01));
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(std::string(buf, got), "hello");
  ::closesocket(c);
  ::closesocket(s);
}

// A receive pending when its socket is closed completes (once) as
// aborted, through poll().
TEST_F(IocpTransportTest, CompletionAfterCloseIsAborted) {
  auto [c, s] = socketPair();
  absl::StatusOr<bool> skip = associateSocket(*reactor_, s);
  ASSERT_TRUE(skip.ok()) << skip.status();
  char buf[16];
  int runs = 0;
  std::uint32_t err = 0;
  const int rc = startReceive(*skip, s, buf, [&](std::uint32_t e, std::uint32_t) {
    ++runs;
    err = e;
  });
  ASSERT_EQ(rc, WSA_IO_PENDING);
  reactor_->iterate(Seconds(0.01));
  EXPECT_EQ(runs, 0);
  cancelAndClose(s);
  EXPECT_EQ(s, INVALID_SOCKET);
  ASSERT_TRUE(iterateUntil([&] { return runs > 0; }));
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(isAborted(err)) << win32ErrorTextAndNumber(err);
  ::closesocket(c);
}

// The connection outlives connectionLost while its operations are queued
// (each holds it), and goes away once they have completed (aborted).
TEST_F(IocpTransportTest, ConnectionLivesUntilItsOperationsComplete) {
  auto server = std::make_shared<Sink>();
  auto client = std::make_shared<Sink>();
  auto port = serveAndConnect(server, client);
  ASSERT_TRUE(port);
  auto* conn = dynamic_cast<IocpStreamConnection*>(server->transport());
  ASSERT_NE(conn, nullptr) << "listenTCP on iocp must use the IOCP transport";
  std::weak_ptr<StreamTransport> weak = conn->weak_from_this();
  EXPECT_EQ(conn->operationsInFlight(), 1);  // the one pending WSARecv
  conn->loseConnection();
  ASSERT_TRUE(iterateUntil([&] { return server->lost; }));
  EXPECT_TRUE(server->reason.check<ConnectionDone>());
  // Closed, but the receive it queued may still be on its way back.
  ASSERT_TRUE(iterateUntil([&] { return weak.expired(); }));
  ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
  ASSERT_TRUE(stopListening(*port));
}

// 16 MiB into a consumer that pauses after every 256 KiB and resumes 5 ms
// later: nothing is delivered while paused, nothing is lost or reordered.
TEST_F(IocpTransportTest, BulkTransferIntoPausingConsumer) {
  constexpr std::uint64_t kTotal = 16u << 20;
  auto server = std::make_shared<Sink>();
  bool deliveredWhilePaused = false;
  bool paused = false;
  int pauses = 0;
  std::uint64_t nextPause = 256 * 1024;
  server->onData = [&](Sink& s) {
    if (paused) deliveredWhilePaused = true;
    if (s.bytes >= nextPause && s.bytes < kTotal) {
      nextPause = s.bytes + 256 * 1024;
      paused = true;
      ++pauses;
      s.transport()->pauseProducing();
      reactor_->callLater(Seconds(0.005), [&s, &paused] {
        paused = false;
        if (s.transport() != nullptr) s.transport()->resumeProducing();
      });
    }
  };
  auto client = std::make_shared<Sink>();
  auto port = serveAndConnect(server, client);
  ASSERT_TRUE(port);
  std::uint64_t sentHash = 1469598103934665603ull;
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  std::string chunk(64 * 1024, '\0');
  client->transport()->setWriteBufferLimits({.hardLimit = 64u << 20});
  for (std::uint64_t sent = 0; sent < kTotal; sent += chunk.size()) {
    for (char& ch : chunk) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      ch = static_cast<char>(state);
      sentHash = (sentHash ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
    }
    client->transport()->write(chunk);
  }
  client->transport()->loseConnection();
  ASSERT_TRUE(iterateUntil([&] { return server->lost; }, 120));
  EXPECT_EQ(server->bytes, kTotal);
  EXPECT_EQ(server->hash, sentHash);
  EXPECT_FALSE(deliveredWhilePaused);
  EXPECT_GT(pauses, 10);
  EXPECT_TRUE(server->reason.check<ConnectionDone>()) << server->reason.getErrorMessage();
  ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
  ASSERT_TRUE(stopListening(*port));
}

// abortConnection closes with SO_LINGER {1, 0}: the peer's pending receive
// sees a reset, not a clean end of stream (on Wine: an end of file with
// POLLERR, which peerResetAtEof tells apart).
TEST_F(IocpTransportTest, AbortSendsReset) {
  auto server = std::make_shared<Sink>();
  auto client = std::make_shared<Sink>();
  auto port = serveAndConnect(server, client);
  ASSERT_TRUE(port);
  client->transport()->write("unsent maybe");
  client->transport()->abortConnection();
  EXPECT_FALSE(client->lost);  // never re-entrantly
  ASSERT_TRUE(iterateUntil([&] { return client->lost && server->lost; }));
  EXPECT_TRUE(client->reason.check<ConnectionAborted>());
  EXPECT_TRUE(server->reason.check<ConnectionLost>()) << server->reason.getErrorMessage();
  EXPECT_FALSE(server->reason.check<ConnectionDone>())
      << server->reason.getErrorMessage();
  ASSERT_TRUE(stopListening(*port));
}

// An abort while a WSASend is pending (the peer does not read): the bytes
// in flight stay owned by the connection until that send comes back
// aborted; writeBufferSize() reads 0 from the abort on.
TEST_F(IocpTransportTest, AbortWithSendInFlight) {
  auto server = std::make_shared<Sink>();
  server->onData = [](Sink& s) { s.transport()->pauseProducing(); };
  auto client = std::make_shared<Sink>();
  auto port = serveAndConnect(server, client);
  ASSERT_TRUE(port);
  auto* conn = dynamic_cast<IocpStreamConnection*>(client->transport());
  ASSERT_NE(conn, nullptr);
  std::weak_ptr<StreamTransport> weak = conn->weak_from_this();
  const std::string chunk(1 << 20, 'q');
  // Until the kernel pushes back: a send stays pending, bytes stay queued.
  for (int i = 0; i < 48 && conn->writeBufferSize() == 0; ++i) {
    conn->write(chunk);
    for (int k = 0; k < 3; ++k) reactor_->iterate(Seconds(0.005));
  }
  ASSERT_GT(conn->writeBufferSize(), 0u) << "the kernel never pushed back";
  EXPECT_EQ(conn->operationsInFlight(), 2);  // the WSARecv and one WSASend
  conn->abortConnection();
  EXPECT_EQ(conn->writeBufferSize(), 0u);
  EXPECT_FALSE(client->lost);
  ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
  EXPECT_TRUE(client->reason.check<ConnectionAborted>());
  ASSERT_TRUE(iterateUntil([&] { return weak.expired(); }));
  // The paused server reads again and learns of the reset.
  server->onData = nullptr;
  server->transport()->resumeProducing();
  ASSERT_TRUE(iterateUntil([&] { return server->lost; }));
  EXPECT_FALSE(server->reason.check<ConnectionDone>())
      << server->reason.getErrorMessage();
  ASSERT_TRUE(stopListening(*port));
}

// A write on a connection whose send is in flight is queued behind it (one
// WSASend at a time) and the bytes arrive in order.
TEST_F(IocpTransportTest, OneSendInFlightKeepsOrder) {
  auto server = std::make_shared<Sink>();
  std::string received;
  server->onData = [&](Sink&) {};
  class Collect : public Sink {
   public:
    void dataReceived(std::string_view d) override {
      text.append(d);
      Sink::dataReceived(d);
    }
    std::string text;
  };
  auto collector = std::make_shared<Collect>();
  auto client = std::make_shared<Sink>();
  auto port = serveAndConnect(collector, client);
  ASSERT_TRUE(port);
  auto* conn = dynamic_cast<IocpStreamConnection*>(client->transport());
  ASSERT_NE(conn, nullptr);
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    const std::string piece = std::to_string(i) + ",";
    expected += piece;
    conn->write(piece);
    // The first write started a WSASend; the rest wait in the buffer.
    EXPECT_LE(conn->operationsInFlight(), 2);  // the WSARecv and one WSASend
  }
  conn->loseConnection();
  ASSERT_TRUE(iterateUntil([&] { return collector->lost; }));
  EXPECT_EQ(collector->text, expected);
  ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
  ASSERT_TRUE(stopListening(*port));
}

// stopListening closes the listener; the Deferred fires only once the
// pending AcceptEx has come back aborted, and the factory is stopped then.
TEST_F(IocpTransportTest, StopListeningWaitsForTheAbortedAccept) {
  class CountingFactory : public ServerFactory {
   public:
    std::shared_ptr<Protocol> buildProtocol(const Address&) override { return nullptr; }
    void stopFactory() override { ++stops; }
    int stops = 0;
  };
  auto factory = std::make_shared<CountingFactory>();
  auto port = listenTCP(*reactor_, 0, factory, {.interface = "127.0.0.1"});
  ASSERT_TRUE(port.ok()) << port.status();
  auto iocpPort = std::dynamic_pointer_cast<IocpStreamPort>(*port);
  ASSERT_NE(iocpPort, nullptr) << "listenTCP on iocp must use the IOCP port";
  EXPECT_EQ(iocpPort->operationsInFlight(), 1);  // one AcceptEx
  bool stopped = false;
  (*port)->stopListening().addCallback([&] {
    stopped = true;
    EXPECT_EQ(iocpPort->operationsInFlight(), 0);
  });
  EXPECT_FALSE(stopped);  // never re-entrantly
  EXPECT_EQ(factory->stops, 0);
  ASSERT_TRUE(iterateUntil([&] { return stopped; }));
  EXPECT_EQ(factory->stops, 1);
  // The address is free again at once.
  auto again =
      listenTCP(*reactor_, (*port)->getHost().port, factory, {.interface = "127.0.0.1"});
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(stopListening(**again));
}

// A UDP port outlives stopListening while its WSARecvFrom is out (the
// operation holds it, and its buffer), and goes once that came back.
TEST_F(IocpTransportTest, UdpPortLivesUntilItsReceiveCompletes) {
  class Quiet : public DatagramProtocol {};
  auto port = listenUDP(*reactor_, 0, std::make_shared<Quiet>(), "127.0.0.1");
  ASSERT_TRUE(port.ok()) << port.status();
  auto udp = std::dynamic_pointer_cast<IocpUdpPort>(*port);
  ASSERT_NE(udp, nullptr) << "listenUDP on iocp must use the IOCP port";
  EXPECT_EQ(udp->operationsInFlight(), 1);
  std::weak_ptr<IocpUdpPort> weak = udp;
  udp.reset();
  bool stopped = false;
  (*port)->stopListening().addCallback([&] { stopped = true; });
  port = absl::StatusOr<std::shared_ptr<DatagramTransport>>(nullptr);
  ASSERT_TRUE(iterateUntil([&] { return stopped; }));
  ASSERT_TRUE(iterateUntil([&] { return weak.expired(); }));
}

// An exception thrown by a completion does not escape Reactor::run(): it is
// logged, its owner fails, and the loop goes on (core/completion_dispatch.h).
// Before the completions went through core's sink, the backend's poll()
// rethrew it and it left run() with the reactor half-way through a pass.
TEST_F(IocpTransportTest, ThrowingCompletionDoesNotEscapeRun) {
  log::LogCapture capture;
  auto* op = new IocpOperation(owner_, [](std::uint32_t, std::uint32_t) {
    throw std::runtime_error("completion blew up");
  });
  auto* iocp = dynamic_cast<IocpBackend*>(reactor_->completionPort());
  ASSERT_NE(iocp, nullptr);
  ASSERT_TRUE(PostQueuedCompletionStatus(iocp->port(), 0, 0, op->overlapped()));
  bool later = false;
  reactor_->callLater(Seconds(0.05), [&] {
    later = true;
    reactor_->stop();
  });
  EXPECT_NO_THROW(reactor_->run(false));
  EXPECT_TRUE(later);
  EXPECT_EQ(owner_.failures, 1);
  ASSERT_EQ(capture.errors().size(), 1u);
}

}  // namespace
}  // namespace torsion::net::internal
