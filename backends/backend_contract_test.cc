// The backend contract (backend.h), run against every available backend:
// AllBackends/BackendContractTest.<Case>/<backend>. Cases skip by feature,
// never by backend name. Twisted's counterpart is ReactorFDSetTestsBuilder
// (twisted/internet/test/test_fdset.py) run once per reactor.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backends/backend.h"
#include "backends/registry.h"
#include "gtest/gtest.h"
#include "testing/descriptor_pair.h"
#include "testing/recording_sink.h"

namespace torsion {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using testing::describeBits;
using testing::OwnedFd;
using testing::Pipe;
using testing::RecordingSink;
using testing::SocketPair;

constexpr nanoseconds kNoWait{0};

class BackendContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Backend>> backend = createBackend(GetParam());
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = *std::move(backend);
    ASSERT_EQ(backend_->name(), GetParam());
  }

  // One non-blocking poll; fails the test if poll() failed.
  RecordingSink pollNow() { return pollFor(kNoWait); }

  RecordingSink pollFor(std::optional<nanoseconds> timeout) {
    RecordingSink sink;
    absl::StatusOr<int> n = backend_->poll(timeout, sink);
    EXPECT_TRUE(n.ok()) << n.status();
    if (n.ok()) {
      EXPECT_EQ(*n, static_cast<int>(sink.events().size()));
    }
    return sink;
  }

  void watch(int fd, Interest previous, Interest wanted) {
    absl::Status s = backend_->setInterest(fd, previous, wanted);
    ASSERT_TRUE(s.ok()) << s;
  }

  std::unique_ptr<Backend> backend_;
};

TEST_P(BackendContractTest, ReadInterestReportsReadableSocket) {
  SocketPair pair = SocketPair::make();
  watch(pair.a.get(), Interest::kNone, Interest::kRead);
  EXPECT_TRUE(pollNow().events().empty()) << "nothing written yet";
  ASSERT_TRUE(testing::writeByte(pair.b.get()));
  RecordingSink sink = pollNow();
  ASSERT_EQ(sink.events().size(), 1u);
  EXPECT_EQ(sink.events()[0].fd, pair.a.get());
  EXPECT_EQ(sink.events()[0].bits, kReadable) << describeBits(sink.events()[0].bits);
  watch(pair.a.get(), Interest::kRead, Interest::kNone);
}

TEST_P(BackendContractTest, WriteInterestReportsWritableSocket) {
  SocketPair pair = SocketPair::make();
  watch(pair.a.get(), Interest::kNone, Interest::kWrite);
  RecordingSink sink = pollNow();
  ASSERT_EQ(sink.events().size(), 1u);
  EXPECT_EQ(sink.events()[0].fd, pair.a.get());
  EXPECT_EQ(sink.events()[0].bits, kWritable) << describeBits(sink.events()[0].bits);
}

TEST_P(BackendContractTest, ReadAndWriteReadinessArriveInOneEvent) {
  SocketPair pair = SocketPair::make();
  ASSERT_TRUE(testing::writeByte(pair.b.get()));
  watch(pair.a.get(), Interest::kNone, Interest::kReadWrite);
  RecordingSink sink = pollNow();
  ASSERT_EQ(sink.events().size(), 1u) << "one onReady per descriptor per poll";
  EXPECT_EQ(sink.events()[0].bits, kReadable | kWritable)
      << describeBits(sink.events()[0].bits);
}

TEST_P(BackendContractTest, ModifyInterestChangesWhatIsReported) {
  SocketPair pair = SocketPair::make();
  const int fd = pair.a.get();
  watch(fd, Interest::kNone, Interest::kRead);
  EXPECT_TRUE(pollNow().events().empty());
  watch(fd, Interest::kRead, Interest::kWrite);
  EXPECT_EQ(pollNow().bitsFor(fd), kWritable);
  ASSERT_TRUE(testing::writeByte(pair.b.get()));
  watch(fd, Interest::kWrite, Interest::kReadWrite);
  EXPECT_EQ(pollNow().bitsFor(fd), kReadable | kWritable);
  watch(fd, Interest::kReadWrite, Interest::kRead);
  EXPECT_EQ(pollNow().bitsFor(fd), kReadable);
}

TEST_P(BackendContractTest, RemovedInterestIsNoLongerReported) {
  SocketPair pair = SocketPair::make();
  ASSERT_TRUE(testing::writeByte(pair.b.get()));
  watch(pair.a.get(), Interest::kNone, Interest::kReadWrite);
  EXPECT_EQ(pollNow().events().size(), 1u);
  watch(pair.a.get(), Interest::kReadWrite, Interest::kNone);
  EXPECT_TRUE(pollNow().events().empty());
  // And it can come back.
  watch(pair.a.get(), Interest::kNone, Interest::kRead);
  EXPECT_EQ(pollNow().bitsFor(pair.a.get()), kReadable);
}

TEST_P(BackendContractTest, SameInterestAgainIsANoOp) {
  SocketPair pair = SocketPair::make();
  watch(pair.a.get(), Interest::kNone, Interest::kWrite);
  watch(pair.a.get(), Interest::kWrite, Interest::kWrite);
  EXPECT_EQ(pollNow().events().size(), 1u);
  watch(pair.a.get(), Interest::kWrite, Interest::kNone);
  watch(pair.a.get(), Interest::kNone, Interest::kNone);  // after removal: also fine
  EXPECT_TRUE(pollNow().events().empty());
}

TEST_P(BackendContractTest, PipeEndsReportReadableAndWritable) {
  Pipe pipe = Pipe::make();
  watch(pipe.readEnd.get(), Interest::kNone, Interest::kRead);
  watch(pipe.writeEnd.get(), Interest::kNone, Interest::kWrite);
  RecordingSink first = pollNow();
  EXPECT_EQ(first.bitsFor(pipe.writeEnd.get()), kWritable);
  EXPECT_EQ(first.bitsFor(pipe.readEnd.get()), 0);
  ASSERT_TRUE(testing::writeByte(pipe.writeEnd.get()));
  EXPECT_EQ(pollNow().bitsFor(pipe.readEnd.get()), kReadable);
}

// Twisted: test_fdset.py ReactorFDSetTestsBuilder.test_lostFileDescriptor's
// premise, and FD7: a peer close shows up, as hang-up or as readable EOF
// (select(2) has no hang-up bit).
TEST_P(BackendContractTest, PeerCloseIsReportedOnSocket) {
  SocketPair pair = SocketPair::make();
  watch(pair.a.get(), Interest::kNone, Interest::kRead);
  pair.b.reset();
  const std::uint8_t bits = pollNow().bitsFor(pair.a.get());
  EXPECT_NE(bits & (kReadable | kHangup), 0) << describeBits(bits);
  EXPECT_EQ(bits & kWritable, 0) << describeBits(bits);
}

TEST_P(BackendContractTest, PeerCloseIsReportedOnPipe) {
  Pipe pipe = Pipe::make();
  watch(pipe.readEnd.get(), Interest::kNone, Interest::kRead);
  pipe.writeEnd.reset();
  const std::uint8_t bits = pollNow().bitsFor(pipe.readEnd.get());
  EXPECT_NE(bits & (kReadable | kHangup), 0) << describeBits(bits);
}

// A pipe whose reader is gone has an error pending for the writer (EPIPE on
// the next write); poll and epoll say POLLERR, select says writable.
TEST_P(BackendContractTest, PendingErrorIsReported) {
  Pipe pipe = Pipe::make();
  watch(pipe.writeEnd.get(), Interest::kNone, Interest::kWrite);
  pipe.readEnd.reset();
  const std::uint8_t bits = pollNow().bitsFor(pipe.writeEnd.get());
  EXPECT_NE(bits & (kError | kWritable), 0) << describeBits(bits);
}

TEST_P(BackendContractTest, ForgetDuringBatchDropsUndeliveredEvents) {
  std::vector<SocketPair> pairs;
  for (int i = 0; i < 4; ++i) {
    pairs.push_back(SocketPair::make());
    ASSERT_TRUE(testing::writeByte(pairs.back().b.get()));
    watch(pairs.back().a.get(), Interest::kNone, Interest::kRead);
  }
  RecordingSink sink;
  sink.hook = [&](int fd, std::uint8_t) {
    for (SocketPair& p : pairs) {
      if (p.a.get() != fd) backend_->forget(p.a.get());
    }
  };
  absl::StatusOr<int> n = backend_->poll(kNoWait, sink);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  ASSERT_EQ(sink.events().size(), 1u) << "events for forgotten fds were delivered";
  // The forgotten ones stay forgotten; the survivor is still watched.
  RecordingSink next = pollNow();
  ASSERT_EQ(next.events().size(), 1u);
  EXPECT_EQ(next.events()[0].fd, sink.events()[0].fd);
}

// The reactor closes a descriptor during dispatch and the same number comes
// back (accept(), say) and is registered, all before the batch is done: the
// events gathered for the old file must not reach the new one.
TEST_P(BackendContractTest, ForgetAndReuseInOneBatchDropsStaleEvents) {
  std::vector<SocketPair> pairs;
  for (int i = 0; i < 2; ++i) {
    pairs.push_back(SocketPair::make());
    ASSERT_TRUE(testing::writeByte(pairs.back().b.get()));
    watch(pairs.back().a.get(), Interest::kNone, Interest::kRead);
  }
  SocketPair fresh = SocketPair::make();  // nothing written: never readable
  int reused = -1;
  RecordingSink sink;
  sink.hook = [&](int fd, std::uint8_t) {
    if (reused >= 0) return;
    SocketPair& other = pairs[0].a.get() == fd ? pairs[1] : pairs[0];
    reused = other.a.get();
    backend_->forget(reused);
    other.a.reset();
    ASSERT_EQ(::dup2(fresh.a.get(), reused), reused);
    absl::Status s = backend_->setInterest(reused, Interest::kNone, Interest::kRead);
    ASSERT_TRUE(s.ok()) << s;
  };
  absl::StatusOr<int> n = backend_->poll(kNoWait, sink);
  ASSERT_TRUE(n.ok()) << n.status();
  ASSERT_EQ(sink.events().size(), 1u) << "a stale event reached the reused fd";
  OwnedFd reusedFd(reused);  // closes it at the end
  EXPECT_EQ(pollNow().bitsFor(reused), 0) << "the new file has no data";
  ASSERT_TRUE(testing::writeByte(fresh.b.get()));
  EXPECT_EQ(pollNow().bitsFor(reused), kReadable);
  backend_->forget(reused);
}

TEST_P(BackendContractTest, FailedSetInterestLeavesStateUnchanged) {
  SocketPair pair = SocketPair::make();
  const int closedFd = pair.a.get();
  pair.a.reset();
  absl::Status s = backend_->setInterest(closedFd, Interest::kNone, Interest::kRead);
  ASSERT_FALSE(s.ok()) << "watching a closed fd must fail";
  EXPECT_NE(std::string(s.message()).find(std::to_string(closedFd)), std::string::npos)
      << s;
  // Nothing was registered: a poll reports nothing, and the backend still
  // records "none" for it.
  EXPECT_TRUE(pollNow().events().empty());
  EXPECT_EQ(backend_->setInterest(closedFd, Interest::kRead, Interest::kNone).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(backend_->setInterest(closedFd, Interest::kNone, Interest::kNone).ok());
}

TEST_P(BackendContractTest, StalePreviousInterestIsRefused) {
  SocketPair pair = SocketPair::make();
  absl::Status s = backend_->setInterest(pair.a.get(), Interest::kRead, Interest::kWrite);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(std::string(s.message()).find("previous"), std::string::npos) << s;
  EXPECT_TRUE(pollNow().events().empty()) << "the refused call registered something";
}

TEST_P(BackendContractTest, NegativeDescriptorIsRefused) {
  absl::Status s = backend_->setInterest(-1, Interest::kNone, Interest::kRead);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(std::string(s.message()).find("fd=-1"), std::string::npos) << s;
  backend_->forget(-1);  // harmless
  backend_->forget(1 << 20);
}

TEST_P(BackendContractTest, OutOfRangeInterestIsRefused) {
  SocketPair pair = SocketPair::make();
  absl::Status s =
      backend_->setInterest(pair.a.get(), Interest::kNone, static_cast<Interest>(9));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(std::string(s.message()).find("not an Interest"), std::string::npos) << s;
  EXPECT_TRUE(pollNow().events().empty());
}

TEST_P(BackendContractTest, ClosedButRegisteredDescriptorDoesNotFailPoll) {
  SocketPair pair = SocketPair::make();
  const int fd = pair.a.get();
  watch(fd, Interest::kNone, Interest::kRead);
  pair.a.reset();  // closed without forget(): a reactor bug, not a poll error
  RecordingSink sink = pollNow();
  const std::uint8_t bits = sink.bitsFor(fd);
  // epoll drops closed files by itself; poll says POLLNVAL; select EBADF.
  EXPECT_TRUE(bits == 0 || (bits & kInvalid) != 0) << describeBits(bits);
  backend_->forget(fd);
  EXPECT_TRUE(pollNow().events().empty());
}

TEST_P(BackendContractTest, WakeUpFromAnotherThreadUnblocksInfinitePoll) {
  std::atomic<bool> polling{false};
  std::thread waker([&] {
    while (!polling.load()) std::this_thread::yield();
    std::this_thread::sleep_for(milliseconds(20));
    backend_->wakeUp();
  });
  polling = true;
  RecordingSink sink = pollFor(std::nullopt);  // would hang without the wake-up
  waker.join();
  EXPECT_TRUE(sink.events().empty()) << "the waker fd must never reach the sink";
}

TEST_P(BackendContractTest, WakeUpBeforePollIsNotLostAndIsDrained) {
  backend_->wakeUp();
  backend_->wakeUp();
  EXPECT_TRUE(pollFor(std::nullopt).events().empty());
  // Drained: a zero-timeout poll finds nothing, and the next wake-up works.
  EXPECT_TRUE(pollNow().events().empty());
  backend_->wakeUp();
  EXPECT_TRUE(pollFor(std::nullopt).events().empty());
}

void ignoreSignal(int) {}

TEST_P(BackendContractTest, SignalDuringBlockedPollReturnsZeroEvents) {
  struct sigaction action {};
  action.sa_handler = ignoreSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART (poll-like calls never restart anyway)
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &previous), 0);
  const pthread_t target = ::pthread_self();
  std::atomic<bool> done{false};
  // Keep signalling: the first signal may land before poll() blocks.
  std::thread signaller([&] {
    while (!done.load()) {
      ::pthread_kill(target, SIGUSR1);
      std::this_thread::sleep_for(milliseconds(10));
    }
  });
  RecordingSink sink;
  absl::StatusOr<int> n = backend_->poll(std::nullopt, sink);
  done = true;
  signaller.join();
  ::sigaction(SIGUSR1, &previous, nullptr);
  ASSERT_TRUE(n.ok()) << "EINTR is not an error: " << n.status();
  EXPECT_EQ(*n, 0);
  EXPECT_TRUE(sink.events().empty());
}

TEST_P(BackendContractTest, ZeroTimeoutDoesNotBlock) {
  SocketPair pair = SocketPair::make();
  watch(pair.a.get(), Interest::kNone, Interest::kRead);
  // Nothing is ready and nobody wakes us: only a non-blocking poll returns.
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(pollNow().events().empty());
  EXPECT_TRUE(pollFor(nanoseconds(-5)).events().empty()) << "negative means zero";
}

// Correctness, not speed: a timer must never fire early, so the wait must
// last at least what was asked, whatever the kernel's granularity.
TEST_P(BackendContractTest, TimeoutNeverReturnsEarly) {
  SocketPair pair = SocketPair::make();
  watch(pair.a.get(), Interest::kNone, Interest::kRead);
  for (nanoseconds requested :
       {nanoseconds(1), nanoseconds(999), nanoseconds(1'000'001), nanoseconds(1'500'000),
        nanoseconds(2'000'000), nanoseconds(7'654'321)}) {
    const auto start = std::chrono::steady_clock::now();
    RecordingSink sink = pollFor(requested);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(sink.events().empty());
    EXPECT_GE(elapsed, requested) << "asked for " << requested.count() << " ns, waited "
                                  << nanoseconds(elapsed).count() << " ns";
  }
}

TEST_P(BackendContractTest, RegularFilesAreReportedReady) {
  if (!backend_->features().regularFilesAlwaysReady) {
    GTEST_SKIP() << "backend does not accept regular files";
  }
  OwnedFd file = testing::makeRegularFile();
  watch(file.get(), Interest::kNone, Interest::kRead);
  // No timeout: a backend that waited for a regular file would hang here.
  EXPECT_EQ(pollFor(std::nullopt).bitsFor(file.get()), kReadable);
  watch(file.get(), Interest::kRead, Interest::kReadWrite);
  EXPECT_EQ(pollFor(std::nullopt).bitsFor(file.get()), kReadable | kWritable);
  watch(file.get(), Interest::kReadWrite, Interest::kWrite);
  EXPECT_EQ(pollFor(std::nullopt).bitsFor(file.get()), kWritable);
  watch(file.get(), Interest::kWrite, Interest::kNone);
  EXPECT_TRUE(pollNow().events().empty());
}

TEST_P(BackendContractTest, ForgetDuringBatchAppliesToRegularFiles) {
  if (!backend_->features().regularFilesAlwaysReady) {
    GTEST_SKIP() << "backend does not accept regular files";
  }
  OwnedFd f1 = testing::makeRegularFile();
  OwnedFd f2 = testing::makeRegularFile();
  watch(f1.get(), Interest::kNone, Interest::kRead);
  watch(f2.get(), Interest::kNone, Interest::kRead);
  RecordingSink sink;
  sink.hook = [&](int fd, std::uint8_t) {
    backend_->forget(fd == f1.get() ? f2.get() : f1.get());
  };
  absl::StatusOr<int> n = backend_->poll(kNoWait, sink);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(sink.events().size(), 1u);
  EXPECT_EQ(pollNow().events().size(), 1u);
}

TEST_P(BackendContractTest, DescriptorsAtOrAboveMaxFdAreRefused) {
  const int maxFd = backend_->features().maxFd;
  if (maxFd == -1) GTEST_SKIP() << "backend has no descriptor limit";
  for (int fd : {maxFd, maxFd + 1, maxFd * 4}) {
    absl::Status s = backend_->setInterest(fd, Interest::kNone, Interest::kRead);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_NE(std::string(s.message()).find(std::to_string(fd)), std::string::npos) << s;
    EXPECT_NE(std::string(s.message()).find(std::to_string(maxFd)), std::string::npos)
        << s;
  }
  EXPECT_TRUE(pollNow().events().empty());
}

TEST_P(BackendContractTest, ManyDescriptorsAreAllReported) {
  std::vector<SocketPair> pairs;
  for (int i = 0; i < 200; ++i) {
    pairs.push_back(SocketPair::make());
    ASSERT_TRUE(testing::writeByte(pairs.back().b.get()));
    watch(pairs.back().a.get(), Interest::kNone, Interest::kRead);
  }
  RecordingSink sink = pollNow();
  EXPECT_EQ(sink.events().size(), pairs.size());
  for (const SocketPair& p : pairs) EXPECT_EQ(sink.bitsFor(p.a.get()), kReadable);
  // Remove every other one; only the rest are reported.
  for (std::size_t i = 0; i < pairs.size(); i += 2) {
    watch(pairs[i].a.get(), Interest::kRead, Interest::kNone);
  }
  RecordingSink after = pollNow();
  EXPECT_EQ(after.events().size(), pairs.size() / 2);
  for (std::size_t i = 1; i < pairs.size(); i += 2) {
    EXPECT_EQ(after.bitsFor(pairs[i].a.get()), kReadable);
  }
}

TEST_P(BackendContractTest, PollFromInsideTheSinkIsRefused) {
  SocketPair pair = SocketPair::make();
  watch(pair.a.get(), Interest::kNone, Interest::kWrite);
  absl::Status nested;
  RecordingSink sink;
  sink.hook = [&](int, std::uint8_t) {
    RecordingSink inner;
    nested = backend_->poll(kNoWait, inner).status();
  };
  ASSERT_TRUE(backend_->poll(kNoWait, sink).ok());
  EXPECT_EQ(nested.code(), absl::StatusCode::kFailedPrecondition) << nested;
  EXPECT_EQ(pollNow().events().size(), 1u) << "usable again after the refusal";
}

// Runs `childSteps` in a forked child and expects it to return 0 there.
void runInChild(const std::function<int()>& childSteps) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(childSteps());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "a step in the child failed";
}

// After fork() the child must not change the parent's registrations (with
// epoll both would share one kernel object).
TEST_P(BackendContractTest, ReinitializeAfterForkKeepsParentRegistrations) {
  if (!backend_->features().needsReinitAfterFork) {
    GTEST_SKIP() << "backend keeps no kernel state that fork() shares";
  }
  SocketPair pair = SocketPair::make();
  ASSERT_TRUE(testing::writeByte(pair.b.get()));
  watch(pair.a.get(), Interest::kNone, Interest::kRead);
  runInChild([&] {
    if (!backend_->reinitializeAfterFork().ok()) return 1;
    RecordingSink sink;
    if (!backend_->poll(kNoWait, sink).ok()) return 2;
    if (sink.bitsFor(pair.a.get()) != kReadable) return 3;  // carried over
    if (!backend_->setInterest(pair.a.get(), Interest::kRead, Interest::kNone).ok()) {
      return 4;
    }
    return 0;
  });
  EXPECT_EQ(pollNow().bitsFor(pair.a.get()), kReadable) << "the child unregistered it";
}

// ... nor eat a wake-up meant for the parent (they would share the waker).
TEST_P(BackendContractTest, ReinitializeAfterForkKeepsParentWakeUps) {
  if (!backend_->features().needsReinitAfterFork) {
    GTEST_SKIP() << "backend keeps no kernel state that fork() shares";
  }
  backend_->wakeUp();
  runInChild([&] {
    if (!backend_->reinitializeAfterFork().ok()) return 1;
    RecordingSink sink;
    if (!backend_->poll(kNoWait, sink).ok()) return 2;  // drains its own waker
    backend_->wakeUp();  // must not reach the parent either
    return backend_->poll(kNoWait, sink).ok() ? 0 : 3;
  });
  // Returns at once if our wake-up is still pending; a lost one waits 10 s.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(pollFor(std::chrono::seconds(10)).events().empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(9))
      << "the child consumed the parent's wake-up";
}

INSTANTIATE_TEST_SUITE_P(AllBackends, BackendContractTest,
                         ::testing::ValuesIn(torsion::availableBackends()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace torsion
