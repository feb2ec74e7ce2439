#include "backends/select_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/select.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/dispatch_scope.h"
#include "backends/interest.h"
#include "backends/timeout.h"
#include "base/system_error.h"

namespace torsion {
namespace {

absl::Status tooLarge(int fd, const char* what) {
  return absl::InvalidArgumentError(absl::StrCat(
      "select backend: ", what, " fd=", fd, " is at or above FD_SETSIZE (", FD_SETSIZE,
      "), which select() cannot watch; use the poll or epoll backend"));
}

// What the select backend can do (BackendFeatures in backends/backend.h).
constexpr BackendFeatures kSelectFeatures{
    .regularFilesAlwaysReady = true,  // select(2) calls them always ready
    .needsReinitAfterFork = true,     // the waker is shared with the parent
    .maxFd = FD_SETSIZE,
    .sinkMayReenter = true,  // walks its own copy of the sets
};
}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> SelectBackend::create() {
  absl::StatusOr<internal::Waker> waker = internal::Waker::create();
  if (!waker.ok()) return waker.status();
  if (waker->fd() >= FD_SETSIZE) return tooLarge(waker->fd(), "the waker's");
  return std::unique_ptr<Backend>(new SelectBackend(*std::move(waker)));
}

SelectBackend::SelectBackend(internal::Waker waker)
    : Backend("select", kSelectFeatures), waker_(std::move(waker)) {
  FD_ZERO(&readSet_);
  FD_ZERO(&writeSet_);
  FD_SET(waker_.fd(), &readSet_);
  maxFd_ = waker_.fd();
}

absl::Status SelectBackend::setInterest(int fd, Interest previous, Interest wanted) {
  if (fd >= FD_SETSIZE) return tooLarge(fd, "setInterest:");
  const Interest recorded = fd >= 0 ? fds_[fd].interest : Interest::kNone;
  if (absl::Status s =
          internal::checkSetInterest("select", fd, previous, wanted, recorded);
      !s.ok()) {
    return s;
  }
  if (fd == waker_.fd()) {
    return absl::InvalidArgumentError(absl::StrCat("select backend: setInterest(fd=", fd,
                                                   "): that is the backend's own waker"));
  }
  if (previous == wanted) return absl::OkStatus();
  if (previous == Interest::kNone) {
    if (absl::Status s = internal::checkDescriptorOpen("select", fd); !s.ok()) return s;
  }
  apply(fd, wanted);
  return absl::OkStatus();
}

void SelectBackend::apply(int fd, Interest wanted) noexcept {
  if (hasInterest(wanted, Interest::kRead)) {
    FD_SET(fd, &readSet_);
  } else {
    FD_CLR(fd, &readSet_);
  }
  if (hasInterest(wanted, Interest::kWrite)) {
    FD_SET(fd, &writeSet_);
  } else {
    FD_CLR(fd, &writeSet_);
  }
  fds_[fd].interest = wanted;
  fds_[fd].mask = internal::reportMask(wanted);
  if (wanted != Interest::kNone) {
    if (fd > maxFd_) maxFd_ = fd;
  } else if (fd == maxFd_) {
    while (maxFd_ > 0 && maxFd_ != waker_.fd() &&
           fds_[maxFd_].interest == Interest::kNone) {
      --maxFd_;
    }
  }
}

void SelectBackend::forget(int fd) noexcept {
  if (fd < 0 || fd >= FD_SETSIZE) return;
  // Also when nothing is registered: the number may be re-registered for a
  // new file later in this round.
  fds_[fd].forgottenInRound = round_;
  if (fds_[fd].interest != Interest::kNone) apply(fd, Interest::kNone);
}

absl::StatusOr<int> SelectBackend::poll(std::optional<std::chrono::nanoseconds> timeout,
                                        ReadinessSink& sink) {
  if (dispatching_) {
    return absl::FailedPreconditionError(
        "select backend: poll() called from inside ReadinessSink::onReady");
  }
  readReady_ = readSet_;
  writeReady_ = writeSet_;
  const int nfds = maxFd_ + 1;
  timespec storage;
  int n = ::pselect(nfds, &readReady_, &writeReady_, nullptr,
                    internal::toTimespec(timeout, storage), nullptr);
  if (n < 0) {
    if (errno == EINTR) return 0;
    if (errno == EBADF) {
      ++round_;
      internal::DispatchScope scope(dispatching_);
      return reportInvalid(sink);
    }
    return statusFromErrno(errno, absl::StrCat("pselect(nfds=", nfds, ")"));
  }

  ++round_;  // forget() during this round marks fds with the new value
  internal::DispatchScope scope(dispatching_);
  int reported = 0;
  const int wakerFd = waker_.fd();
  // pselect counts set bits; stop once all of them were seen.
  for (int fd = 0; fd < nfds && n > 0; ++fd) {
    const bool readable = FD_ISSET(fd, &readReady_);
    const bool writable = FD_ISSET(fd, &writeReady_);
    if (!readable && !writable) continue;
    n -= static_cast<int>(readable) + static_cast<int>(writable);
    if (fd == wakerFd) {
      waker_.drain();
      continue;
    }
    const FdState& slot = fds_[fd];
    if (slot.forgottenInRound == round_) continue;
    const std::uint8_t ready = static_cast<std::uint8_t>((readable ? kReadable : 0) |
                                                         (writable ? kWritable : 0)) &
                               slot.mask;
    if (ready == 0) continue;
    sink.onReady(fd, ready);
    ++reported;
  }
  return reported;
}

int SelectBackend::reportInvalid(ReadinessSink& sink) {
  // Some registered descriptor was closed without forget(). select() does
  // not say which, so ask each one (Twisted's _preenDescriptors).
  int reported = 0;
  for (int fd = 0; fd <= maxFd_; ++fd) {
    if (fds_[fd].interest == Interest::kNone || fds_[fd].forgottenInRound == round_) {
      continue;
    }
    if (::fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
      sink.onReady(fd, kInvalid);
      ++reported;
    }
  }
  return reported;
}

absl::Status SelectBackend::reinitializeAfterFork() {
  absl::StatusOr<internal::Waker> waker = internal::Waker::create();
  if (!waker.ok()) return waker.status();
  if (waker->fd() >= FD_SETSIZE) return tooLarge(waker->fd(), "the new waker's");
  FD_CLR(waker_.fd(), &readSet_);
  waker_ = *std::move(waker);
  FD_SET(waker_.fd(), &readSet_);
  maxFd_ = waker_.fd();
  for (int fd = 0; fd < FD_SETSIZE; ++fd) {
    if (fds_[fd].interest != Interest::kNone && fd > maxFd_) maxFd_ = fd;
  }
  return absl::OkStatus();
}

}  // namespace torsion
