#include "backends/errno_status.h"

#include <errno.h>
#include <string.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace torsion {
namespace {

using ::testing::HasSubstr;

TEST(ErrnoToStatusTest, MessageNamesTheCallTheReasonAndTheNumber) {
  absl::Status s = ErrnoToStatus(ENOENT, "epoll_ctl(MOD, fd=7)");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  const std::string message(s.message());
  EXPECT_THAT(message, HasSubstr("epoll_ctl(MOD, fd=7) failed: "));
  EXPECT_THAT(message, HasSubstr(::strerror(ENOENT)));
  EXPECT_THAT(message, HasSubstr("(errno " + std::to_string(ENOENT) + ")"));
}

TEST(ErrnoToStatusTest, CodesFollowAbseil) {
  EXPECT_EQ(ErrnoToStatus(EINVAL, "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrnoToStatus(ENOMEM, "x").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatus(EBADF, "x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrnoToStatus(ENOSYS, "x").code(), absl::StatusCode::kUnimplemented);
}

TEST(ErrnoToStatusTest, ZeroErrnoIsStillAFailure) {
  absl::Status s = ErrnoToStatus(0, "read(fd=3)");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnknown);
  EXPECT_THAT(std::string(s.message()), HasSubstr("read(fd=3)"));
}

TEST(ErrnoToStatusTest, UnknownErrnoDoesNotCrash) {
  absl::Status s = ErrnoToStatus(99999, "close(fd=9)");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("errno 99999"));
}

}  // namespace
}  // namespace torsion
