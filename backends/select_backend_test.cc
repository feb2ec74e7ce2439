// select-only behaviour beyond the contract suite: the FD_SETSIZE guard and
// EBADF preening.
#include "backends/select_backend.h"

#include <sys/resource.h>
#include <sys/select.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/descriptor_pair.h"
#include "testing/recording_sink.h"

namespace torsion {
namespace {

using ::testing::HasSubstr;
using testing::RecordingSink;
using testing::SocketPair;

std::unique_ptr<Backend> makeSelect() {
  return testing::createdOrNull(SelectBackend::create());
}

TEST(SelectBackendTest, FeaturesReportFdSetSize) {
  std::unique_ptr<Backend> b = makeSelect();
  EXPECT_EQ(b->features().maxFd, FD_SETSIZE);
  EXPECT_FALSE(b->features().constantTimePerEvent);
}

// A real open descriptor above the limit, not just a number: writing it into
// an fd_set would corrupt memory (ASan would say so).
TEST(SelectBackendTest, OpenDescriptorAboveFdSetSizeIsRefused) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max <= FD_SETSIZE + 10) {
    GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << limit.rlim_max << " is too low";
  }
  const rlimit saved = limit;
  if (limit.rlim_cur <= FD_SETSIZE + 10) {
    limit.rlim_cur = FD_SETSIZE + 11;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  }
  SocketPair pair = SocketPair::make();
  const int high = FD_SETSIZE + 5;
  ASSERT_EQ(::dup2(pair.a.get(), high), high);
  testing::OwnedFd highFd(high);
  std::unique_ptr<Backend> b = makeSelect();
  absl::Status s = b->setInterest(high, Interest::kNone, Interest::kRead);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("fd=" + std::to_string(high)));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("FD_SETSIZE (" + std::to_string(FD_SETSIZE) + ")"));
  b->forget(high);  // out of range: ignored, no crash
  highFd.reset();
  ::setrlimit(RLIMIT_NOFILE, &saved);
}

TEST(SelectBackendTest, ClosedRegisteredFdIsReportedInvalid) {
  std::unique_ptr<Backend> b = makeSelect();
  SocketPair pair = SocketPair::make();
  SocketPair healthy = SocketPair::make();
  const int fd = pair.a.get();
  ASSERT_TRUE(b->setInterest(fd, Interest::kNone, Interest::kRead).ok());
  ASSERT_TRUE(b->setInterest(healthy.a.get(), Interest::kNone, Interest::kRead).ok());
  pair.a.reset();
  RecordingSink sink;
  absl::StatusOr<int> n = b->poll(std::chrono::nanoseconds(0), sink);
  ASSERT_TRUE(n.ok()) << "EBADF is reported per fd, not as a poll error: " << n.status();
  EXPECT_EQ(sink.bitsFor(fd), kInvalid);
  EXPECT_EQ(sink.bitsFor(healthy.a.get()), 0);
  b->forget(fd);
  RecordingSink after;
  ASSERT_TRUE(b->poll(std::chrono::nanoseconds(0), after).ok());
  EXPECT_TRUE(after.events().empty());
}

}  // namespace
}  // namespace torsion
