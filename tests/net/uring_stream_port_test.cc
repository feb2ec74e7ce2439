// White-box tests of the io_uring listening port (net/uring/uring_stream_port.h),
// for what the conformance suites (AllBackends/.../io_uring) cannot see: that
// listeners accept with a multishot request where the kernel has it, the
// single-shot fallback, a burst of clients all accepted either way, and
// stopListening with an accept in flight leaving no request behind.
// Skipped where io_uring is unavailable.
#include "net/uring/uring_stream_port.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "backends/io_uring_backend.h"
#include "backends/io_uring_port.h"
#include "tests/net/uring_test_util.h"

namespace torsion::testing {
namespace {

using net::internal::UringStreamPort;

class UringStreamPortTest : public UringNetTest {
 protected:
  const IoUringBackend& backend() {
    return dynamic_cast<const IoUringBackend&>(reactor().backend());
  }

  // `n` raw clients connected to `p` at once, before the reactor runs:
  // they wait in the listener's backlog.
  static std::vector<int> connectBurst(const std::shared_ptr<net::ListeningPort>& p,
                                       int n) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(portOf(p));
    std::vector<int> clients;
    for (int i = 0; i < n; ++i) {
      // Non-blocking: a full backlog must not block the test.
      const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      const int rc = ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
      EXPECT_TRUE(rc == 0 || errno == EINPROGRESS) << strerror(errno);
      clients.push_back(c);
    }
    return clients;
  }

  // A burst of clients is accepted, each by its own protocol whose peer
  // address is the client's.
  void expectBurstAccepted(bool multishot) {
    constexpr int kClients = 100;
    auto serverFactory = std::make_shared<TestFactory>(
        [] { return std::make_shared<RecordingProtocol>(); });
    // A backlog that holds the whole burst until the reactor runs.
    auto listening = net::listenTCP(reactor(), 0, serverFactory,
                                    {.backlog = 2 * kClients, .interface = "127.0.0.1"});
    ASSERT_TRUE(listening.ok()) << listening.status();
    std::shared_ptr<net::ListeningPort> p = *listening;
    auto* listener = dynamic_cast<UringStreamPort*>(p.get());
    ASSERT_NE(listener, nullptr);
    std::vector<int> clients = connectBurst(p, kClients);
    ASSERT_TRUE(iterateUntil([&] { return serverFactory->built.size() == kClients; }));
    EXPECT_EQ(listener->multishot(), multishot);
    EXPECT_EQ(listener->operationsInFlight(), 1);
    for (const net::Address& peer : serverFactory->addresses) {
      EXPECT_EQ(peer.host, "127.0.0.1");
      EXPECT_NE(peer.port, 0);
    }
    for (int c : clients) ::close(c);
    ASSERT_TRUE(iterateUntil([&] {
      for (auto& built : serverFactory->built) {
        if (!std::static_pointer_cast<RecordingProtocol>(built)->lost) return false;
      }
      return true;
    }));
    bool stopped = false;
    p->stopListening().addCallback([&] { stopped = true; });
    ASSERT_TRUE(iterateUntil([&] { return stopped; }));
  }
};

// Where the kernel has multishot accepts, one request serves the whole
// burst, and the features string says so.
TEST_P(UringStreamPortTest, BurstOfClientsAllAcceptedByOneRequest) {
  ASSERT_NE(port(), nullptr);
  if (!port()->multishotAccept()) GTEST_SKIP() << port()->featureSummary();
  expectBurstAccepted(/*multishot=*/true);
  const std::string summary = port()->featureSummary();
  EXPECT_EQ(summary.substr(summary.rfind(',') + 1), "accept_multishot") << summary;
}

// TORSION_IO_URING_OFF=accept_multishot: one accept at a time, asked again
// after each; the burst is still accepted in full.
TEST_P(UringStreamPortTest, SingleShotFallbackAcceptsTheBurst) {
  ::setenv("TORSION_IO_URING_OFF", "accept_multishot", 1);
  rebuildReactor(ReactorOptions{.backend = "io_uring"});
  ::unsetenv("TORSION_IO_URING_OFF");
  ASSERT_NE(port(), nullptr);
  EXPECT_FALSE(port()->multishotAccept());
  expectBurstAccepted(/*multishot=*/false);
  const std::string summary = port()->featureSummary();
  EXPECT_EQ(summary.substr(summary.rfind(',') + 1), "accept") << summary;
}

// stopListening with the accept armed in the kernel: the request is
// cancelled, and by the time the Deferred fires its last completion has
// arrived, so nothing of the port's is left in the ring. The address can
// be bound again at once.
TEST_P(UringStreamPortTest, StopListeningLeavesNoRequestBehind) {
  auto serverFactory = std::make_shared<TestFactory>();
  auto p = net::listenTCP(reactor(), 0, serverFactory, {.interface = "127.0.0.1"});
  ASSERT_TRUE(p.ok()) << p.status();
  auto* listener = dynamic_cast<UringStreamPort*>(p->get());
  ASSERT_NE(listener, nullptr);
  // Let the accept reach the kernel and wait there.
  for (int i = 0; i < 3; ++i) reactor().iterate(Seconds(0.01));
  ASSERT_EQ(listener->operationsInFlight(), 1);
  EXPECT_EQ(backend().liveOperations(), 1u);
  const std::uint16_t number = portOf(*p);
  bool stopped = false;
  (*p)->stopListening().addCallback([&] { stopped = true; });
  EXPECT_FALSE(stopped);  // never re-entrantly
  EXPECT_EQ(serverFactory->stopped, 0);
  ASSERT_TRUE(iterateUntil([&] { return stopped; }));
  EXPECT_EQ(serverFactory->stopped, 1);
  EXPECT_EQ(listener->operationsInFlight(), 0);
  EXPECT_EQ(backend().liveOperations(), 0u);
  auto again =
      net::listenTCP(reactor(), number, serverFactory, {.interface = "127.0.0.1"});
  ASSERT_TRUE(again.ok()) << again.status();
  stopped = false;
  (*again)->stopListening().addCallback([&] { stopped = true; });
  ASSERT_TRUE(iterateUntil([&] { return stopped; }));
  EXPECT_EQ(backend().liveOperations(), 0u);
}

INSTANTIATE_TEST_SUITE_P(IoUring, UringStreamPortTest, ::testing::Values("io_uring"));

}  // namespace
}  // namespace torsion::testing
