// Unix-domain stream sockets on every backend (AllBackends/UnixTest.*):
// the same Protocol/Factory/Transport as TCP (twisted/test/test_unix.py
// UnixSocketTests).
#include "net/unix.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "backends/registry.h"
#include "gtest/gtest.h"
#include "net/errors.h"
#include "net/filesystem_lock.h"
#include "net/socket_address.h"
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
    removeFiles();
  }
  void TearDown() override {
    removeFiles();
    ReactorTest::TearDown();
  }
  // The socket file and a wantPID lock, which a failed test may leave (and
  // the sandbox may give the next run the same pid).
  void removeFiles() {
    ::unlink(path_.c_str());
    ::unlink((path_ + ".lock").c_str());
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
  ASSERT_TRUE(iterateUntil([&] { return bothLost(*client, *serverFactory); }));
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
  ASSERT_TRUE(iterateUntil([&] { return bothLost(*client, *serverFactory); }));
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

// A NUL byte ends a C string: "PATH\0evil" used to bind PATH (and, with
// wantPID, lock "PATH" instead of "PATH\0evil.lock"), and a client used to
// connect to PATH. Both are refused, naming the NUL; nothing is created.
TEST_P(UnixTest, NulInPathIsRefused) {
  if (path_.size() > 100) GTEST_SKIP() << "socket path too long: " << path_;
  const std::string nulPath = path_ + std::string("\0evil", 5);
  for (bool wantPID : {false, true}) {
    auto port = net::listenUNIX(reactor(), nulPath, std::make_shared<TestFactory>(),
                                {.wantPID = wantPID});
    struct stat st;
    EXPECT_NE(::lstat(path_.c_str(), &st), 0) << "created " << path_;
    removeFiles();
    if (port.ok()) {
      ADD_FAILURE() << "listening with wantPID=" << wantPID;
      bool stopped = false;
      (*port)->stopListening().addCallback([&] { stopped = true; });
      ASSERT_TRUE(iterateUntil([&] { return stopped; }));
      continue;
    }
    EXPECT_EQ(port.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(port.status().message().find("contains a NUL byte"), std::string::npos)
        << port.status().message();
  }

  // A live server at the cut path: the client must not reach it.
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = net::listenUNIX(reactor(), path_, serverFactory);
  ASSERT_TRUE(port.ok()) << port.status();
  auto factory = std::make_shared<TestFactory>();
  net::connectUNIX(reactor(), nulPath, factory);
  ASSERT_TRUE(
      iterateUntil([&] { return factory->failures + factory->built.size() > 0; }));
  ASSERT_EQ(factory->failures, 1);
  EXPECT_TRUE(factory->failure.check<net::ConnectError>());
  EXPECT_NE(factory->failure.getErrorMessage().find("contains a NUL byte"),
            std::string::npos)
      << factory->failure.getErrorMessage();
  bool stopped = false;
  (*port)->stopListening().addCallback([&] { stopped = true; });
  ASSERT_TRUE(iterateUntil([&] { return stopped && serverFactory->built.empty(); }));
}

INSTANTIATE_TEST_SUITE_P(AllBackends, UnixTest, ::testing::ValuesIn(availableBackends()),
                         BackendName());

// twisted/test/test_unix.py UnixSocketTests.test_pidFile: wantPID holds
// "<path>.lock" while listening, a checkPID client connects, and stopping
// the port releases the lock.
TEST_P(UnixTest, PidFile) {
  if (path_.size() > 100) GTEST_SKIP() << "socket path too long: " << path_;
  const std::string lockPath = path_ + ".lock";
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = net::listenUNIX(reactor(), path_, serverFactory, {.wantPID = true});
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_TRUE(*net::isLocked(lockPath));

  auto client = std::make_shared<RecordingProtocol>();
  client->onMade = [](RecordingProtocol& p) { p.transport()->loseConnection(); };
  net::connectUNIX(reactor(), path_, factoryFor(client), {.checkPID = true});
  ASSERT_TRUE(iterateUntil([&] { return client->lost; }));
  EXPECT_EQ(client->made, 1);

  bool stopped = false;
  (*port)->stopListening().addCallback([&] { stopped = true; });
  ASSERT_TRUE(iterateUntil([&] { return stopped; }));
  EXPECT_FALSE(*net::isLocked(lockPath));
  struct stat st;
  EXPECT_NE(::lstat(lockPath.c_str(), &st), 0);
}

// test_socketLocking: a second wantPID listener on the same file fails with
// CannotListenError while the first listens, and succeeds once it stopped.
TEST_P(UnixTest, SocketLocking) {
  if (path_.size() > 100) GTEST_SKIP() << "socket path too long: " << path_;
  auto serverFactory = std::make_shared<TestFactory>();
  auto port = net::listenUNIX(reactor(), path_, serverFactory, {.wantPID = true});
  ASSERT_TRUE(port.ok()) << port.status();
  auto second = net::listenUNIX(reactor(), path_, serverFactory, {.wantPID = true});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition)
      << second.status();
  EXPECT_NE(second.status().message().find("Cannot acquire lock"), std::string::npos)
      << second.status();
  EXPECT_TRUE(*net::isLocked(path_ + ".lock"));  // the refused one did not release it

  bool stopped = false;
  (*port)->stopListening().addCallback([&] { stopped = true; });
  ASSERT_TRUE(iterateUntil([&] { return stopped; }));
  auto third = net::listenUNIX(reactor(), path_, serverFactory, {.wantPID = true});
  ASSERT_TRUE(third.ok()) << third.status();
  stopped = false;
  (*third)->stopListening().addCallback([&] { stopped = true; });
  ASSERT_TRUE(iterateUntil([&] { return stopped; }));
}

// What a server that died without cleaning up leaves behind: its socket
// file, and a lock naming a process that no longer exists.
void leaveUncleanServer(const std::string& path) {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_EQ(::symlink(std::to_string(child).c_str(), (path + ".lock").c_str()), 0);
  absl::StatusOr<net::internal::SockAddr> address = net::internal::unixPath(path);
  ASSERT_TRUE(address.ok()) << address.status();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::bind(fd, address->get(), address->len), 0);
  ::close(fd);  // the file stays
}

// test_uncleanServerSocketLocking: wantPID takes over from a dead server,
// replacing its socket file.
TEST_P(UnixTest, UncleanServerSocketLocking) {
  if (path_.size() > 100) GTEST_SKIP() << "socket path too long: " << path_;
  leaveUncleanServer(path_);
  auto port = net::listenUNIX(reactor(), path_, std::make_shared<TestFactory>(),
                              {.wantPID = true});
  ASSERT_TRUE(port.ok()) << port.status();
  bool stopped = false;
  (*port)->stopListening().addCallback([&] { stopped = true; });
  ASSERT_TRUE(iterateUntil([&] { return stopped; }));
}

// Without wantPID the dead server's socket file is still in the way.
TEST_P(UnixTest, UncleanServerSocketWithoutWantPIDIsInTheWay) {
  if (path_.size() > 100) GTEST_SKIP() << "socket path too long: " << path_;
  leaveUncleanServer(path_);
  auto port = net::listenUNIX(reactor(), path_, std::make_shared<TestFactory>());
  EXPECT_FALSE(port.ok());
}

// test_connectToUncleanServer: a checkPID client fails with BadFileError
// when the lock's process is dead.
TEST_P(UnixTest, ConnectToUncleanServer) {
  if (path_.size() > 100) GTEST_SKIP() << "socket path too long: " << path_;
  leaveUncleanServer(path_);
  auto client = std::make_shared<RecordingProtocol>();
  auto clientFactory = factoryFor(client);
  net::connectUNIX(reactor(), path_, clientFactory, {.checkPID = true});
  ASSERT_TRUE(iterateUntil([&] { return clientFactory->failures > 0; }));
  EXPECT_TRUE(clientFactory->failure.check<net::BadFileError>())
      << clientFactory->failure.getErrorMessage();
  EXPECT_NE(clientFactory->failure.getErrorMessage().find(".lock"), std::string::npos);
  EXPECT_EQ(client->made, 0);
}

}  // namespace
}  // namespace torsion::testing
