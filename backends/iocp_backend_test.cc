// Tests for IocpBackend (backends/iocp_backend.h). Windows only: built with
// mingw-w64 and run under Wine 8.0 (target iocp_backend_test_wine), so these
// check Wine's IOCP, not Windows'.
#include "backends/iocp_backend.h"

#include <mswsock.h>
#include <winsock2.h>
#include <ws2tcpip.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "backends/registry.h"
#include "gtest/gtest.h"
#include "testing/loopback_pair_win.h"
#include "testing/recording_sink.h"

namespace torsion {
namespace {

using std::chrono::milliseconds;

class NoReadiness final : public ReadinessSink {
 public:
  void onReady(int fd, std::uint8_t) override {
    ADD_FAILURE() << "readiness for fd " << fd;
  }
};

// Stands in for the reactor's sink (core/completion_dispatch.h): runs each
// operation and counts what it threw, which the backend must never see.
class RunningSink final : public CompletionSink {
 public:
  void onComplete(CompletionOperation& op, std::uint32_t error,
                  std::uint32_t bytes) noexcept override {
    ++delivered;
    try {
      op.complete(error, bytes);
    } catch (...) {
      ++threw;
    }
  }
  int delivered = 0;
  int threw = 0;
};

class TestOwner final : public CompletionOwner {
 public:
  std::string logPrefix() const override { return "TestOwner"; }
  void completionFailed(std::exception_ptr) override {}
};

class IocpBackendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    WSADATA data;
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
  }
  static void TearDownTestSuite() { WSACleanup(); }

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Backend>> b = IocpBackend::create();
    ASSERT_TRUE(b.ok()) << b.status();
    backend_ = std::move(*b);
    ASSERT_EQ(backend_->completionPort(), &iocp());
    iocp().setSink(&completions_);
  }

  IocpBackend& iocp() { return static_cast<IocpBackend&>(*backend_); }

  // A connected loopback TCP pair, made with blocking calls.
  void connectedPair(SOCKET& a, SOCKET& b) { testing::loopbackTcpPair(a, b); }

  std::unique_ptr<Backend> backend_;
  NoReadiness sink_;
  RunningSink completions_;
  TestOwner owner_;
};

TEST_F(IocpBackendTest, FeaturesDeclineReadiness) {
  const BackendFeatures f = backend_->features();
  EXPECT_FALSE(f.fdReadiness);
  EXPECT_TRUE(f.completionModel);
  EXPECT_EQ(backend_->name(), "iocp");
}

TEST_F(IocpBackendTest, SetInterestIsRefusedWithAReason) {
  absl::Status s = backend_->setInterest(3, Interest::kNone, Interest::kRead);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("fdReadiness"), std::string_view::npos) << s;
  EXPECT_TRUE(backend_->setInterest(3, Interest::kNone, Interest::kNone).ok());
}

TEST_F(IocpBackendTest, PollWithZeroTimeoutReturnsAtOnce) {
  absl::StatusOr<int> n = backend_->poll(std::chrono::nanoseconds(0), sink_);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0);
}

TEST_F(IocpBackendTest, PollTimesOutWithoutCompletions) {
  absl::StatusOr<int> n = backend_->poll(milliseconds(20), sink_);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0);
}

// A poll() blocked without a limit returns when another thread wakes it.
// The wake-up packet is not a completion.
TEST_F(IocpBackendTest, WakeUpFromAnotherThreadEndsABlockedPoll) {
  testing::expectWakeUpEndsBlockedPoll(*backend_);
}

// Wake-ups before the poll coalesce into one packet; after it is consumed
// a new wake-up still works.
TEST_F(IocpBackendTest, WakeUpsCoalesceAndRearm) {
  backend_->wakeUp();
  backend_->wakeUp();
  backend_->wakeUp();
  ASSERT_TRUE(backend_->poll(std::nullopt, sink_).ok());
  ULONG_PTR key = 0;
  DWORD bytes = 0;
  OVERLAPPED* o = nullptr;
  EXPECT_FALSE(GetQueuedCompletionStatus(iocp().port(), &bytes, &key, &o, 0))
      << "a second wake-up packet was queued";
  backend_->wakeUp();
  ASSERT_TRUE(backend_->poll(std::nullopt, sink_).ok());
}

TEST_F(IocpBackendTest, PostedOperationRunsItsCallbackOnce) {
  int calls = 0;
  std::uint32_t gotBytes = 0;
  auto* op = new IocpOperation(owner_, [&](std::uint32_t error, std::uint32_t bytes) {
    EXPECT_EQ(error, 0u);
    gotBytes = bytes;
    ++calls;
  });
  ASSERT_TRUE(PostQueuedCompletionStatus(iocp().port(), 42, 0, op->overlapped()));
  absl::StatusOr<int> n = backend_->poll(milliseconds(1000), sink_);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(gotBytes, 42u);
  EXPECT_EQ(*backend_->poll(std::chrono::nanoseconds(0), sink_), 0);
}

// A throwing callback does not lose the rest of its batch: every dequeued
// operation goes to the sink (and is freed), and poll() itself never throws
// (the exception is the sink's to handle).
TEST_F(IocpBackendTest, ThrowingCallbackDoesNotLoseTheBatch) {
  int ran = 0;
  auto* bad = new IocpOperation(owner_, [&](std::uint32_t, std::uint32_t) {
    ++ran;
    throw std::runtime_error("boom");
  });
  auto* good = new IocpOperation(owner_, [&](std::uint32_t, std::uint32_t) { ++ran; });
  ASSERT_TRUE(PostQueuedCompletionStatus(iocp().port(), 0, 0, bad->overlapped()));
  ASSERT_TRUE(PostQueuedCompletionStatus(iocp().port(), 0, 0, good->overlapped()));
  absl::StatusOr<int> n;
  EXPECT_NO_THROW(n = backend_->poll(milliseconds(1000), sink_));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(completions_.delivered, 2);
  EXPECT_EQ(completions_.threw, 1);
}

// The backend runs no user code: without a sink a dequeued operation is
// freed unrun; with one, the sink decides when to run it.
TEST_F(IocpBackendTest, PollRunsOperationsOnlyThroughTheSink) {
  iocp().setSink(nullptr);
  int ran = 0;
  auto* op = new IocpOperation(owner_, [&](std::uint32_t, std::uint32_t) { ++ran; });
  ASSERT_TRUE(PostQueuedCompletionStatus(iocp().port(), 0, 0, op->overlapped()));
  absl::StatusOr<int> n = backend_->poll(milliseconds(1000), sink_);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(ran, 0);
}

// An overlapped WSARecv on an associated socket completes through poll()
// with the peer's bytes.
TEST_F(IocpBackendTest, OverlappedRecvCompletesThroughPoll) {
  SOCKET a, b;
  ASSERT_NO_FATAL_FAILURE(connectedPair(a, b));
  ASSERT_TRUE(iocp().associate(b).ok());
  char buffer[16] = {};
  WSABUF buf{sizeof buffer, buffer};
  DWORD flags = 0;
  std::uint32_t got = 0, gotError = 99;
  auto* op = new IocpOperation(owner_, [&](std::uint32_t error, std::uint32_t bytes) {
    gotError = error;
    got = bytes;
  });
  int rc = WSARecv(b, &buf, 1, nullptr, &flags, op->overlapped(), nullptr);
  ASSERT_TRUE(rc == 0 || WSAGetLastError() == WSA_IO_PENDING) << WSAGetLastError();
  ASSERT_EQ(send(a, "hello", 5, 0), 5);
  int ran = 0;
  for (int i = 0; i < 100 && ran == 0; ++i)
    ran += *backend_->poll(milliseconds(50), sink_);
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(gotError, 0u);
  EXPECT_EQ(got, 5u);
  EXPECT_EQ(std::string(buffer, got), "hello");
  closesocket(a);
  closesocket(b);
}

// CancelIoEx on a pending WSARecv completes it with ERROR_OPERATION_ABORTED
// (Twisted's iocpreactor sees the same as ERROR_OPERATION_ABORTED).
TEST_F(IocpBackendTest, CancelledRecvReportsOperationAborted) {
  SOCKET a, b;
  ASSERT_NO_FATAL_FAILURE(connectedPair(a, b));
  ASSERT_TRUE(iocp().associate(b).ok());
  char buffer[8];
  WSABUF buf{sizeof buffer, buffer};
  DWORD flags = 0;
  std::uint32_t gotError = 0;
  bool done = false;
  auto* op = new IocpOperation(owner_, [&](std::uint32_t error, std::uint32_t) {
    gotError = error;
    done = true;
  });
  OVERLAPPED* ov = op->overlapped();
  ASSERT_EQ(WSARecv(b, &buf, 1, nullptr, &flags, ov, nullptr), SOCKET_ERROR);
  ASSERT_EQ(WSAGetLastError(), WSA_IO_PENDING);
  ASSERT_TRUE(CancelIoEx(reinterpret_cast<HANDLE>(b), ov));
  for (int i = 0; i < 100 && !done; ++i)
    ASSERT_TRUE(backend_->poll(milliseconds(50), sink_).ok());
  EXPECT_TRUE(done);
  EXPECT_EQ(gotError, static_cast<std::uint32_t>(ERROR_OPERATION_ABORTED));
  closesocket(a);
  closesocket(b);
}

TEST_F(IocpBackendTest, AssociateRefusesAnInvalidHandle) {
  absl::Status s =
      iocp().associate(reinterpret_cast<std::uintptr_t>(INVALID_HANDLE_VALUE));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("CreateIoCompletionPort"), std::string_view::npos) << s;
}

// //backends:all on Windows offers iocp first.
TEST(IocpRegistryTest, IocpIsTheFirstChoiceOnWindows) {
  std::vector<std::string> names = availableBackends();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "iocp");
  absl::StatusOr<std::unique_ptr<Backend>> b = createBackend("iocp");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)->name(), "iocp");
}

}  // namespace
}  // namespace torsion
