// torsion/backends/select_backend.h: the portable select(2) backend.
//
// Mirrors twisted.internet.selectreactor: read and write fd_sets, the
// last-resort backend that exists everywhere. select(2) cannot watch a
// descriptor at or above FD_SETSIZE (writing one into an fd_set corrupts
// memory), so setInterest refuses those with InvalidArgument and features()
// reports maxFd = FD_SETSIZE. It has no hang-up or error bits: a closed peer
// reads as readable (EOF), a pending error as readable and writable. A
// descriptor closed while registered makes select fail with EBADF; the
// backend then finds it and reports kInvalid, as Twisted's
// _preenDescriptors does. Timeouts use pselect's timespec, so nothing is
// rounded.
//
//   absl::StatusOr<std::unique_ptr<Backend>> b = SelectBackend::create();
//   (*b)->setInterest(fd, Interest::kNone, Interest::kRead);
//
// Normally reached through createBackend("select"); linking
// //backends:select registers it, the last choice (backends/backend_order.bzl).
//
// Thread-safety: as Backend: only wakeUp() may be called from other threads.
#ifndef TORSION_BACKENDS_SELECT_BACKEND_H_
#define TORSION_BACKENDS_SELECT_BACKEND_H_

#include <sys/select.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/backend.h"
#include "backends/waker.h"

namespace torsion {

class SelectBackend final : public Backend {
 public:
  // Creates the backend and its waker; fails if even the waker's descriptor
  // is at or above FD_SETSIZE.
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
    std::uint8_t mask = 0;               // reportMask(interest)
    std::uint64_t forgottenInRound = 0;  // == round_: drop its events
  };

  explicit SelectBackend(internal::Waker waker);

  void apply(int fd, Interest wanted) noexcept;  // fd_sets, state and maxFd_
  int reportInvalid(ReadinessSink& sink);        // after EBADF

  internal::Waker waker_;
  fd_set readSet_;
  fd_set writeSet_;
  fd_set readReady_;  // what pselect returned; reused, no per-poll allocation
  fd_set writeReady_;
  FdState fds_[FD_SETSIZE];
  int maxFd_ = -1;  // highest descriptor in either set (at least the waker)
  bool dispatching_ = false;
  std::uint64_t round_ = 1;
};

}  // namespace torsion

#endif  // TORSION_BACKENDS_SELECT_BACKEND_H_
