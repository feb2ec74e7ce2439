#include "backends/test_util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace torsion::internal {

OwnedFd& OwnedFd::operator=(OwnedFd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void OwnedFd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

SocketPair SocketPair::make() {
  int fds[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
    std::abort();
  }
  return SocketPair{OwnedFd(fds[0]), OwnedFd(fds[1])};
}

Pipe Pipe::make() {
  int fds[2] = {-1, -1};
  if (::pipe(fds) != 0) std::abort();
  for (int fd : fds) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  return Pipe{OwnedFd(fds[0]), OwnedFd(fds[1])};
}

OwnedFd makeRegularFile() {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path =
      std::string(dir != nullptr ? dir : "/tmp") + "/torsion-backend-XXXXXX";
  const int fd = ::mkstemp(path.data());
  if (fd < 0) std::abort();
  ::unlink(path.c_str());
  return OwnedFd(fd);
}

bool writeByte(int fd) {
  const char byte = 'x';
  return ::write(fd, &byte, 1) == 1;
}

void RecordingSink::onReady(int fd, std::uint8_t readyEvents) {
  events_.push_back({fd, readyEvents});
  if (hook) hook(fd, readyEvents);
}

std::uint8_t RecordingSink::bitsFor(int fd) const {
  std::uint8_t bits = 0;
  for (const Event& e : events_) {
    if (e.fd == fd) bits |= e.bits;
  }
  return bits;
}

std::string describeBits(std::uint8_t bits) {
  std::string out;
  const std::pair<std::uint8_t, const char*> names[] = {
      {kReadable, "readable"}, {kWritable, "writable"}, {kHangup, "hangup"},
      {kError, "error"},       {kInvalid, "invalid"},
  };
  for (const auto& [bit, name] : names) {
    if (bits & bit) out += out.empty() ? name : std::string("|") + name;
  }
  return out.empty() ? "none" : out;
}

std::unique_ptr<Backend> createdOrNull(absl::StatusOr<std::unique_ptr<Backend>> created) {
  EXPECT_TRUE(created.ok()) << created.status();
  return created.ok() ? *std::move(created) : nullptr;
}

RecordingSink pollNow(Backend& backend) {
  RecordingSink sink;
  absl::StatusOr<int> n = backend.poll(std::chrono::nanoseconds(0), sink);
  EXPECT_TRUE(n.ok()) << n.status();
  return sink;
}

}  // namespace torsion::internal
