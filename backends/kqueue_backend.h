// torsion/backends/kqueue_backend.h: the kqueue(2) backend for FreeBSD,
// macOS, NetBSD and OpenBSD.
//
// Mirrors twisted.internet.kqreactor: one EVFILT_READ and one EVFILT_WRITE
// knote per watched direction (level-triggered), changes applied with one
// kevent() changelist per setInterest(), and EV_EOF with a non-zero `fflags`
// (the socket error, as kqreactor reads it) reported as hang-up plus error.
// READ and WRITE knotes that fire for one fd in one poll are merged into one
// onReady(). The cross-thread wake-up is an EVFILT_USER knote (NOTE_TRIGGER),
// so no pipe is needed. Regular files and directories are kept out of the
// kqueue and reported always ready, as poll(2) does: kqueue's vnode rule
// (readable only before end of file) would hang a reactor that expects
// poll semantics.
//
//   absl::StatusOr<std::unique_ptr<Backend>> b = KqueueBackend::create();
//   (*b)->setInterest(fd, Interest::kNone, Interest::kRead);
//   (*b)->poll(std::chrono::milliseconds(5), sink);
//
// Normally reached through createBackend("kqueue"); linking //backends:kqueue
// registers it as the first choice on BSD and macOS (backends/backend_order.bzl:
// after epoll, before poll). On Linux it is built only for tests, against the
// epoll-based emulation in backends/kqueue_shim/ (//backends:kqueue_on_shim),
// registered last so that it is never the automatic choice there. It has
// been tested against that emulation, not against a BSD kernel: see
// docs/kqueue.md.
//
// Only EV_SET and field names are used, never numeric constants or ext[], so
// it compiles against FreeBSD's and macOS's <sys/event.h> alike.
//
// Thread-safety: as Backend: only wakeUp() may be called from other threads
// (and from signal handlers).
#ifndef TORSION_BACKENDS_KQUEUE_BACKEND_H_
#define TORSION_BACKENDS_KQUEUE_BACKEND_H_

#include <sys/types.h>
// <sys/event.h> after <sys/types.h>: FreeBSD before 12 needs it.
#include <sys/event.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/always_ready_list.h"
#include "backends/backend.h"

namespace torsion {

class KqueueBackend final : public Backend {
 public:
  struct Options {
    // Size of the reusable event array: at most this many kevents are
    // gathered per poll(); the rest wait for the next one (level-triggered,
    // so nothing is lost). One fd ready both ways takes two entries.
    int maxEventsPerPoll = 512;
  };

  // Creates a kqueue with its EVFILT_USER wake-up knote. Errors name the
  // failing call (kqueue, kevent) and come from the kernel: EMFILE, ENOMEM.
  static absl::StatusOr<std::unique_ptr<Backend>> create();
  static absl::StatusOr<std::unique_ptr<Backend>> create(const Options& options);

  // OK when kqueue() works here (creates and closes a queue).
  static absl::Status probe();

  ~KqueueBackend() override;

  absl::Status setInterest(int fd, Interest previous, Interest wanted) override;
  void forget(int fd) noexcept override;
  absl::StatusOr<int> poll(std::optional<std::chrono::nanoseconds> timeout,
                           ReadinessSink& sink) override;
  void wakeUp() const noexcept override;
  absl::Status reinitializeAfterFork() override;

 private:
  struct FdState {
    Interest interest = Interest::kNone;
    std::uint8_t mask = 0;     // reportMask(interest), cached for poll()
    bool alwaysReady = false;  // regular file or directory: in alwaysReady_
    std::uint32_t alwaysReadyIndex = 0;
    std::uint64_t forgottenInRound = 0;  // == round_: drop its events
    std::uint64_t gatheredInRound = 0;   // == round_: `gathered` is this round's
    std::uint8_t gathered = 0;           // bits merged from this round's kevents
  };

  KqueueBackend(int kq, int maxEvents);

  void ensureSlot(int fd);  // may throw std::bad_alloc; call before syscalls
  absl::Status applyChanges(int fd, Interest previous, Interest wanted);

  int kq_;
  bool dispatching_ = false;
  std::uint64_t round_ = 1;
  std::vector<FdState> fds_;               // indexed by fd
  std::vector<struct kevent> events_;      // fixed size, reused by every poll()
  std::vector<int> touched_;               // fds with bits gathered this round
  internal::AlwaysReadyList alwaysReady_;  // files the kernel refuses: always ready
};

}  // namespace torsion

#endif  // TORSION_BACKENDS_KQUEUE_BACKEND_H_
