// io_uring-only behaviour beyond the contract suite (which runs on io_uring
// through //backends:all) and the poll-family bits (poll_family_bits_test.cc):
// level-triggered re-reports on top of multishot poll, stale CQEs, full and
// overflowing queues, requests cancelled by a thread's exit, and the file
// reference a live poll holds. Every test skips, naming the reason, where
// io_uring_setup is refused.
#include "backends/io_uring_backend.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backends/io_uring_port.h"
#include "backends/io_uring_user_data.h"
#include "backends/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/descriptor_pair.h"
#include "testing/recording_sink.h"

namespace torsion {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using ::testing::HasSubstr;
using testing::pollNow;
using testing::RecordingSink;
using testing::SocketPair;

// Closes pair.a and expects its peer to see end-of-file at once: a poll
// request still in flight would hold a reference to the file and keep it
// open.
void expectCloseReachesPeer(SocketPair& pair) {
  pair.a.reset();
  char byte;
  EXPECT_EQ(::recv(pair.b.get(), &byte, 1, MSG_DONTWAIT), 0) << "no EOF: still open";
}

class IoUringBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status available = IoUringBackend::probe();
    if (!available.ok()) GTEST_SKIP() << "io_uring is unavailable here: " << available;
  }

  std::unique_ptr<Backend> make(IoUringBackend::Options options = {}) {
    return testing::createdOrNull(IoUringBackend::create(options));
  }
};

TEST(IoUringUserDataTest, RoundTripsKindFdAndGeneration) {
  using internal::UserDataKind;
  for (UserDataKind kind :
       {UserDataKind::kPoll, UserDataKind::kModify, UserDataKind::kCancel,
        UserDataKind::kWaker, UserDataKind::kOperation}) {
    for (int fd : {0, 7, 1 << 20, 0x7fffffff}) {
      for (std::uint32_t gen : {0u, 1u, internal::kGenerationMask}) {
        for (std::uint8_t epoch : {0, 1, 255}) {
          const std::uint64_t ud = internal::makeUserData(kind, epoch, fd, gen);
          EXPECT_EQ(internal::userDataKind(ud), kind);
          EXPECT_EQ(internal::userDataEpoch(ud), epoch);
          EXPECT_EQ(internal::userDataFd(ud), fd);
          EXPECT_EQ(internal::userDataGen(ud), gen);
        }
      }
    }
  }
  EXPECT_EQ(internal::nextGeneration(internal::kGenerationMask), 0u) << "wraps";
}

TEST_F(IoUringBackendTest, FeaturesAreReadinessNotCompletion) {
  std::unique_ptr<Backend> b = make();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->name(), "io_uring");
  EXPECT_TRUE(b->features().fdReadiness);
  EXPECT_FALSE(b->features().completionModel);
  EXPECT_TRUE(b->features().constantTimePerEvent);
  EXPECT_TRUE(b->features().needsReinitAfterFork);
  EXPECT_TRUE(b->features().regularFilesAlwaysReady);
  EXPECT_EQ(b->features().maxFd, -1);
}

TEST_F(IoUringBackendTest, RegistryPrefersEpollThenIoUring) {
  const std::vector<std::string> names = registeredBackends();
  auto at = [&](const char* name) {
    return std::find(names.begin(), names.end(), name) - names.begin();
  };
  ASSERT_LT(at("io_uring"), static_cast<long>(names.size()));
  EXPECT_LT(at("epoll"), at("io_uring")) << "epoll stays the default on Linux";
  EXPECT_LT(at("io_uring"), at("poll"));
  absl::StatusOr<std::unique_ptr<Backend>> byName = createBackend("io_uring");
  ASSERT_TRUE(byName.ok()) << byName.status();
  EXPECT_EQ((*byName)->name(), "io_uring");
}

TEST_F(IoUringBackendTest, InvalidOptionsAreRefused) {
  absl::StatusOr<std::unique_ptr<Backend>> b =
      IoUringBackend::create({.sqEntries = 8, .cqEntries = 4});
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument) << b.status();
  EXPECT_THAT(std::string(b.status().message()), HasSubstr("cqEntries"));
}

// Multishot poll only fires on wake-ups; the contract is level-triggered.
TEST_F(IoUringBackendTest, UnreadDataIsReportedAgainEveryPoll) {
  std::unique_ptr<Backend> b = make();
  SocketPair pair = SocketPair::make();
  const int fd = pair.a.get();
  ASSERT_TRUE(b->setInterest(fd, Interest::kNone, Interest::kRead).ok());
  ASSERT_TRUE(testing::writeByte(pair.b.get()));
  ASSERT_TRUE(testing::writeByte(pair.b.get()));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(pollNow(*b).bitsFor(fd), kReadable) << i;
  char byte;
  ASSERT_EQ(::read(fd, &byte, 1), 1);
  EXPECT_EQ(pollNow(*b).bitsFor(fd), kReadable) << "one byte is left";
  ASSERT_EQ(::read(fd, &byte, 1), 1);
  EXPECT_TRUE(pollNow(*b).events().empty()) << "drained";
  EXPECT_TRUE(pollNow(*b).events().empty());
  ASSERT_TRUE(testing::writeByte(pair.b.get()));
  EXPECT_EQ(pollNow(*b).bitsFor(fd), kReadable) << "new data after a drain";
}

TEST_F(IoUringBackendTest, WritableStaysReportedWhileWanted) {
  std::unique_ptr<Backend> b = make();
  SocketPair pair = SocketPair::make();
  ASSERT_TRUE(b->setInterest(pair.a.get(), Interest::kNone, Interest::kWrite).ok());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(pollNow(*b).bitsFor(pair.a.get()), kWritable);
}

// A cancelled request's final CQE (-ECANCELED) is stale; it must not end a
// timed wait early.
TEST_F(IoUringBackendTest, StaleCompletionsDoNotEndTimedWaitEarly) {
  std::unique_ptr<Backend> b = make();
  SocketPair pair = SocketPair::make();
  for (int attempt = 0; attempt < 3; ++attempt) {
    ASSERT_TRUE(b->setInterest(pair.a.get(), Interest::kNone, Interest::kWrite).ok());
    EXPECT_EQ(pollNow(*b).events().size(), 1u);
    ASSERT_TRUE(b->setInterest(pair.a.get(), Interest::kWrite, Interest::kNone).ok());
    const nanoseconds requested = milliseconds(20);
    const auto start = std::chrono::steady_clock::now();
    RecordingSink sink;
    ASSERT_TRUE(b->poll(requested, sink).ok());
    EXPECT_GE(std::chrono::steady_clock::now() - start, requested);
    EXPECT_TRUE(sink.events().empty());
  }
}

// More registrations than the submission queue holds, and more completions
// than the completion queue holds (multishot polls end on overflow).
TEST_F(IoUringBackendTest, TinyQueuesStillReportEverything) {
  std::unique_ptr<Backend> b = make({.sqEntries = 4, .cqEntries = 8});
  ASSERT_NE(b, nullptr);
  std::vector<SocketPair> pairs;
  for (int i = 0; i < 60; ++i) {
    pairs.push_back(SocketPair::make());
    ASSERT_TRUE(testing::writeByte(pairs.back().b.get()));
    ASSERT_TRUE(
        b->setInterest(pairs.back().a.get(), Interest::kNone, Interest::kRead).ok());
  }
  std::vector<int> seen;
  for (int round = 0; round < 50 && seen.size() < pairs.size(); ++round) {
    const RecordingSink sink = pollNow(*b);
    for (const auto& e : sink.events()) {
      EXPECT_EQ(e.bits, kReadable);
      if (std::find(seen.begin(), seen.end(), e.fd) == seen.end()) seen.push_back(e.fd);
    }
  }
  EXPECT_EQ(seen.size(), pairs.size());
  // Drain everything: afterwards nothing is reported, and new data is.
  for (SocketPair& p : pairs) {
    char byte;
    ASSERT_EQ(::read(p.a.get(), &byte, 1), 1);
  }
  // CQEs the kernel kept while the CQ was full may still say "readable";
  // once they are consumed, nothing is reported.
  bool quiet = false;
  for (int round = 0; round < 100 && !quiet; ++round)
    quiet = pollNow(*b).events().empty();
  EXPECT_TRUE(quiet);
  EXPECT_TRUE(pollNow(*b).events().empty());
  ASSERT_TRUE(testing::writeByte(pairs[17].b.get()));
  EXPECT_EQ(pollNow(*b).bitsFor(pairs[17].a.get()), kReadable);
}

// A request whose submitting thread has exited is dead: the kernel cancels
// it (-ECANCELED, a few ms later) on its next wake-up instead of reporting
// that. The blocking poll() wakes for the cancellation, re-arms, and finds
// the fd ready by its level check.
TEST_F(IoUringBackendTest, RequestsOfAnExitedThreadAreRearmed) {
  std::unique_ptr<Backend> b = make();
  SocketPair pair = SocketPair::make();
  std::thread([&] {
    ASSERT_TRUE(b->setInterest(pair.a.get(), Interest::kNone, Interest::kRead).ok());
    EXPECT_TRUE(pollNow(*b).events().empty());  // submits the poll requests
  }).join();
  ASSERT_TRUE(testing::writeByte(pair.b.get()));
  std::uint8_t bits = 0;
  for (int i = 0; i < 5 && bits == 0; ++i) {
    RecordingSink sink;
    ASSERT_TRUE(b->poll(std::chrono::seconds(2), sink).ok());
    bits = sink.bitsFor(pair.a.get());
  }
  EXPECT_EQ(bits, kReadable);
  char byte;
  ASSERT_EQ(::read(pair.a.get(), &byte, 1), 1);
  // The waker's request was the thread's too; wake-ups still get through.
  for (int i = 0; i < 2; ++i) {
    std::thread([&] { b->wakeUp(); }).join();
    const auto start = std::chrono::steady_clock::now();
    RecordingSink sink;
    ASSERT_TRUE(b->poll(std::chrono::seconds(10), sink).ok());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(9)) << i;
    EXPECT_TRUE(sink.events().empty());
  }
}

// A live poll request holds a reference to the file, so removal must reach
// the kernel before the caller's close(): else the peer never sees EOF.
TEST_F(IoUringBackendTest, CloseAfterRemovalReallyCloses) {
  std::unique_ptr<Backend> b = make();
  SocketPair pair = SocketPair::make();
  ASSERT_TRUE(b->setInterest(pair.a.get(), Interest::kNone, Interest::kRead).ok());
  EXPECT_TRUE(pollNow(*b).events().empty());  // the request is live now
  ASSERT_TRUE(b->setInterest(pair.a.get(), Interest::kRead, Interest::kNone).ok());
  expectCloseReachesPeer(pair);
}

TEST_F(IoUringBackendTest, CloseAfterForgetReallyCloses) {
  std::unique_ptr<Backend> b = make();
  SocketPair pair = SocketPair::make();
  ASSERT_TRUE(b->setInterest(pair.a.get(), Interest::kNone, Interest::kWrite).ok());
  EXPECT_EQ(pollNow(*b).events().size(), 1u);
  b->forget(pair.a.get());
  expectCloseReachesPeer(pair);
}

TEST_F(IoUringBackendTest, ErrorsNameTheBackendAndTheFd) {
  std::unique_ptr<Backend> b = make();
  SocketPair pair = SocketPair::make();
  const int fd = pair.a.get();
  pair.a.reset();
  absl::Status s = b->setInterest(fd, Interest::kNone, Interest::kRead);
  EXPECT_THAT(std::string(s.message()), HasSubstr("io_uring"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("fd=" + std::to_string(fd)));
}

// ---- The completion port (io_uring_port.h) ---------------------------------------

// Owns the operations a test starts by hand.
class TestOwner final : public CompletionOwner {
 public:
  std::string logPrefix() const override { return "TestOwner"; }
  void completionFailed(std::exception_ptr) override { ++failures; }
  int failures = 0;
};

// Runs every finished operation at once (the reactor's dispatcher does it
// under its exception policy).
class RunningSink final : public CompletionSink {
 public:
  void onComplete(CompletionOperation& op, std::uint32_t error,
                  std::uint32_t bytes) noexcept override {
    op.complete(error, bytes);
  }
};

struct Result {
  int runs = 0;
  std::uint32_t error = 99;
  std::uint32_t bytes = 0;
};

std::unique_ptr<CompletionOperation> recording(TestOwner& owner, Result& r) {
  return std::make_unique<CompletionOperation>(owner,
                                               [&r](std::uint32_t e, std::uint32_t n) {
                                                 ++r.runs;
                                                 r.error = e;
                                                 r.bytes = n;
                                               });
}

TEST_F(IoUringBackendTest, PortRunsARequestFromPollNeverFromStart) {
  std::unique_ptr<Backend> b = make();
  IoUringPort* port = ioUringPortOf(b->completionPort());
  ASSERT_NE(port, nullptr);
  RunningSink sink;
  port->setSink(&sink);
  SocketPair pair = SocketPair::make();
  ASSERT_EQ(::send(pair.b.get(), "hello", 5, 0), 5);
  TestOwner owner;
  Result r;
  char buf[16];
  port->start(recording(owner, r), [&](io_uring_sqe& sqe) {
    io_uring_prep_recv(&sqe, pair.a.get(), buf, sizeof buf, 0);
  });
  EXPECT_EQ(r.runs, 0);  // queued only: it goes with the next poll
  for (int i = 0; i < 10 && r.runs == 0; ++i) pollNow(*b);
  ASSERT_EQ(r.runs, 1);
  EXPECT_EQ(r.error, 0u);
  EXPECT_EQ(std::string(buf, r.bytes), "hello");
}

TEST_F(IoUringBackendTest, PortCancelReportsECanceledOnce) {
  std::unique_ptr<Backend> b = make();
  IoUringPort* port = ioUringPortOf(b->completionPort());
  ASSERT_NE(port, nullptr);
  RunningSink sink;
  port->setSink(&sink);
  SocketPair pair = SocketPair::make();
  TestOwner owner;
  Result r;
  char buf[16];
  const std::uint64_t id = port->start(recording(owner, r), [&](io_uring_sqe& sqe) {
    io_uring_prep_recv(&sqe, pair.a.get(), buf, sizeof buf, 0);
  });
  pollNow(*b);  // the receive waits in the kernel now
  EXPECT_EQ(r.runs, 0);
  port->cancel(id);
  for (int i = 0; i < 10 && r.runs == 0; ++i) pollNow(*b);
  ASSERT_EQ(r.runs, 1);
  EXPECT_EQ(r.error, static_cast<std::uint32_t>(ECANCELED));
  port->cancel(id);  // done already: ignored
  for (int i = 0; i < 3; ++i) pollNow(*b);
  EXPECT_EQ(r.runs, 1);
}

// A backend destroyed with a request in flight cancels it and frees the
// operation unrun (what it captured is released).
TEST_F(IoUringBackendTest, PortFreesOperationsInFlightUnrun) {
  SocketPair pair = SocketPair::make();
  TestOwner owner;
  auto captured = std::make_shared<int>(0);
  std::weak_ptr<int> weak = captured;
  bool ran = false;
  char buf[16];
  {
    std::unique_ptr<Backend> b = make();
    IoUringPort* port = ioUringPortOf(b->completionPort());
    ASSERT_NE(port, nullptr);
    port->start(std::make_unique<CompletionOperation>(
                    owner, [&ran, c = std::move(captured)](
                               std::uint32_t, std::uint32_t) { ran = true; }),
                [&](io_uring_sqe& sqe) {
                  io_uring_prep_recv(&sqe, pair.a.get(), buf, sizeof buf, 0);
                });
    pollNow(*b);
  }
  EXPECT_FALSE(ran);
  EXPECT_TRUE(weak.expired());
  // The request is gone: the socket's data stays unread.
  ASSERT_EQ(::send(pair.b.get(), "x", 1, 0), 1);
  char byte;
  EXPECT_EQ(::recv(pair.a.get(), &byte, 1, MSG_DONTWAIT), 1);
}

TEST_F(IoUringBackendTest, CompletionsCanBeSwitchedOffByOption) {
  IoUringBackend::Options options;
  options.completions = false;
  std::unique_ptr<Backend> b = make(options);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->completionPort(), nullptr);
}

}  // namespace
}  // namespace torsion
