#include "backends/kqueue_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/event.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/dispatch_scope.h"
#include "backends/interest.h"
#include "backends/kevent_set.h"
#include "backends/timeout.h"
#include "base/system_error.h"

namespace torsion {
namespace {

// The EVFILT_USER knote that wakeUp() triggers. Its ident lives in the
// EVFILT_USER namespace, apart from the descriptors of READ/WRITE knotes.
constexpr uintptr_t kWakeIdent = 0;

const char* filterName(short filter) {
  return filter == EVFILT_READ ? "EVFILT_READ" : "EVFILT_WRITE";
}

std::string changeCall(const struct kevent& change, int kq) {
  return absl::StrCat("kevent(kq=", kq, ", ",
                      (change.flags & EV_DELETE) ? "EV_DELETE" : "EV_ADD", ", ",
                      filterName(change.filter), ", fd=", change.ident, ")");
}

// Applies `count` changes with EV_RECEIPT, so every change is processed and
// gets its own result even when an earlier one fails. results[i].data is 0
// or the errno of change i. Returns -1 (errno set) if kevent itself failed.
int applyWithReceipts(int kq, struct kevent* changes, int count, struct kevent* results) {
  for (int i = 0; i < count; ++i) changes[i].flags |= EV_RECEIPT;
  const timespec zero{0, 0};
  const int n = ::kevent(kq, changes, count, results, count, &zero);
  if (n < 0) return -1;
  // Every receipt comes back, in order; anything missing is an unknown error.
  for (int i = n; i < count; ++i) {
    results[i] = changes[i];
    results[i].flags = EV_ERROR;
    results[i].data = EIO;
  }
  return n;
}

// Creates a kqueue with the wake-up knote; on error nothing leaks.
absl::StatusOr<int> newQueue() {
  const int kq = ::kqueue();
  if (kq < 0) return statusFromErrno(errno, "kqueue()");
  // kqueue descriptors are not inherited across fork() on the BSDs, but they
  // would be across exec(): close-on-exec, as EPOLL_CLOEXEC does for epoll.
  ::fcntl(kq, F_SETFD, FD_CLOEXEC);
  struct kevent change;
  // EV_CLEAR: retrieving the wake-up resets it, so it drains itself.
  evSet(&change, kWakeIdent, EVFILT_USER, EV_ADD | EV_CLEAR, 0);
  if (::kevent(kq, &change, 1, nullptr, 0, nullptr) != 0) {
    absl::Status s = statusFromErrno(
        errno, absl::StrCat("kevent(kq=", kq, ", EV_ADD, EVFILT_USER) for the waker"));
    ::close(kq);
    return s;
  }
  return kq;
}

// Readiness bits from one kevent. The filter firing is itself the news
// (data, EOF or an error: a read or write finds out which), as in
// kqreactor's _doWriteOrRead. EV_EOF with an error in fflags is kqreactor's
// CONNECTION_LOST case; EV_EOF alone on READ is the peer's FIN (data may be
// pending); EV_EOF alone on WRITE (our own shutdown(SHUT_WR), a pipe with no
// reader) is left to the write to discover, so half-closed sockets keep
// working.
std::uint8_t readyBits(const struct kevent& ev) {
  std::uint8_t bits = ev.filter == EVFILT_READ ? kReadable : kWritable;
  if (ev.flags & EV_EOF) {
    if (ev.fflags != 0) {
      bits |= kHangup | kError;
    } else if (ev.filter == EVFILT_READ) {
      bits |= kHangup;
    }
  }
  return bits;
}

// What the kqueue backend can do (BackendFeatures in backends/backend.h).
constexpr BackendFeatures kKqueueFeatures{
    .constantTimePerEvent = true,
    .regularFilesAlwaysReady = true,
    // The BSDs do not give a fork()ed child the parent's kqueue at all.
    .needsReinitAfterFork = true,
};
}  // namespace

absl::Status KqueueBackend::probe() {
  const int kq = ::kqueue();
  if (kq < 0) return statusFromErrno(errno, "kqueue()");
  ::close(kq);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Backend>> KqueueBackend::create() {
  return create(Options{});
}

absl::StatusOr<std::unique_ptr<Backend>> KqueueBackend::create(const Options& options) {
  if (options.maxEventsPerPoll < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("kqueue backend: maxEventsPerPoll must be at least 1, got ",
                     options.maxEventsPerPoll));
  }
  absl::StatusOr<int> kq = newQueue();
  if (!kq.ok()) return kq.status();
  return std::unique_ptr<Backend>(new KqueueBackend(*kq, options.maxEventsPerPoll));
}

KqueueBackend::KqueueBackend(int kq, int maxEvents)
    : Backend("kqueue", kKqueueFeatures),
      kq_(kq),
      events_(static_cast<std::size_t>(maxEvents)) {}

KqueueBackend::~KqueueBackend() { ::close(kq_); }

void KqueueBackend::wakeUp() const noexcept {
  const int saved = errno;  // callable from signal handlers
  struct kevent change;
  evSet(&change, kWakeIdent, EVFILT_USER, 0, NOTE_TRIGGER);
  ::kevent(kq_, &change, 1, nullptr, 0, nullptr);
  errno = saved;
}

void KqueueBackend::ensureSlot(int fd) {
  if (static_cast<std::size_t>(fd) >= fds_.size()) {
    fds_.resize(static_cast<std::size_t>(fd) + 1);
  }
}

absl::Status KqueueBackend::setInterest(int fd, Interest previous, Interest wanted) {
  const Interest recorded = fd >= 0 && static_cast<std::size_t>(fd) < fds_.size()
                                ? fds_[fd].interest
                                : Interest::kNone;
  if (absl::Status s =
          internal::checkSetInterest("kqueue", fd, previous, wanted, recorded);
      !s.ok()) {
    return s;
  }
  if (fd == kq_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kqueue backend: setInterest(fd=", fd, "): that is the backend's own kqueue"));
  }
  if (previous == wanted) return absl::OkStatus();
  ensureSlot(fd);  // before any system call: a bad_alloc leaves nothing half-done
  FdState& slot = fds_[fd];

  if (slot.alwaysReady) {  // not in the kqueue: no system call to make
    if (wanted == Interest::kNone) {
      alwaysReady_.remove(fds_, fd);
    } else {
      slot.interest = wanted;
      slot.mask = internal::reportMask(wanted);
    }
    return absl::OkStatus();
  }
  if (previous == Interest::kNone) {
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      return statusFromErrno(errno, absl::StrCat("kqueue backend: setInterest(fd=", fd,
                                                 "): fstat(fd=", fd, ")"));
    }
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
      alwaysReady_.add(fds_, fd, wanted);
      return absl::OkStatus();
    }
  }
  if (absl::Status s = applyChanges(fd, previous, wanted); !s.ok()) return s;
  slot.interest = wanted;
  slot.mask = internal::reportMask(wanted);
  return absl::OkStatus();
}

absl::Status KqueueBackend::applyChanges(int fd, Interest previous, Interest wanted) {
  struct kevent changes[2], results[2];
  int count = 0;
  for (Interest bit : {Interest::kRead, Interest::kWrite}) {
    const bool had = hasInterest(previous, bit), wants = hasInterest(wanted, bit);
    if (had == wants) continue;
    const short filter = bit == Interest::kRead ? EVFILT_READ : EVFILT_WRITE;
    evSet(&changes[count], static_cast<uintptr_t>(fd), filter, wants ? EV_ADD : EV_DELETE,
          0);
    ++count;
  }
  if (applyWithReceipts(kq_, changes, count, results) < 0) {
    return statusFromErrno(errno, absl::StrCat("kevent(kq=", kq_, ", fd=", fd, ")"));
  }
  int failed = -1;
  for (int i = 0; i < count; ++i) {
    if (results[i].data != 0 && failed < 0) failed = i;
  }
  if (failed < 0) return absl::OkStatus();
  // Undo what did succeed, so that a failed call changes nothing.
  struct kevent undo[2], undone[2];
  int undoCount = 0;
  for (int i = 0; i < count; ++i) {
    if (results[i].data != 0) continue;
    undo[undoCount] = changes[i];
    undo[undoCount].flags = (changes[i].flags & EV_ADD) ? EV_DELETE : EV_ADD;
    ++undoCount;
  }
  if (undoCount > 0) applyWithReceipts(kq_, undo, undoCount, undone);
  return statusFromErrno(static_cast<int>(results[failed].data),
                         changeCall(changes[failed], kq_));
}

void KqueueBackend::forget(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  FdState& slot = fds_[fd];
  // Even when nothing is registered: the fd may have been removed and a new
  // file given the same number earlier in this round.
  slot.forgottenInRound = round_;
  if (slot.interest == Interest::kNone) return;
  if (slot.alwaysReady) {
    alwaysReady_.remove(fds_, fd);
    return;
  }
  // Best effort: close() deletes the knotes by itself, and after it these
  // deletes fail with EBADF, which changes nothing we rely on. EV_RECEIPT
  // makes the second delete happen even when the first fails.
  struct kevent changes[2], results[2];
  int count = 0;
  if (hasInterest(slot.interest, Interest::kRead)) {
    evSet(&changes[count++], static_cast<uintptr_t>(fd), EVFILT_READ, EV_DELETE, 0);
  }
  if (hasInterest(slot.interest, Interest::kWrite)) {
    evSet(&changes[count++], static_cast<uintptr_t>(fd), EVFILT_WRITE, EV_DELETE, 0);
  }
  const int saved = errno;
  applyWithReceipts(kq_, changes, count, results);
  errno = saved;
  slot.interest = Interest::kNone;
  slot.mask = 0;
}

absl::StatusOr<int> KqueueBackend::poll(std::optional<std::chrono::nanoseconds> timeout,
                                        ReadinessSink& sink) {
  if (dispatching_) {
    return absl::FailedPreconditionError(
        "kqueue backend: poll() called from inside ReadinessSink::onReady");
  }
  if (!alwaysReady_.empty()) timeout = std::chrono::nanoseconds(0);
  const int capacity = static_cast<int>(events_.size());
  timespec storage;
  const int n = ::kevent(kq_, nullptr, 0, events_.data(), capacity,
                         internal::toTimespec(timeout, storage));
  if (n < 0) {
    if (errno == EINTR) return 0;
    return statusFromErrno(errno,
                           absl::StrCat("kevent(kq=", kq_, ", nevents=", capacity, ")"));
  }

  ++round_;  // forget() during this round marks fds with the new value
  const std::uint64_t round = round_;
  // Merge first: READ and WRITE knotes of one fd arrive as two kevents but
  // make one onReady(), as one epoll or poll entry does.
  touched_.clear();
  for (int i = 0; i < n; ++i) {
    const struct kevent& ev = events_[i];
    if (ev.filter != EVFILT_READ && ev.filter != EVFILT_WRITE) continue;  // wake-up
    if (ev.flags & EV_ERROR) continue;
    if (ev.ident >= fds_.size()) continue;
    FdState& slot = fds_[ev.ident];
    if (slot.gatheredInRound != round) {
      slot.gatheredInRound = round;
      slot.gathered = 0;
      touched_.push_back(static_cast<int>(ev.ident));
    }
    slot.gathered |= readyBits(ev);
  }

  internal::DispatchScope scope(dispatching_);
  int reported = 0;
  for (int fd : touched_) {
    // fds_ is re-read each time: the sink's setInterest may have grown it.
    const FdState& slot = fds_[fd];
    if (slot.forgottenInRound == round) continue;  // forgotten by the sink
    const std::uint8_t ready = slot.gathered & slot.mask;
    if (ready == 0) continue;
    sink.onReady(fd, ready);
    ++reported;
  }
  if (!alwaysReady_.empty()) reported += alwaysReady_.report(fds_, round_, sink);
  return reported;
}

absl::Status KqueueBackend::reinitializeAfterFork() {
  // The BSDs give the child no kqueue (the number is free, or already reused
  // by the child); the Linux emulation shares the parent's. Close the old
  // number only if it still is a kqueue, then build our own.
  const timespec zero{0, 0};
  if (::kevent(kq_, nullptr, 0, nullptr, 0, &zero) == 0) ::close(kq_);
  absl::StatusOr<int> kq = newQueue();
  if (!kq.ok()) return kq.status();
  kq_ = *kq;
  std::string failures;
  absl::StatusCode firstCode = absl::StatusCode::kOk;
  for (std::size_t fd = 0; fd < fds_.size(); ++fd) {
    FdState& slot = fds_[fd];
    if (slot.interest == Interest::kNone || slot.alwaysReady) continue;
    const absl::Status s =
        applyChanges(static_cast<int>(fd), Interest::kNone, slot.interest);
    if (!s.ok()) {
      if (failures.empty()) firstCode = s.code();
      absl::StrAppend(&failures, failures.empty() ? "" : "; ", s.message());
      slot.interest = Interest::kNone;  // no longer watched: say so
      slot.mask = 0;
    }
  }
  if (!failures.empty()) {
    return absl::Status(
        firstCode,
        absl::StrCat("kqueue backend: reinitializeAfterFork() could not re-register "
                     "every descriptor; these are no longer watched: ",
                     failures));
  }
  return absl::OkStatus();
}

}  // namespace torsion
