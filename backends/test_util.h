// torsion/backends/test_util.h: descriptors and sinks for backend tests.
//
// Test-only. Owns the pipes, socketpairs and files the backend tests watch,
// and records what a poll() reported.
//
//   internal::SocketPair pair = internal::SocketPair::make();
//   internal::RecordingSink sink;
//   backend.poll(std::chrono::nanoseconds(0), sink);
//   EXPECT_EQ(sink.bitsFor(pair.a.get()), kReadable);
#ifndef TORSION_BACKENDS_TEST_UTIL_H_
#define TORSION_BACKENDS_TEST_UTIL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/backend.h"

namespace torsion::internal {

// Closes its descriptor on destruction.
class OwnedFd {
 public:
  OwnedFd() = default;
  explicit OwnedFd(int fd) : fd_(fd) {}
  OwnedFd(OwnedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  OwnedFd& operator=(OwnedFd&& other) noexcept;
  ~OwnedFd() { reset(); }
  int get() const { return fd_; }
  // Closes the descriptor now (the number becomes free for reuse).
  void reset();
  // Forgets the descriptor without closing it.
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// A connected, non-blocking AF_UNIX stream socketpair. Aborts the test
// binary when it cannot be made (out of descriptors): nothing to test then.
struct SocketPair {
  OwnedFd a, b;
  static SocketPair make();
};

// A non-blocking pipe; aborts like SocketPair::make.
struct Pipe {
  OwnedFd readEnd, writeEnd;
  static Pipe make();
};

// A regular file in the test's temporary directory, opened read-write.
OwnedFd makeRegularFile();

// Writes one byte to `fd`; returns false when write() failed.
bool writeByte(int fd);

// The backend a factory made, or nullptr after failing the current test
// with the factory's status.
std::unique_ptr<Backend> createdOrNull(absl::StatusOr<std::unique_ptr<Backend>> created);

// Records every onReady(); can run a hook on each, to act during a batch.
class RecordingSink : public ReadinessSink {
 public:
  struct Event {
    int fd;
    std::uint8_t bits;
  };

  void onReady(int fd, std::uint8_t readyEvents) override;

  const std::vector<Event>& events() const { return events_; }
  // OR of every bit reported for `fd` (0 when never reported).
  std::uint8_t bitsFor(int fd) const;
  void clear() { events_.clear(); }
  std::function<void(int fd, std::uint8_t bits)> hook;

 private:
  std::vector<Event> events_;
};

// Polls `backend` once without blocking and returns what it reported; a
// failed poll fails the current test.
RecordingSink pollNow(Backend& backend);

// "readable|hangup" for failure messages.
std::string describeBits(std::uint8_t bits);

}  // namespace torsion::internal

#endif  // TORSION_BACKENDS_TEST_UTIL_H_
