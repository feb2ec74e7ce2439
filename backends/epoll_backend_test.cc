// epoll-only behaviour beyond the contract suite and the poll-family bits
// (poll_family_bits_test.cc): hang-up with write interest only, the millisecond fallback,
// a small event array, EPERM files, and messages that name epoll_ctl.
#include "backends/epoll_backend.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/descriptor_pair.h"
#include "testing/recording_sink.h"

namespace torsion {
namespace {

using std::chrono::nanoseconds;
using testing::describeBits;
using ::testing::HasSubstr;
using testing::Pipe;
using testing::pollNow;
using testing::RecordingSink;
using testing::SocketPair;

std::unique_ptr<Backend> makeEpoll(EpollBackend::Options options = {}) {
  return testing::createdOrNull(EpollBackend::create(options));
}

TEST(EpollBackendTest, FeaturesMatchEpoll) {
  std::unique_ptr<Backend> b = makeEpoll();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->name(), "epoll");
  EXPECT_TRUE(b->features().constantTimePerEvent);
  EXPECT_TRUE(b->features().needsReinitAfterFork);
  EXPECT_TRUE(b->features().regularFilesAlwaysReady);
  EXPECT_EQ(b->features().maxFd, -1);
}

TEST(EpollBackendTest, HangupIsReportedEvenWithWriteInterestOnly) {
  std::unique_ptr<Backend> b = makeEpoll();
  Pipe pipe = Pipe::make();
  ASSERT_TRUE(b->setInterest(pipe.readEnd.get(), Interest::kNone, Interest::kWrite).ok());
  pipe.writeEnd.reset();
  const std::uint8_t bits = pollNow(*b).bitsFor(pipe.readEnd.get());
  EXPECT_EQ(bits, kHangup) << describeBits(bits);
}

TEST(EpollBackendTest, MillisecondFallbackNeverReturnsEarly) {
  std::unique_ptr<Backend> b = makeEpoll({.useEpollPwait2 = false});
  ASSERT_FALSE(static_cast<EpollBackend&>(*b).usesEpollPwait2());
  // Several tries each: a loaded machine can hide one early return, not all.
  for (int attempt = 0; attempt < 5; ++attempt) {
    for (nanoseconds requested : {nanoseconds(1), nanoseconds(1'000'001),
                                  nanoseconds(1'999'999), nanoseconds(2'500'000)}) {
      RecordingSink sink;
      const auto start = std::chrono::steady_clock::now();
      ASSERT_TRUE(b->poll(requested, sink).ok());
      const auto elapsed = std::chrono::steady_clock::now() - start;
      EXPECT_GE(elapsed, requested) << requested.count() << " ns";
    }
  }
}

TEST(EpollBackendTest, SmallEventArrayStillReportsEverything) {
  std::unique_ptr<Backend> b = makeEpoll({.maxEventsPerPoll = 2});
  std::vector<SocketPair> pairs;
  for (int i = 0; i < 7; ++i) {
    pairs.push_back(SocketPair::make());
    ASSERT_TRUE(testing::writeByte(pairs.back().b.get()));
    ASSERT_TRUE(
        b->setInterest(pairs.back().a.get(), Interest::kNone, Interest::kRead).ok());
  }
  // Level-triggered: what one poll cannot hold comes in the next ones.
  std::vector<int> seen;
  for (int round = 0; round < 20 && seen.size() < pairs.size(); ++round) {
    RecordingSink sink = pollNow(*b);
    EXPECT_LE(sink.events().size(), 2u);
    for (const auto& e : sink.events()) {
      if (std::find(seen.begin(), seen.end(), e.fd) == seen.end()) seen.push_back(e.fd);
      // Stop watching what was reported so the rest get their turn.
      ASSERT_TRUE(b->setInterest(e.fd, Interest::kRead, Interest::kNone).ok());
    }
  }
  EXPECT_EQ(seen.size(), pairs.size());
}

TEST(EpollBackendTest, InvalidOptionsAreRefused) {
  absl::StatusOr<std::unique_ptr<Backend>> b =
      EpollBackend::create({.maxEventsPerPoll = 0});
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument) << b.status();
  EXPECT_THAT(std::string(b.status().message()), HasSubstr("maxEventsPerPoll"));
}

TEST(EpollBackendTest, ErrorsNameEpollCtlAndTheFd) {
  std::unique_ptr<Backend> b = makeEpoll();
  SocketPair pair = SocketPair::make();
  const int fd = pair.a.get();
  ASSERT_TRUE(b->setInterest(fd, Interest::kNone, Interest::kRead).ok());
  pair.a.reset();  // closed behind the backend's back
  absl::Status s = b->setInterest(fd, Interest::kRead, Interest::kWrite);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("epoll_ctl(MOD, fd=" + std::to_string(fd) + ") failed: "));
  // State unchanged: the backend still records kRead.
  EXPECT_EQ(b->setInterest(fd, Interest::kNone, Interest::kWrite).code(),
            absl::StatusCode::kFailedPrecondition);
  b->forget(fd);
  absl::Status add = b->setInterest(fd, Interest::kNone, Interest::kRead);
  EXPECT_THAT(std::string(add.message()),
              HasSubstr("epoll_ctl(ADD, fd=" + std::to_string(fd) + ") failed: "));
}

TEST(EpollBackendTest, RegularFileIsReportedWithoutBlocking) {
  std::unique_ptr<Backend> b = makeEpoll();
  testing::OwnedFd file = testing::makeRegularFile();
  SocketPair idle = SocketPair::make();
  ASSERT_TRUE(b->setInterest(idle.a.get(), Interest::kNone, Interest::kRead).ok());
  ASSERT_TRUE(b->setInterest(file.get(), Interest::kNone, Interest::kRead).ok());
  RecordingSink sink;
  // An infinite wait returns at once: the file is always ready.
  absl::StatusOr<int> n = b->poll(std::nullopt, sink);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(sink.bitsFor(file.get()), kReadable);
  // forget() outside a batch drops it too.
  b->forget(file.get());
  EXPECT_TRUE(pollNow(*b).events().empty());
}

}  // namespace
}  // namespace torsion
