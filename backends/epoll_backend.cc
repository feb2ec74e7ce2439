#include "backends/epoll_backend.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <string>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"
#include "backends/dispatch_scope.h"
#include "backends/interest.h"
#include "backends/timeout.h"
#include "base/system_error.h"

// epoll_pwait2 arrived in glibc 2.35 (kernel 5.11). Older C libraries build
// the millisecond path only.
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
#define TORSION_HAVE_EPOLL_PWAIT2 1
#else
#define TORSION_HAVE_EPOLL_PWAIT2 0
#endif

namespace torsion {
namespace {

std::uint32_t toEpoll(Interest interest) {
  return (hasInterest(interest, Interest::kRead) ? EPOLLIN : 0u) |
         (hasInterest(interest, Interest::kWrite) ? EPOLLOUT : 0u);
}

// EPOLLIN, EPOLLOUT, EPOLLERR and EPOLLHUP all sit in the low five bits, so
// a 32-entry table translates them with one load instead of four branches:
// this runs once per event on the reactor's hottest path.
static_assert((EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP) < 32);
constexpr std::array<std::uint8_t, 32> kFromEpoll = [] {
  std::array<std::uint8_t, 32> table{};
  for (std::uint32_t e = 0; e < table.size(); ++e) {
    table[e] = static_cast<std::uint8_t>(
        ((e & EPOLLIN) ? kReadable : 0) | ((e & EPOLLOUT) ? kWritable : 0) |
        ((e & EPOLLHUP) ? kHangup : 0) | ((e & EPOLLERR) ? kError : 0));
  }
  return table;
}();

std::uint8_t fromEpoll(std::uint32_t events) { return kFromEpoll[events & 31u]; }

std::string ctlCall(const char* op, int fd) {
  return absl::StrCat("epoll_ctl(", op, ", fd=", fd, ")");
}

// Whether epoll_pwait2 works here: the C library may have it while the
// kernel (ENOSYS) or a seccomp filter (EPERM) does not.
bool pwait2Works([[maybe_unused]] int epfd) {
#if TORSION_HAVE_EPOLL_PWAIT2
  epoll_event ev;
  timespec zero{0, 0};
  if (::epoll_pwait2(epfd, &ev, 1, &zero, nullptr) >= 0) return true;
  return errno != ENOSYS && errno != EPERM;
#else
  return false;
#endif
}

// Registers the waker's descriptor for reading in `epfd`.
absl::Status addWaker(int epfd, int wakerFd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wakerFd;
  if (::epoll_ctl(epfd, EPOLL_CTL_ADD, wakerFd, &ev) != 0) {
    return statusFromErrno(errno, ctlCall("ADD", wakerFd) + " for the waker");
  }
  return absl::OkStatus();
}

// Creates an epoll instance with the waker in it; on error nothing leaks.
absl::StatusOr<std::pair<int, internal::Waker>> newInstance() {
  const int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return statusFromErrno(errno, "epoll_create1(EPOLL_CLOEXEC)");
  absl::StatusOr<internal::Waker> waker = internal::Waker::create();
  absl::Status status = waker.ok() ? addWaker(epfd, waker->fd()) : waker.status();
  if (!status.ok()) {
    ::close(epfd);
    return status;
  }
  return std::make_pair(epfd, *std::move(waker));
}

// The error paths of poll(), out of line and cold: their string temporaries
// would otherwise give every poll a large stack-protected frame (measured:
// ~10 instructions a pass, docs/performance.md).
ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD absl::Status reentryError() {
  return absl::FailedPreconditionError(
      "epoll backend: poll() called from inside ReadinessSink::onReady");
}

// What the epoll backend can do (BackendFeatures in backends/backend.h).
constexpr BackendFeatures kEpollFeatures{
    .constantTimePerEvent = true,
    .regularFilesAlwaysReady = true,
    .needsReinitAfterFork = true,
    // forget() marks the round; fds_ and the mask are re-read per event.
    .sinkMayReenter = true,
};
}  // namespace

absl::Status EpollBackend::waitError(int err, int capacity) const {
  return statusFromErrno(
      err, absl::StrCat(usePwait2_ ? "epoll_pwait2" : "epoll_wait", "(epfd=", epfd_,
                        ", maxevents=", capacity, ")"));
}

absl::Status EpollBackend::probe() {
  const int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return statusFromErrno(errno, "epoll_create1(EPOLL_CLOEXEC)");
  ::close(epfd);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Backend>> EpollBackend::create() {
  return create(Options{});
}

absl::StatusOr<std::unique_ptr<Backend>> EpollBackend::create(const Options& options) {
  if (options.maxEventsPerPoll < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("epoll backend: maxEventsPerPoll must be at least 1, got ",
                     options.maxEventsPerPoll));
  }
  absl::StatusOr<std::pair<int, internal::Waker>> instance = newInstance();
  if (!instance.ok()) return instance.status();
  const int epfd = instance->first;
  const bool usePwait2 = options.useEpollPwait2 && pwait2Works(epfd);
  return std::unique_ptr<Backend>(new EpollBackend(epfd, std::move(instance->second),
                                                   usePwait2, options.maxEventsPerPoll));
}

EpollBackend::EpollBackend(int epfd, internal::Waker waker, bool usePwait2, int maxEvents)
    : Backend("epoll", kEpollFeatures),
      epfd_(epfd),
      waker_(std::move(waker)),
      usePwait2_(usePwait2),
      events_(static_cast<std::size_t>(maxEvents)) {}

EpollBackend::~EpollBackend() { ::close(epfd_); }

void EpollBackend::ensureSlot(int fd) {
  if (static_cast<std::size_t>(fd) >= fds_.size()) {
    fds_.resize(static_cast<std::size_t>(fd) + 1);
  }
}

absl::Status EpollBackend::setInterest(int fd, Interest previous, Interest wanted) {
  const Interest recorded = fd >= 0 && static_cast<std::size_t>(fd) < fds_.size()
                                ? fds_[fd].interest
                                : Interest::kNone;
  if (absl::Status s =
          internal::checkSetInterest("epoll", fd, previous, wanted, recorded);
      !s.ok()) {
    return s;
  }
  if (fd == waker_.fd()) {
    return absl::InvalidArgumentError(absl::StrCat("epoll backend: setInterest(fd=", fd,
                                                   "): that is the backend's own waker"));
  }
  if (previous == wanted) return absl::OkStatus();
  ensureSlot(fd);  // before any system call: a bad_alloc leaves nothing half-done
  FdState& slot = fds_[fd];

  if (slot.alwaysReady) {  // not in the epoll set: no system call to make
    if (wanted == Interest::kNone) {
      alwaysReady_.remove(fds_, fd);
    } else {
      slot.interest = wanted;
      slot.mask = internal::reportMask(wanted);
    }
    return absl::OkStatus();
  }

  epoll_event ev{};
  ev.events = toEpoll(wanted);
  ev.data.fd = fd;  // poll() needs no lookup to know whose event it is
  if (wanted == Interest::kNone) {
    // Kernels before 2.6.9 want a non-null event even for DEL.
    if (::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev) != 0) {
      return statusFromErrno(errno, ctlCall("DEL", fd));
    }
  } else if (previous == Interest::kNone) {
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      if (errno != EPERM) return statusFromErrno(errno, ctlCall("ADD", fd));
      // EPERM: the file does not support polling (a regular file or a
      // directory). poll(2) and select(2) call such files always ready, and
      // so do Twisted's epollreactor and we.
      alwaysReady_.add(fds_, fd, wanted);
      return absl::OkStatus();
    }
  } else if (::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0) {
    return statusFromErrno(errno, ctlCall("MOD", fd));
  }
  slot.interest = wanted;
  slot.mask = internal::reportMask(wanted);
  return absl::OkStatus();
}

void EpollBackend::forget(int fd) noexcept {
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
  // Best effort. Closing the fd removes the registration by itself unless
  // the open file is shared (dup, fork); then this DEL keeps it from
  // reporting events for a number we no longer watch. Failure (EBADF when
  // the fd is already closed) changes nothing we rely on.
  epoll_event ev{};
  ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev);
  slot.interest = Interest::kNone;
  slot.mask = 0;
}

absl::StatusOr<int> EpollBackend::poll(std::optional<std::chrono::nanoseconds> timeout,
                                       ReadinessSink& sink) {
  if (dispatching_) [[unlikely]]
    return reentryError();
  if (!alwaysReady_.empty()) timeout = std::chrono::nanoseconds(0);
  const int capacity = static_cast<int>(events_.size());
  int n;
#if TORSION_HAVE_EPOLL_PWAIT2
  if (usePwait2_) {
    timespec storage;
    n = ::epoll_pwait2(epfd_, events_.data(), capacity,
                       internal::toTimespec(timeout, storage), nullptr);
  } else {
    n = ::epoll_wait(epfd_, events_.data(), capacity, internal::ceilToMillis(timeout));
  }
#else
  n = ::epoll_wait(epfd_, events_.data(), capacity, internal::ceilToMillis(timeout));
#endif
  if (n < 0) [[unlikely]] {
    if (errno == EINTR) return 0;
    return waitError(errno, capacity);
  }

  // Nothing ready (a call-soon or timer pass): no round to open (measured:
  // ~20 instructions of every such pass, docs/performance.md).
  if (n == 0 && alwaysReady_.empty()) return 0;
  ++round_;  // forget() during this round marks fds with the new value
  internal::DispatchScope scope(dispatching_);
  int reported = 0;
  const int wakerFd = waker_.fd();
  const std::uint64_t round = round_;
  const epoll_event* const events = events_.data();  // the sink cannot touch it
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    if (fd == wakerFd) {
      waker_.drain();
      continue;
    }
    // Ghost events (an fd closed while a dup kept the file registered) can
    // name any number we once used; the table never shrinks, so check bounds.
    // fds_ is re-read each time: the sink's setInterest may have grown it.
    if (static_cast<std::size_t>(fd) >= fds_.size()) continue;
    const FdState& slot = fds_[fd];
    if (slot.forgottenInRound == round) continue;  // forgotten by the sink
    const std::uint8_t ready = fromEpoll(events[i].events) & slot.mask;
    if (ready == 0) continue;
    sink.onReady(fd, ready);
    ++reported;
  }
  if (!alwaysReady_.empty()) reported += alwaysReady_.report(fds_, round_, sink);
  return reported;
}

absl::Status EpollBackend::reinitializeAfterFork() {
  // After fork() the child shares the parent's epoll instance and eventfd:
  // a registration changed here would change the parent's, and a wake-up in
  // either process could be eaten by the other. Build our own.
  absl::StatusOr<std::pair<int, internal::Waker>> instance = newInstance();
  if (!instance.ok()) return instance.status();
  const int newEpfd = instance->first;
  std::string failures;
  absl::StatusCode firstCode = absl::StatusCode::kOk;
  for (std::size_t fd = 0; fd < fds_.size(); ++fd) {
    FdState& slot = fds_[fd];
    if (slot.interest == Interest::kNone || slot.alwaysReady) continue;
    epoll_event ev{};
    ev.events = toEpoll(slot.interest);
    ev.data.fd = static_cast<int>(fd);
    if (::epoll_ctl(newEpfd, EPOLL_CTL_ADD, static_cast<int>(fd), &ev) != 0) {
      const absl::Status failed =
          statusFromErrno(errno, ctlCall("ADD", static_cast<int>(fd)));
      if (failures.empty()) firstCode = failed.code();
      absl::StrAppend(&failures, failures.empty() ? "" : "; ", failed.message());
      slot.interest = Interest::kNone;  // no longer watched: say so
      slot.mask = 0;
    }
  }
  ::close(epfd_);  // drops only this process's reference
  epfd_ = newEpfd;
  waker_ = std::move(instance->second);
  if (!failures.empty()) {
    return absl::Status(
        firstCode,
        absl::StrCat("epoll backend: reinitializeAfterFork() could not re-register every "
                     "descriptor; these are no longer watched: ",
                     failures));
  }
  return absl::OkStatus();
}

}  // namespace torsion
