// Tests for WinSelectBackend (backends/win_select_backend.h). Windows only:
// built with mingw-w64 and run under Wine 8.0 (win_select_backend_test_wine),
// so these check Wine's winsock select(), not Windows'.
#include "backends/win_select_backend.h"

#include <winsock2.h>
#include <ws2tcpip.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "backends/registry.h"
#include "gtest/gtest.h"
#include "testing/loopback_pair_win.h"
#include "testing/recording_sink.h"

namespace torsion {
namespace {

using std::chrono::milliseconds;

class WinSelectBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WSADATA data;
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    absl::StatusOr<std::unique_ptr<Backend>> b = WinSelectBackend::create();
    ASSERT_TRUE(b.ok()) << b.status();
    backend_ = std::move(*b);
  }
  void TearDown() override {
    backend_.reset();
    WSACleanup();
  }

  // A connected loopback TCP pair (blocking calls), as ints.
  void connectedPair(int& a, int& b) {
    SOCKET c = INVALID_SOCKET, s = INVALID_SOCKET;
    testing::loopbackTcpPair(c, s);
    a = static_cast<int>(c);
    b = static_cast<int>(s);
  }

  std::unique_ptr<Backend> backend_;
  testing::RecordingSink sink_;
};

TEST_F(WinSelectBackendTest, FeaturesAreReadiness) {
  EXPECT_TRUE(backend_->features().fdReadiness);
  EXPECT_FALSE(backend_->features().completionModel);
  EXPECT_EQ(backend_->name(), "select");
}

TEST_F(WinSelectBackendTest, PollTimesOutWithNothingReady) {
  absl::StatusOr<int> n = backend_->poll(milliseconds(20), sink_);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0);
  EXPECT_TRUE(sink_.events().empty());
}

TEST_F(WinSelectBackendTest, ReadableAfterPeerSends) {
  int a, b;
  ASSERT_NO_FATAL_FAILURE(connectedPair(a, b));
  ASSERT_TRUE(backend_->setInterest(b, Interest::kNone, Interest::kRead).ok());
  EXPECT_EQ(*backend_->poll(std::chrono::nanoseconds(0), sink_), 0);
  ASSERT_EQ(send(static_cast<SOCKET>(a), "hi", 2, 0), 2);
  absl::StatusOr<int> n = backend_->poll(milliseconds(1000), sink_);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(sink_.bitsFor(b), kReadable);
  ASSERT_TRUE(backend_->setInterest(b, Interest::kRead, Interest::kNone).ok());
  closesocket(a);
  closesocket(b);
}

TEST_F(WinSelectBackendTest, WritableAtOnce) {
  int a, b;
  ASSERT_NO_FATAL_FAILURE(connectedPair(a, b));
  ASSERT_TRUE(backend_->setInterest(a, Interest::kNone, Interest::kWrite).ok());
  EXPECT_EQ(*backend_->poll(milliseconds(1000), sink_), 1);
  EXPECT_EQ(sink_.bitsFor(a), kWritable);
  backend_->forget(a);
  closesocket(a);
  closesocket(b);
}

// Winsock select has no hang-up bit: the peer's close reads as readable.
TEST_F(WinSelectBackendTest, PeerCloseIsReadable) {
  int a, b;
  ASSERT_NO_FATAL_FAILURE(connectedPair(a, b));
  ASSERT_TRUE(backend_->setInterest(b, Interest::kNone, Interest::kRead).ok());
  closesocket(static_cast<SOCKET>(a));
  EXPECT_EQ(*backend_->poll(milliseconds(1000), sink_), 1);
  EXPECT_TRUE(sink_.bitsFor(b) & kReadable);
  backend_->forget(b);
  closesocket(b);
}

TEST_F(WinSelectBackendTest, WakeUpFromAnotherThreadEndsABlockedPoll) {
  testing::expectWakeUpEndsBlockedPoll(*backend_);  // the waker is never reported
  // Drained: the next poll does not return at once because of it.
  EXPECT_EQ(*backend_->poll(std::chrono::nanoseconds(0), sink_), 0);
}

// A socket closed while registered is reported once as kInvalid
// (Twisted's _preenDescriptors), not as a failed poll.
TEST_F(WinSelectBackendTest, ClosedRegisteredSocketIsReportedInvalid) {
  int a, b;
  ASSERT_NO_FATAL_FAILURE(connectedPair(a, b));
  ASSERT_TRUE(backend_->setInterest(b, Interest::kNone, Interest::kRead).ok());
  closesocket(static_cast<SOCKET>(b));
  absl::StatusOr<int> n = backend_->poll(milliseconds(100), sink_);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(sink_.bitsFor(b), kInvalid);
  backend_->forget(b);
  closesocket(a);
}

TEST_F(WinSelectBackendTest, ForgottenSocketIsNotReported) {
  int a, b;
  ASSERT_NO_FATAL_FAILURE(connectedPair(a, b));
  ASSERT_TRUE(backend_->setInterest(b, Interest::kNone, Interest::kRead).ok());
  ASSERT_EQ(send(static_cast<SOCKET>(a), "x", 1, 0), 1);
  backend_->forget(b);
  EXPECT_EQ(*backend_->poll(milliseconds(50), sink_), 0);
  EXPECT_TRUE(sink_.events().empty());
  closesocket(a);
  closesocket(b);
}

TEST_F(WinSelectBackendTest, NonSocketIsAClearError) {
  absl::Status s = backend_->setInterest(123456, Interest::kNone, Interest::kRead);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("fd=123456"), std::string_view::npos) << s;
}

// winsock's fd_set is a counted array: the limit is how many sockets are
// watched (features().maxWatched), whatever their values.
TEST_F(WinSelectBackendTest, SocketBeyondMaxWatchedIsRefused) {
  const int limit = backend_->features().maxWatched;
  ASSERT_EQ(limit, WinSelectBackend::kMaxSockets);
  std::vector<SOCKET> sockets;
  for (int i = 0; i <= limit; ++i) {
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    ASSERT_NE(s, INVALID_SOCKET) << "socket #" << i << ": " << WSAGetLastError();
    sockets.push_back(s);
  }
  for (int i = 0; i < limit; ++i) {
    absl::Status s = backend_->setInterest(static_cast<int>(sockets[i]), Interest::kNone,
                                           Interest::kRead);
    ASSERT_TRUE(s.ok()) << "socket #" << i << ": " << s;
  }
  const int extra = static_cast<int>(sockets[limit]);
  absl::Status refused = backend_->setInterest(extra, Interest::kNone, Interest::kRead);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_NE(refused.message().find(std::to_string(limit)), std::string_view::npos)
      << refused;

  // Forgetting one makes room again.
  ASSERT_TRUE(
      backend_
          ->setInterest(static_cast<int>(sockets[0]), Interest::kRead, Interest::kNone)
          .ok());
  EXPECT_TRUE(backend_->setInterest(extra, Interest::kNone, Interest::kRead).ok());
  for (SOCKET s : sockets) {
    backend_->setInterest(static_cast<int>(s), Interest::kRead, Interest::kNone)
        .IgnoreError();
    closesocket(s);
  }
}

TEST(WinSelectRegistryTest, SelectIsOfferedAfterIocp) {
  std::vector<std::string> names = availableBackends();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0], "iocp");
  EXPECT_EQ(names[1], "select");
}

}  // namespace
}  // namespace torsion
