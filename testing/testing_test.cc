// The shared test helpers do what their headers say: the pairs connect and
// close, the sink records, TestDescriptor counts and scripts, ClockTest
// fails a test that leaves calls pending.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "backends/registry.h"
#include "core/errors.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "testing/clock_test_base.h"
#include "testing/descriptor_pair.h"
#include "testing/recording_sink.h"
#include "testing/test_descriptor.h"

namespace torsion::testing {
namespace {

using namespace std::chrono_literals;

bool isOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }
bool nonBlocking(int fd) { return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }
bool closeOnExec(int fd) { return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

TEST(DescriptorPairTest, SocketPairIsConnectedNonBlockingAndClosedAtTheEnd) {
  int a, b;
  {
    SocketPair pair = SocketPair::make();
    a = pair.a.get();
    b = pair.b.get();
    for (int fd : {a, b}) {
      EXPECT_TRUE(nonBlocking(fd));
      EXPECT_TRUE(closeOnExec(fd));
    }
    ASSERT_TRUE(writeByte(b, 'q'));
    char c = 0;
    EXPECT_EQ(::read(a, &c, 1), 1);
    EXPECT_EQ(c, 'q');
    EXPECT_EQ(::read(a, &c, 1), -1) << "non-blocking: nothing more to read";
  }
  EXPECT_FALSE(isOpen(a));
  EXPECT_FALSE(isOpen(b));
}

TEST(DescriptorPairTest, PipeCarriesBytesFromWriteEndToReadEnd) {
  Pipe pipe = Pipe::make();
  EXPECT_TRUE(nonBlocking(pipe.readEnd.get()));
  EXPECT_TRUE(nonBlocking(pipe.writeEnd.get()));
  ASSERT_TRUE(writeByte(pipe.writeEnd.get()));
  char c = 0;
  EXPECT_EQ(::read(pipe.readEnd.get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
  EXPECT_FALSE(writeByte(pipe.readEnd.get())) << "the read end is not writable";
}

TEST(DescriptorPairTest, OwnedFdResetReleaseAndMove) {
  SocketPair pair = SocketPair::make();
  const int a = pair.a.get();
  OwnedFd moved = std::move(pair.a);
  EXPECT_EQ(pair.a.get(), -1);
  EXPECT_EQ(moved.get(), a);
  moved.reset();
  EXPECT_FALSE(isOpen(a));
  const int b = pair.b.release();
  EXPECT_EQ(pair.b.get(), -1);
  EXPECT_TRUE(isOpen(b)) << "release() does not close";
  ::close(b);
}

TEST(DescriptorPairTest, RegularFileIsARegularFile) {
  OwnedFd file = makeRegularFile();
  struct stat st {};
  ASSERT_EQ(::fstat(file.get(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_nlink, 0u) << "already unlinked";
}

TEST(RecordingSinkTest, RecordsOrsAndRunsTheHook) {
  RecordingSink sink;
  int hooked = 0;
  sink.hook = [&](int, std::uint8_t) { ++hooked; };
  sink.onReady(3, kReadable);
  sink.onReady(3, kHangup);
  sink.onReady(4, kWritable);
  EXPECT_EQ(sink.events().size(), 3u);
  EXPECT_EQ(sink.bitsFor(3), kReadable | kHangup);
  EXPECT_EQ(sink.bitsFor(5), 0);
  EXPECT_EQ(hooked, 3);
  sink.clear();
  EXPECT_TRUE(sink.events().empty());
}

TEST(RecordingSinkTest, DescribeBitsNamesEachBit) {
  EXPECT_EQ(describeBits(0), "none");
  EXPECT_EQ(describeBits(kReadable | kHangup), "readable|hangup");
  EXPECT_EQ(describeBits(kWritable | kError | kInvalid), "writable|error|invalid");
}

TEST(RecordingSinkTest, PollNowReportsAReadableSocket) {
  std::unique_ptr<Backend> backend = createdOrNull(createBackend("poll"));
  ASSERT_NE(backend, nullptr);
  SocketPair pair = SocketPair::make();
  ASSERT_TRUE(backend->setInterest(pair.a.get(), Interest::kNone, Interest::kRead).ok());
  ASSERT_TRUE(writeByte(pair.b.get()));
  EXPECT_EQ(pollNow(*backend).bitsFor(pair.a.get()), kReadable);
  backend->forget(pair.a.get());
}

TEST(RecordingSinkTest, CreatedOrNullFailsOnAnError) {
  EXPECT_NONFATAL_FAILURE(
      EXPECT_EQ(createdOrNull(absl::UnavailableError("no kernel support")), nullptr),
      "no kernel support");
}

TEST(TestDescriptorTest, CountsAndRunsWhatTheTestScripts) {
  TestDescriptor d(7);
  EXPECT_EQ(d.doRead(), nullptr);
  d.onWrite = [] { return std::make_exception_ptr(ConnectionDone()); };
  d.reason = d.doWrite();
  EXPECT_EQ(d.reads, 1);
  EXPECT_EQ(d.writes, 1);
  EXPECT_TRUE(d.reasonIs<ConnectionDone>());
  EXPECT_FALSE(d.reasonIs<ConnectionLost>());
  EXPECT_FALSE(d.reasonText().empty());
  EXPECT_EQ(d.fileno(), 7);
  d.filenoThrows = true;
  EXPECT_THROW(d.fileno(), std::runtime_error);
  EXPECT_EQ(d.filenoCalls, 2);
  d.connectionLost(nullptr);
  EXPECT_EQ(d.lost, 1);
  EXPECT_EQ(d.reasonText(), "");
}

TEST(TestDescriptorTest, DrainReportsConnectionDoneAtEndOfFile) {
  SocketPair pair = SocketPair::make();
  ASSERT_TRUE(writeByte(pair.b.get()));
  EXPECT_EQ(TestDescriptor::drain(pair.a.get()), nullptr);
  pair.b.reset();
  LostReason atEof = TestDescriptor::drain(pair.a.get());
  TestDescriptor d(pair.a.get());
  d.reason = atEof;
  EXPECT_TRUE(d.reasonIs<ConnectionDone>());
}

class ClockTestTest : public ClockTest {};

TEST_F(ClockTestTest, PendingCallFailsTheTest) {
  clock.callLater(1s, [] {});
  EXPECT_NONFATAL_FAILURE(ClockTest::TearDown(), "1 call(s) left pending on the clock");
  clock.advance(1);
}

TEST_F(ClockTestTest, CleanClockPasses) {
  int ran = 0;
  clock.callLater(1s, [&] { ++ran; });
  clock.advance(1);
  EXPECT_EQ(ran, 1);
}

}  // namespace
}  // namespace torsion::testing
