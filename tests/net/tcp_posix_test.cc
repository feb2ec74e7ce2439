// POSIX-only cases of AllBackends/TcpTest.*/<backend>, split from
// tcp_test.cc so that the portable part also builds for Windows. Same
// suite and test names as before; the fixture is in net_test_util.h.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "gtest/gtest.h"
#include "net/errors.h"
#include "net/tcp.h"
#include "tests/net/net_test_util.h"

namespace torsion::testing {
namespace {

// Connect timeout, loopback only: a listening socket with backlog 0 whose
// accept queue holds one unaccepted connection drops further SYNs, so the
// next connect() stays in SYN_SENT until our timeout fires. POSIX-only:
// Windows answers a full backlog with RST (refused), so the trick has no
// winsock equivalent.
// test_tcp.py / twisted/test/test_tcp.py ConnectorTests timeout behaviour
// (N6: TimeoutError after `timeout`).
TEST_P(TcpTest, ConnectTimeout) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
  ASSERT_EQ(::listen(listener, 0), 0);
  int filler = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(filler, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);

  auto factory = std::make_shared<TestFactory>();
  const double start = reactor().seconds();
  net::connectTCP(reactor(), "127.0.0.1", ntohs(a.sin_port), factory,
                  {.timeout = Seconds(0.3)});
  ASSERT_TRUE(iterateUntil([&] { return factory->failures == 1; }));
  const double took = reactor().seconds() - start;
  EXPECT_TRUE(factory->failure.check<net::TimeoutError>())
      << factory->failure.getErrorMessage();
  EXPECT_TRUE(factory->failure.check<net::UserError>());
  EXPECT_GE(took, 0.3);
  EXPECT_TRUE(reactor().getWriters().empty());
  ::close(filler);
  ::close(listener);
}

}  // namespace
}  // namespace torsion::testing
