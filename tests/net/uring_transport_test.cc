// White-box tests of the io_uring stream transports (net/uring/), for what
// the conformance suites (AllBackends/.../io_uring) cannot see: that the
// io_uring backend serves connections with completions at all, that
// switching them off falls back to readiness, cancellation on close with
// sends in flight, a peer reset in the middle of a send, and the completion
// exception policy. Skipped where io_uring is unavailable.
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "backends/io_uring_backend.h"
#include "backends/io_uring_port.h"
#include "core/errors.h"
#include "core/file_descriptor.h"
#include "net/uring/uring_stream_connection.h"
#include "tests/net/uring_test_util.h"

namespace torsion::testing {
namespace {

using net::internal::UringStreamConnection;

struct Boom : std::runtime_error {
  Boom() : std::runtime_error("boom") {}
};

class UringTransportTest : public UringNetTest {
 protected:
  // A raw client socket connected to `p` (the reactor accepts it), with a
  // small receive buffer so that a server's sends stay in flight.
  int rawClient(const std::shared_ptr<net::ListeningPort>& p, int rcvbuf = 4096) {
    const int c = ::socket(AF_INET, SOCK_STREAM, 0);
    ::setsockopt(c, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(portOf(p));
    EXPECT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return c;
  }

  // A client of the echo server `serverFactory` builds, once "ping" has
  // made the round trip (then client->received is "ping").
  std::shared_ptr<RecordingProtocol> pingEcho(
      std::shared_ptr<TestFactory> serverFactory) {
    auto client = std::make_shared<RecordingProtocol>();
    client->onMade = [](RecordingProtocol& c) { c.transport()->write("ping"); };
    connect(listen(std::move(serverFactory)), factoryFor(client));
    EXPECT_TRUE(iterateUntil([&] { return client->received == "ping"; }));
    return client;
  }

  // A server connection whose 4 MiB send is stalled in the kernel on the
  // window of `client`, a rawClient() that reads nothing. `server` is null
  // if the connection never came.
  struct StalledSend {
    std::shared_ptr<RecordingProtocol> server;
    int client;
  };
  StalledSend stallServerSend() {
    auto serverFactory = std::make_shared<TestFactory>([] {
      auto s = std::make_shared<RecordingProtocol>();
      s->onMade = [](RecordingProtocol& self) {
        self.transport()->write(std::string(4 << 20, 'x'));
      };
      return s;
    });
    const int c = rawClient(listen(serverFactory));
    EXPECT_TRUE(iterateUntil([&] { return serverFactory->protocol() != nullptr; }));
    // Let the send reach the kernel and stall on the peer's full window.
    for (int i = 0; i < 5; ++i) reactor().iterate(Seconds(0.01));
    return {serverFactory->protocol(), c};
  }
};

// Both ends of a loopback connection are io_uring connections, and an echo
// round trip works through them.
TEST_P(UringTransportTest, ConnectionsUseCompletions) {
  ASSERT_NE(port(), nullptr);
  auto serverFactory = std::make_shared<TestFactory>();
  auto client = pingEcho(serverFactory);
  ASSERT_EQ(client->received, "ping");
  EXPECT_NE(dynamic_cast<UringStreamConnection*>(client->transport()), nullptr);
  auto server = serverFactory->protocol();
  ASSERT_NE(server, nullptr);
  EXPECT_NE(dynamic_cast<UringStreamConnection*>(server->transport()), nullptr);
  // Kernels before 6.0 refuse multishot receives, before 5.19 multishot
  // accepts: one at a time then.
  const std::string summary = port()->featureSummary();
  EXPECT_TRUE(summary == "send,sendmsg,recv_multishot(64x16384),accept_multishot" ||
              summary == "send,sendmsg,recv,accept_multishot" ||
              summary == "send,sendmsg,recv,accept")
      << summary;
  client->transport()->loseConnection();
  ASSERT_TRUE(iterateUntil([&] { return client->lost && server->lost; }));
  EXPECT_TRUE(client->reason.check<ConnectionDone>());
}

// TORSION_IO_URING_OFF=completions: the backend offers no port and the
// readiness connection serves the socket, with the same behaviour.
TEST_P(UringTransportTest, CompletionsSwitchedOffFallBackToReadiness) {
  ::setenv("TORSION_IO_URING_OFF", "completions", 1);
  rebuildReactor(ReactorOptions{.backend = "io_uring"});
  ::unsetenv("TORSION_IO_URING_OFF");
  EXPECT_EQ(reactor().completionPort(), nullptr);
  auto client = pingEcho(std::make_shared<TestFactory>());
  ASSERT_EQ(client->received, "ping");
  EXPECT_NE(dynamic_cast<FileDescriptor*>(client->transport()), nullptr);
  client->transport()->loseConnection();
  ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
}

// An unknown name in TORSION_IO_URING_OFF is reported, and switches nothing.
TEST_P(UringTransportTest, UnknownFeatureNameIsReported) {
  ::setenv("TORSION_IO_URING_OFF", "no-such-feature", 1);
  rebuildReactor(ReactorOptions{.backend = "io_uring"});
  ::unsetenv("TORSION_IO_URING_OFF");
  EXPECT_NE(reactor().completionPort(), nullptr);
  // Reported once per process: by this reactor, unless the test repeats.
  for (const log::Event& e : log().flushErrors()) {
    EXPECT_NE(e.message.find("'no-such-feature'"), std::string::npos) << e.message;
  }
}

// Closing with sends in flight: the requests are cancelled, the connection
// is lost once, every request completes and then releases the connection,
// and the peer sees the connection end.
TEST_P(UringTransportTest, AbortWithSendsInFlightCancelsThem) {
  std::weak_ptr<net::Transport> weak;
  const StalledSend stalled = stallServerSend();
  ASSERT_NE(stalled.server, nullptr);
  auto server = stalled.server;
  const int c = stalled.client;
  auto* conn = dynamic_cast<UringStreamConnection*>(server->transport());
  ASSERT_NE(conn, nullptr);
  EXPECT_GT(server->transport()->writeBufferSize(), 0u);
  EXPECT_GT(conn->operationsInFlight(), 0);
  weak = conn->shared_from_this();
  server->transport()->abortConnection();
  ASSERT_TRUE(iterateUntil([&] { return server->lost; }));
  EXPECT_EQ(server->lostCount, 1);
  EXPECT_TRUE(server->reason.check<net::ConnectionAborted>());
  // The socket is closed at once. Only the cancelled requests may still hold
  // the connection; once they have completed it is gone (and its socket
  // with it), so look at it only through a reference taken while it lives.
  if (std::shared_ptr<net::Transport> alive = weak.lock()) {
    auto* live = dynamic_cast<UringStreamConnection*>(alive.get());
    ASSERT_NE(live, nullptr);
    EXPECT_TRUE(live->socketClosed());
  }
  conn = nullptr;
  // Every cancelled request completes, then nothing holds the connection.
  ASSERT_TRUE(iterateUntil([&] { return weak.expired(); }));
  // The peer reads what it had, then the reset.
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(c, buf, sizeof buf, 0)) > 0) {
  }
  EXPECT_LE(n, 0);
  ::close(c);
}

// loseConnection with a send in flight waits for it: every byte arrives,
// then end of file.
TEST_P(UringTransportTest, LoseConnectionDrainsSendsInFlight) {
  constexpr std::size_t kBytes = 2 << 20;
  auto serverFactory = std::make_shared<TestFactory>([&] {
    auto s = std::make_shared<RecordingProtocol>();
    s->onMade = [](RecordingProtocol& self) {
      self.transport()->write(std::string(kBytes, 'y'));
      self.transport()->loseConnection();
    };
    return s;
  });
  auto p = listen(serverFactory);
  auto client = std::make_shared<RecordingProtocol>();
  connect(p, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
  EXPECT_EQ(client->received.size(), kBytes);
  EXPECT_TRUE(client->reason.check<ConnectionDone>());
}

// The peer resets the connection while a send is stalled on its window: the
// send completes with the error and the connection is lost with
// ConnectionLost (not ConnectionDone), once.
TEST_P(UringTransportTest, PeerResetMidSendLosesTheConnection) {
  const StalledSend stalled = stallServerSend();
  ASSERT_NE(stalled.server, nullptr);
  auto server = stalled.server;
  const int c = stalled.client;
  ASSERT_GT(server->transport()->writeBufferSize(), 0u) << "the send did not stall";
  linger l{1, 0};
  ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(c);  // RST
  ASSERT_TRUE(iterateUntil([&] { return server->lost; }));
  EXPECT_EQ(server->lostCount, 1);
  EXPECT_TRUE(server->reason.check<ConnectionLost>()) << server->reason.getErrorMessage();
}

// dataReceived throwing inside a completion: logged, and the connection is
// lost with that error (core/completion_dispatch.h), as on readiness.
TEST_P(UringTransportTest, ThrowingDataReceivedLosesTheConnection) {
  auto serverFactory = std::make_shared<TestFactory>([&] {
    auto s = std::make_shared<RecordingProtocol>();
    s->onData = [](RecordingProtocol&, std::string_view) { throw Boom(); };
    return s;
  });
  auto p = listen(serverFactory);
  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [](RecordingProtocol& c) { c.transport()->write("hi"); };
  connect(p, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] {
    return serverFactory->protocol() != nullptr && serverFactory->protocol()->lost;
  }));
  auto server = serverFactory->protocol();
  EXPECT_TRUE(server->reason.check<Boom>());
  ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
  const std::vector<log::Event> errors = log().flushErrors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("unhandled error in completion"), std::string::npos)
      << errors[0].message;
}

// A server that pauses reading after the first bytes and resumes 100 ms
// later: the multishot receive is cancelled, what it brought meanwhile is
// held, and every byte arrives once, in order.
TEST_P(UringTransportTest, PauseHoldsWhatTheReceiveBrings) {
  std::string sent;
  for (int i = 0; sent.size() < (1 << 20); ++i) sent += std::to_string(i) + ",";
  DelayedCall resume;
  bool paused = false;
  auto serverFactory = std::make_shared<TestFactory>([&] {
    auto s = std::make_shared<RecordingProtocol>();
    s->onData = [&](RecordingProtocol& self, std::string_view) {
      if (paused) return;
      paused = true;
      self.transport()->pauseProducing();
      net::Transport* t = self.transport();
      resume = reactor().callLater(Seconds(0.1), [t] { t->resumeProducing(); });
    };
    return s;
  });
  auto p = listen(serverFactory);
  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [&](RecordingProtocol& c) {
    c.transport()->write(sent);
    c.transport()->loseConnection();
  };
  connect(p, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] {
    return serverFactory->protocol() != nullptr && serverFactory->protocol()->lost;
  }));
  EXPECT_TRUE(paused);
  EXPECT_EQ(serverFactory->protocol()->received, sent);
  EXPECT_TRUE(serverFactory->protocol()->reason.check<ConnectionDone>());
}

INSTANTIATE_TEST_SUITE_P(IoUring, UringTransportTest, ::testing::Values("io_uring"));

// Two provided buffers of 1 KiB shared by both ends of a connection that
// carries 4 MiB each way: the buffers run out over and over (the kernel
// ends the multishot receive with ENOBUFS), and still every byte arrives
// once, in order.
TEST(UringBufferRingTest, ExhaustedBuffersLoseNothing) {
  if (absl::Status s = IoUringBackend::probe(); !s.ok()) {
    GTEST_SKIP() << "io_uring is unavailable here: " << s;
  }
  IoUringBackend::Options options;
  options.recvBuffers = 2;
  options.recvBufferSize = 1024;
  absl::StatusOr<std::unique_ptr<Backend>> backend = IoUringBackend::create(options);
  ASSERT_TRUE(backend.ok()) << backend.status();
  Reactor reactor(*std::move(backend), ReactorOptions{});
  auto iterateUntil = [&](auto done) {
    const double deadline = reactor.seconds() + 30;
    while (!done() && reactor.seconds() < deadline) reactor.iterate(Seconds(0.01));
    return done();
  };
  std::string sent;
  for (int i = 0; sent.size() < (4 << 20); ++i) sent += std::to_string(i) + ";";
  auto serverFactory = std::make_shared<TestFactory>();  // echoes
  auto port = net::listenTCP(reactor, 0, serverFactory, {.interface = "127.0.0.1"});
  ASSERT_TRUE(port.ok()) << port.status();
  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [&](RecordingProtocol& c) { c.transport()->write(sent); };
  client->onData = [&](RecordingProtocol& c, std::string_view) {
    if (c.received.size() == sent.size()) c.transport()->loseConnection();
  };
  net::connectTCP(reactor, "127.0.0.1", (*port)->getHost().port, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
  auto* uring = ioUringPortOf(reactor.completionPort());
  ASSERT_NE(uring, nullptr);
  if (uring->receiveBufferGroup() < 0) GTEST_SKIP() << uring->featureSummary();
  EXPECT_EQ(uring->featureSummary(),
            "send,sendmsg,recv_multishot(2x1024),accept_multishot");
  EXPECT_EQ(client->received.size(), sent.size());
  EXPECT_TRUE(client->received == sent) << "bytes reordered or changed";
  EXPECT_TRUE(client->reason.check<ConnectionDone>()) << client->reason.getErrorMessage();
  bool stopped = false;
  (*port)->stopListening().addCallback([&] { stopped = true; });
  ASSERT_TRUE(iterateUntil([&] { return stopped; }));
}

// Options the buffer ring cannot have are refused, naming them.
TEST(UringBufferRingTest, BadBufferOptionsAreRefused) {
  if (absl::Status s = IoUringBackend::probe(); !s.ok()) {
    GTEST_SKIP() << "io_uring is unavailable here: " << s;
  }
  IoUringBackend::Options options;
  options.recvBuffers = 3;
  absl::StatusOr<std::unique_ptr<Backend>> b = IoUringBackend::create(options);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(b.status().message().find("recvBuffers=3"), std::string::npos) << b.status();
}

}  // namespace
}  // namespace torsion::testing
