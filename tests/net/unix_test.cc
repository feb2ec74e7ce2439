// Unix-domain stream sockets on every backend (AllBackends/UnixTest.*):
// the same Protocol/Factory/Transport as TCP (twisted/test/test_unix.py
// UnixSocketTests).
#include "net/unix.h"

#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "backends/registry.h"
#include "gtest/gtest.h"
#include "net/errors.h"
#include "tests/net/net_test_util.h"

namespace torsion::testing {
namespace {

using net::Address;

class UnixTest : public ReactorTest {
 protected:
  void SetUp() override {
    ReactorTest::SetUp();
    // Not TEST_TMPDIR: Bazel's is longer than sun_path allows.
    static int counter = 0;
    path_ = "/tmp/torsion-" + std::to_string(::getpid()) + "-" +
            std::to_string(++counter) + ".sock";
    ::unlink(path_.c_str());
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ReactorTest::TearDown();
  }
  std::string path_;
};

// twisted/test/test_unix.py UnixSocketTests.test_peerBind /
// testDumber-style echo: connect, echo, close; addresses are
// UNIXAddress; the socket file goes away with the port.
TEST_P(UnixTest, EchoAndAddresses) {
  if (path_.size() > 100) GTEST_SKIP() << "socket path too long: " << path_;
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = net::listenUNIX(reactor(), path_, serverFactory);
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_EQ((*port)->getHost(), Address::unixSocket(path_));
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666u);

  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [](RecordingProtocol& p) { p.transport()->write("over unix"); };
  client->onData = [](RecordingProtocol& p, std::string_view) {
    if (p.received == "over unix") p.transport()->loseConnection();
  };
  auto clientFactory = factoryFor(client);
  auto connector = net::connectUNIX(reactor(), path_, clientFactory);
  ASSERT_TRUE(iterateUntil([&] {
    auto s = serverFactory->protocol();
    return client->lost && s && s->lost;
  }));
  EXPECT_EQ(client->received, "over unix");
  EXPECT_TRUE(client->reason.check<ConnectionDone>());
  EXPECT_EQ(client->peer, Address::unixSocket(path_));
  EXPECT_EQ(serverFactory->protocol()->host, Address::unixSocket(path_));
  EXPECT_EQ(connector->getDestination(), Address::unixSocket(path_));
  EXPECT_EQ(clientFactory->losses, 1);
  EXPECT_FALSE(client->transport() != nullptr);
  EXPECT_EQ(Address::unixSocket(path_).toString(), "UNIXAddress('" + path_ + "')");

  bool stopped = false;
  (*port)->stopListening().addCallback([&] { stopped = true; });
  ASSERT_TRUE(iterateUntil([&] { return stopped; }));
  EXPECT_NE(::stat(path_.c_str(), &st), 0);  // removed
}

// TCP-only options are refused on a Unix transport with a clear status.
TEST_P(UnixTest, TcpOptionsRefused) {
  if (path_.size() > 100) GTEST_SKIP() << "socket path too long: " << path_;
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = net::listenUNIX(reactor(), path_, serverFactory);
  ASSERT_TRUE(port.ok()) << port.status();
  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [](RecordingProtocol& p) {
    absl::Status s = p.transport()->setTcpNoDelay(true);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    p.transport()->loseConnection();
  };
  net::connectUNIX(reactor(), path_, factoryFor(client));
  ASSERT_TRUE(iterateUntil([&] {
    auto s = serverFactory->protocol();
    return client->lost && s && s->lost;
  }));
  bool stopped = false;
  (*port)->stopListening().addCallback([&] { stopped = true; });
  ASSERT_TRUE(iterateUntil([&] { return stopped; }));
}

// twisted/test/test_unix.py UnixSocketTests.test_socketLocking-style
// check (without wantPID): an existing socket file makes listenUNIX fail
// with CannotListenError naming the path.
TEST_P(UnixTest, CannotListenOnExistingPath) {
  if (path_.size() > 100) GTEST_SKIP() << "socket path too long: " << path_;
  auto first = net::listenUNIX(reactor(), path_, std::make_shared<TestFactory>());
  ASSERT_TRUE(first.ok());
  auto second = net::listenUNIX(reactor(), path_, std::make_shared<TestFactory>());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find(path_), std::string::npos);
  EXPECT_NE(second.status().message().find("CannotListenError"), std::string::npos);
  bool stopped = false;
  (*first)->stopListening().addCallback([&] { stopped = true; });
  ASSERT_TRUE(iterateUntil([&] { return stopped; }));
}

// Connecting to a path nobody listens on fails with a ConnectError.
TEST_P(UnixTest, ConnectToMissingPath) {
  auto factory = std::make_shared<TestFactory>();
  net::connectUNIX(reactor(), path_, factory);
  ASSERT_TRUE(iterateUntil([&] { return factory->failures == 1; }));
  EXPECT_TRUE(factory->failure.check<net::ConnectError>());
  EXPECT_NE(factory->failure.getErrorMessage().find("No such file"), std::string::npos)
      << factory->failure.getErrorMessage();
}

INSTANTIATE_TEST_SUITE_P(AllBackends, UnixTest, ::testing::ValuesIn(availableBackends()),
                         BackendName());

}  // namespace
}  // namespace torsion::testing
