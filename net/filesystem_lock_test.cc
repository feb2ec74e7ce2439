// Tests for FilesystemLock and isLocked (net/filesystem_lock.h), after
// twisted/test/test_lockfile.py LockingTests.
#include "net/filesystem_lock.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace torsion::net {
namespace {

// The process id the link at `path` names, or "" when there is no link.
std::string linkTarget(const std::string& path) {
  char buf[64];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
}

// A process id that no longer names a process: a child that has exited and
// been reaped.
pid_t deadPid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

class FilesystemLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    path_ = std::string(tmp ? tmp : "/tmp") + "/torsion-lock-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ::unlink(path_.c_str());
  }
  void TearDown() override { ::unlink(path_.c_str()); }
  std::string path_;
};

// test_cleanlyAcquire: a free lock is taken, cleanly, as a link to our pid.
// A NUL byte would cut the name short at symlink(2): "PATH\0x" used to
// lock PATH. lock(), unlock() and isLocked() refuse it and touch nothing.
TEST_F(FilesystemLockTest, NulInNameIsRefused) {
  const std::string nulName = path_ + std::string("\0x", 2);
  FilesystemLock lock(nulName);
  absl::StatusOr<bool> got = lock.lock();
  EXPECT_EQ(linkTarget(path_), "") << "locked " << path_;
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(got.status().message().find("contains a NUL byte"), std::string::npos)
      << got.status().message();
  EXPECT_EQ(isLocked(nulName).status().code(), absl::StatusCode::kInvalidArgument);

  // unlock() of the cut name must not release a lock held at PATH.
  FilesystemLock real(path_);
  ASSERT_TRUE(*real.lock());
  EXPECT_EQ(lock.unlock().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(linkTarget(path_), std::to_string(::getpid()));
}

TEST_F(FilesystemLockTest, CleanlyAcquire) {
  FilesystemLock lock(path_);
  absl::StatusOr<bool> got = lock.lock();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got);
  EXPECT_TRUE(lock.locked());
  EXPECT_TRUE(lock.clean());
  EXPECT_EQ(linkTarget(path_), std::to_string(::getpid()));
}

// test_cleanlyRelease: unlock removes the link, and the lock can be taken again.
TEST_F(FilesystemLockTest, CleanlyRelease) {
  FilesystemLock lock(path_);
  ASSERT_TRUE(*lock.lock());
  ASSERT_TRUE(lock.unlock().ok());
  EXPECT_FALSE(lock.locked());
  EXPECT_EQ(linkTarget(path_), "");
  FilesystemLock again(path_);
  EXPECT_TRUE(*again.lock());
}

// test_cannotLockLocked: a lock held by a live process (here, this one
// through another object) is not taken.
TEST_F(FilesystemLockTest, CannotLockLocked) {
  FilesystemLock first(path_);
  ASSERT_TRUE(*first.lock());
  FilesystemLock second(path_);
  absl::StatusOr<bool> got = second.lock();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(*got);
  EXPECT_FALSE(second.locked());
}

// A lock held by another live process is not taken either.
TEST_F(FilesystemLockTest, CannotLockLockedByAnotherProcess) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    // Holds the lock until the parent closes the pipe.
    char c;
    ::close(fds[1]);
    if (::symlink(std::to_string(::getpid()).c_str(), path_.c_str()) != 0) ::_exit(1);
    (void)!::read(fds[0], &c, 1);
    ::_exit(0);
  }
  ::close(fds[0]);
  while (linkTarget(path_) != std::to_string(child)) ::usleep(1000);
  FilesystemLock lock(path_);
  absl::StatusOr<bool> got = lock.lock();
  absl::StatusOr<bool> held = isLocked(path_);
  ::close(fds[1]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(*got);
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_TRUE(*held);
}

// test_uncleanlyAcquire: a lock whose holder died is replaced, and clean()
// says so.
TEST_F(FilesystemLockTest, UncleanlyAcquire) {
  ASSERT_EQ(::symlink(std::to_string(deadPid()).c_str(), path_.c_str()), 0);
  FilesystemLock lock(path_);
  absl::StatusOr<bool> got = lock.lock();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got);
  EXPECT_FALSE(lock.clean());
  EXPECT_EQ(linkTarget(path_), std::to_string(::getpid()));
}

// test_unlockOther: releasing a lock another process holds is refused and
// leaves it alone.
TEST_F(FilesystemLockTest, UnlockOther) {
  const std::string other = std::to_string(deadPid());
  ASSERT_EQ(::symlink(other.c_str(), path_.c_str()), 0);
  FilesystemLock lock(path_);
  absl::Status s = lock.unlock();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find(path_), std::string::npos) << s;
  EXPECT_EQ(linkTarget(path_), other);
}

// test_isLocked: false for a free lock (and the probe leaves none behind),
// true while held.
TEST_F(FilesystemLockTest, IsLocked) {
  absl::StatusOr<bool> free = isLocked(path_);
  ASSERT_TRUE(free.ok()) << free.status();
  EXPECT_FALSE(*free);
  EXPECT_EQ(linkTarget(path_), "");
  {
    FilesystemLock lock(path_);
    ASSERT_TRUE(*lock.lock());
    EXPECT_TRUE(*isLocked(path_));
  }
  // The destructor released it.
  EXPECT_FALSE(*isLocked(path_));
}

// test_symlinkError: a failure other than contention is an error naming the
// path, not "held".
TEST_F(FilesystemLockTest, SymlinkErrorIsReported) {
  const std::string missing = path_ + "-no-such-dir/lock";
  FilesystemLock lock(missing);
  absl::StatusOr<bool> got = lock.lock();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound) << got.status();
  EXPECT_NE(got.status().message().find(missing), std::string::npos) << got.status();
}

// A link that names no process id is not guessed at: it is an error.
TEST_F(FilesystemLockTest, LinkNamingNoProcessIsAnError) {
  ASSERT_EQ(::symlink("not-a-pid", path_.c_str()), 0);
  FilesystemLock lock(path_);
  absl::StatusOr<bool> got = lock.lock();
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("not-a-pid"), std::string::npos) << got.status();
  EXPECT_EQ(linkTarget(path_), "not-a-pid");
}

}  // namespace
}  // namespace torsion::net
