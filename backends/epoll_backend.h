// torsion/backends/epoll_backend.h: the Linux epoll(7) backend.
//
// Mirrors twisted.internet.epollreactor: level-triggered epoll, one
// registration per fd carrying EPOLLIN/EPOLLOUT, and regular files (which
// epoll_ctl refuses with EPERM) treated as always ready, as Twisted's
// _ContinuousPolling does. Cost per poll is proportional to the number of
// ready descriptors, not registered ones.
//
// epoll registers open files, not numbers: if a watched fd is closed while
// another descriptor (a dup, a forked child's copy) keeps the file open, the
// kernel keeps reporting it under the old number. Call forget() BEFORE
// close() so that the registration is deleted while the number still names
// the file; events for numbers we no longer watch are dropped regardless.
//
//   absl::StatusOr<std::unique_ptr<Backend>> b = EpollBackend::create();
//   (*b)->setInterest(fd, Interest::kNone, Interest::kRead);
//   (*b)->poll(std::chrono::milliseconds(5), sink);
//
// Normally reached through createBackend("epoll"); linking //backends:epoll
// registers it, the first choice on Linux (backends/backend_order.bzl).
//
// Thread-safety: as Backend: only wakeUp() may be called from other threads.
#ifndef TORSION_BACKENDS_EPOLL_BACKEND_H_
#define TORSION_BACKENDS_EPOLL_BACKEND_H_

#include <sys/epoll.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/statusor.h"
#include "backends/always_ready_list.h"
#include "backends/backend.h"
#include "backends/waker.h"

namespace torsion {

class EpollBackend final : public Backend {
 public:
  struct Options {
    // Use epoll_pwait2 (nanosecond timeouts, Linux 5.11+) when the kernel and
    // C library have it; otherwise timeouts are rounded up to milliseconds.
    // Tests turn it off to exercise the fallback.
    bool useEpollPwait2 = true;
    // Size of the reusable event array: at most this many kernel events are
    // gathered per poll(); the rest wait for the next one (level-triggered,
    // so nothing is lost).
    int maxEventsPerPoll = 512;
  };

  // Creates an epoll instance and its waker. Errors name the failing call
  // (epoll_create1, eventfd, epoll_ctl) and come from the kernel: EMFILE,
  // ENOMEM, or ENOSYS/EPERM under a seccomp policy.
  static absl::StatusOr<std::unique_ptr<Backend>> create();
  static absl::StatusOr<std::unique_ptr<Backend>> create(const Options& options);

  // OK when epoll works on this machine (creates and closes an instance).
  static absl::Status probe();

  ~EpollBackend() override;

  absl::Status setInterest(int fd, Interest previous, Interest wanted) override;
  void forget(int fd) noexcept override;
  absl::StatusOr<int> poll(std::optional<std::chrono::nanoseconds> timeout,
                           ReadinessSink& sink) override;
  void wakeUp() const noexcept override { waker_.wakeUp(); }
  absl::Status reinitializeAfterFork() override;
  // The epoll instance: readable when a watched fd is ready or after wakeUp().
  absl::StatusOr<int> fileno() const override { return epfd_; }
  bool readyWithoutWaiting() const noexcept override { return !alwaysReady_.empty(); }

  // Whether timeouts go to epoll_pwait2 (ns) or epoll_wait (ms, rounded up).
  bool usesEpollPwait2() const noexcept { return usePwait2_; }

 private:
  struct FdState {
    Interest interest = Interest::kNone;
    std::uint8_t mask = 0;     // reportMask(interest), cached for poll()
    bool alwaysReady = false;  // refused by epoll (EPERM): in alwaysReady_
    std::uint32_t alwaysReadyIndex = 0;
    std::uint64_t forgottenInRound = 0;  // == round_: drop its events
  };

  EpollBackend(int epfd, internal::Waker waker, bool usePwait2, int maxEvents);

  void ensureSlot(int fd);  // may throw std::bad_alloc; call before syscalls
  // The error of a failed wait, out of line and cold (see poll()).
  ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD absl::Status waitError(int err,
                                                                     int capacity) const;

  int epfd_;
  internal::Waker waker_;
  bool usePwait2_;
  bool dispatching_ = false;
  std::uint64_t round_ = 1;
  std::vector<FdState> fds_;               // indexed by fd
  std::vector<epoll_event> events_;        // fixed size, reused by every poll()
  internal::AlwaysReadyList alwaysReady_;  // files the kernel refuses: always ready
};

}  // namespace torsion

#endif  // TORSION_BACKENDS_EPOLL_BACKEND_H_
