// POSIX-only cases of AllBackends/TcpFlowTest.*/<backend> (RLIMIT_NOFILE,
// dup()), split from tcp_flow_test.cc so that the portable part also builds
// for Windows. Same suite and test names as before; the fixture is in
// net_test_util.h.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/tcp.h"
#include "tests/net/net_test_util.h"

namespace torsion::testing {
namespace {

// Accept when descriptors run out (EMFILE): no busy loop (the port backs
// off on a timer; a handful of retries, not thousands), established
// connections keep being served, and accepting resumes once descriptors
// are available again. (Twisted's counterpart is
// test_tcp.py AcceptErrorTests / the reserved-fd tests, which close and
// refuse; we keep clients waiting in the backlog instead.)
TEST_P(TcpFlowTest, AcceptWithEMFILE) {
  constexpr int kWaiting = 3;
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = listen(serverFactory);
  // One established connection that must keep working.
  auto early = std::make_shared<RecordingProtocol>();
  connect(port, factoryFor(early));
  ASSERT_TRUE(
      iterateUntil([&] { return early->made == 1 && serverFactory->built.size() == 1; }));
  // One echo before descriptors run out. UBSan's vptr check probes memory
  // through a pipe(), which fails under EMFILE and then reads as an
  // invalid vptr, unless that (type, vptr) pair was checked before.
  early->transport()->write("warm");
  ASSERT_TRUE(iterateUntil([&] { return early->received == "warm"; }));
  early->received.clear();

  // Client sockets for later, created while descriptors are available.
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(portOf(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<int> waiting;
  for (int i = 0; i < kWaiting; ++i) {
    waiting.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
  }
  {
    // No descriptor can be created now: the lowest free number is the limit.
    const int lowestFree = ::dup(0);
    ::close(lowestFree);
    ScopedFdLimit limit(static_cast<rlim_t>(lowestFree));
    ASSERT_TRUE(limit.ok());
    ASSERT_EQ(::dup(0), -1);
    for (int fd : waiting) ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    // The port hits EMFILE; meanwhile the early connection is served.
    early->transport()->write("still served");
    ASSERT_TRUE(iterateUntil([&] { return early->received == "still served"; }));
    const double until = reactor().seconds() + 0.5;
    iterateUntil([&] { return reactor().seconds() > until; });
    EXPECT_EQ(serverFactory->built.size(), 1u);
  }
  // Backed off: 10 ms doubling, so well under 20 retries in 0.5 s + the
  // echo; a busy loop would log thousands.
  int backoffs = 0;
  for (const log::Event& e : log().events()) {
    if (e.message.find("not accepting for") != std::string::npos) ++backoffs;
  }
  EXPECT_GE(backoffs, 1);
  EXPECT_LE(backoffs, 20);
  // Descriptors are back: the waiting clients get accepted.
  ASSERT_TRUE(iterateUntil([&] { return serverFactory->built.size() == 1 + kWaiting; }));
  for (int fd : waiting) ::close(fd);
  early->transport()->loseConnection();
  ASSERT_TRUE(iterateUntil([&] {
    for (auto& p : serverFactory->built) {
      if (!std::static_pointer_cast<RecordingProtocol>(p)->lost) return false;
    }
    return early->lost;
  }));
}

}  // namespace
}  // namespace torsion::testing
