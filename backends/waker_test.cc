// Runs against whichever Waker the target links: waker_test uses the
// platform's (eventfd on Linux), waker_pipe_test the self-pipe.
#include "backends/waker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>

#include <thread>
#include <utility>

#include "gtest/gtest.h"

namespace torsion::internal {
namespace {

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

TEST(WakerTest, WakeUpMakesReadableAndDrainClears) {
  absl::StatusOr<Waker> waker = Waker::create();
  ASSERT_TRUE(waker.ok()) << waker.status();
  EXPECT_FALSE(readable(waker->fd()));
  waker->wakeUp();
  EXPECT_TRUE(readable(waker->fd()));
  waker->drain();
  EXPECT_FALSE(readable(waker->fd()));
}

TEST(WakerTest, ManyWakeUpsNeedOneDrain) {
  absl::StatusOr<Waker> waker = Waker::create();
  ASSERT_TRUE(waker.ok()) << waker.status();
  for (int i = 0; i < 100'000; ++i) waker->wakeUp();  // fills a pipe: still fine
  EXPECT_TRUE(readable(waker->fd()));
  waker->drain();
  EXPECT_FALSE(readable(waker->fd()));
  waker->drain();  // draining an empty waker does not block
}

TEST(WakerTest, DescriptorIsNonBlockingAndCloseOnExec) {
  absl::StatusOr<Waker> waker = Waker::create();
  ASSERT_TRUE(waker.ok()) << waker.status();
  EXPECT_NE(::fcntl(waker->fd(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(waker->fd(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(WakerTest, WakeUpPreservesErrno) {
  absl::StatusOr<Waker> waker = Waker::create();
  ASSERT_TRUE(waker.ok()) << waker.status();
  errno = EINTR;
  waker->wakeUp();
  EXPECT_EQ(errno, EINTR);
}

TEST(WakerTest, WakeUpFromAnotherThread) {
  absl::StatusOr<Waker> waker = Waker::create();
  ASSERT_TRUE(waker.ok()) << waker.status();
  std::thread other([&] { waker->wakeUp(); });
  pollfd p{waker->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, -1), 1);  // blocks until the other thread wrote
  other.join();
  waker->drain();
}

TEST(WakerTest, MoveTransfersOwnership) {
  absl::StatusOr<Waker> first = Waker::create();
  ASSERT_TRUE(first.ok()) << first.status();
  const int fd = first->fd();
  Waker moved = *std::move(first);
  EXPECT_EQ(moved.fd(), fd);
  EXPECT_EQ(first->fd(), -1);  // NOLINT(bugprone-use-after-move): checking the state
  absl::StatusOr<Waker> second = Waker::create();
  ASSERT_TRUE(second.ok());
  moved = *std::move(second);  // closes the first descriptor
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

}  // namespace
}  // namespace torsion::internal
