// torsion/backends/poll_backend.h: the POSIX poll(2) backend.
//
// Mirrors twisted.internet.pollreactor: one pollfd per watched descriptor,
// POLLIN/POLLOUT from the interest, POLLHUP/POLLERR/POLLNVAL reported as
// they come. The pollfd array is dense and an fd -> index table makes every
// setInterest O(1); each poll costs O(registered descriptors), as poll(2)
// itself does. Timeouts use ppoll's timespec, so nothing is rounded.
//
//   absl::StatusOr<std::unique_ptr<Backend>> b = PollBackend::create();
//   (*b)->setInterest(fd, Interest::kNone, Interest::kReadWrite);
//
// Normally reached through createBackend("poll"); linking //backends:poll
// registers it, after the system's own multiplexer (backends/backend_order.bzl).
//
// Thread-safety: as Backend: only wakeUp() may be called from other threads.
#ifndef TORSION_BACKENDS_POLL_BACKEND_H_
#define TORSION_BACKENDS_POLL_BACKEND_H_

#include <poll.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/backend.h"
#include "backends/waker.h"

namespace torsion {

class PollBackend final : public Backend {
 public:
  // Creates the backend and its waker; errors name the failing call.
  static absl::StatusOr<std::unique_ptr<Backend>> create();

  absl::Status setInterest(int fd, Interest previous, Interest wanted) override;
  void forget(int fd) noexcept override;
  absl::StatusOr<int> poll(std::optional<std::chrono::nanoseconds> timeout,
                           ReadinessSink& sink) override;
  void wakeUp() const noexcept override { waker_.wakeUp(); }
  // Replaces the waker, which the child shares with the parent after fork().
  absl::Status reinitializeAfterFork() override;

 private:
  struct FdState {
    Interest interest = Interest::kNone;
    std::uint8_t mask = 0;    // reportMask(interest), cached for poll()
    std::int32_t index = -1;  // into pollfds_, -1 when not watched
  };

  explicit PollBackend(internal::Waker waker);

  void ensureSlot(int fd);  // may throw std::bad_alloc; call first
  void removeEntry(int fd) noexcept;
  void compact() noexcept;

  internal::Waker waker_;
  std::vector<pollfd> pollfds_;  // [0] is the waker; dense apart from tombstones
  std::vector<FdState> fds_;     // indexed by fd
  bool dispatching_ = false;
  // Entries removed while dispatching become tombstones (fd -1, which poll(2)
  // skips) so that indices do not move under the loop; compact() sweeps them.
  bool hasTombstones_ = false;
};

}  // namespace torsion

#endif  // TORSION_BACKENDS_POLL_BACKEND_H_
