#include "backends/poll_backend.h"

#include <errno.h>
#include <poll.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/dispatch_scope.h"
#include "backends/interest.h"
#include "backends/timeout.h"
#include "base/system_error.h"

namespace torsion {
namespace {

short toPoll(Interest interest) {
  return static_cast<short>((hasInterest(interest, Interest::kRead) ? POLLIN : 0) |
                            (hasInterest(interest, Interest::kWrite) ? POLLOUT : 0));
}

std::uint8_t fromPoll(short revents) {
  return static_cast<std::uint8_t>(
      ((revents & POLLIN) ? kReadable : 0) | ((revents & POLLOUT) ? kWritable : 0) |
      ((revents & POLLHUP) ? kHangup : 0) | ((revents & POLLERR) ? kError : 0) |
      ((revents & POLLNVAL) ? kInvalid : 0));
}

// One wait with a timeout that is never rounded down. macOS has no ppoll:
// there the timeout is rounded up to milliseconds.
int waitForEvents(pollfd* fds, nfds_t count,
                  std::optional<std::chrono::nanoseconds> timeout) {
#if defined(__APPLE__)
  return ::poll(fds, count, internal::ceilToMillis(timeout));
#else
  timespec storage;
  return ::ppoll(fds, count, internal::toTimespec(timeout, storage), nullptr);
#endif
}

// What the poll backend can do (BackendFeatures in backends/backend.h).
constexpr BackendFeatures kPollFeatures{
    .regularFilesAlwaysReady = true,  // poll(2) says POLLIN|POLLOUT for them
    .needsReinitAfterFork = true,     // the waker is shared with the parent
    .sinkMayReenter = true,           // removal leaves tombstones mid-round
};
}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> PollBackend::create() {
  absl::StatusOr<internal::Waker> waker = internal::Waker::create();
  if (!waker.ok()) return waker.status();
  return std::unique_ptr<Backend>(new PollBackend(*std::move(waker)));
}

PollBackend::PollBackend(internal::Waker waker)
    : Backend("poll", kPollFeatures), waker_(std::move(waker)) {
  pollfds_.push_back(pollfd{waker_.fd(), POLLIN, 0});
}

void PollBackend::ensureSlot(int fd) {
  if (static_cast<std::size_t>(fd) >= fds_.size()) {
    fds_.resize(static_cast<std::size_t>(fd) + 1);
  }
}

absl::Status PollBackend::setInterest(int fd, Interest previous, Interest wanted) {
  const Interest recorded = fd >= 0 && static_cast<std::size_t>(fd) < fds_.size()
                                ? fds_[fd].interest
                                : Interest::kNone;
  if (absl::Status s = internal::checkSetInterest("poll", fd, previous, wanted, recorded);
      !s.ok()) {
    return s;
  }
  if (fd == waker_.fd()) {
    return absl::InvalidArgumentError(absl::StrCat("poll backend: setInterest(fd=", fd,
                                                   "): that is the backend's own waker"));
  }
  if (previous == wanted) return absl::OkStatus();
  if (wanted == Interest::kNone) {
    removeEntry(fd);
    return absl::OkStatus();
  }
  if (previous == Interest::kNone) {
    if (absl::Status s = internal::checkDescriptorOpen("poll", fd); !s.ok()) return s;
    ensureSlot(fd);
    // Appended, so an entry added while dispatching has revents == 0 and is
    // not visited by the current round.
    pollfds_.push_back(pollfd{fd, toPoll(wanted), 0});
    fds_[fd].index = static_cast<std::int32_t>(pollfds_.size() - 1);
  } else {
    pollfds_[fds_[fd].index].events = toPoll(wanted);
  }
  fds_[fd].interest = wanted;
  fds_[fd].mask = internal::reportMask(wanted);
  return absl::OkStatus();
}

void PollBackend::removeEntry(int fd) noexcept {
  FdState& slot = fds_[fd];
  if (dispatching_) {
    const std::size_t index = static_cast<std::size_t>(slot.index);
    // Keep indices still under the dispatch loop; also drops any event for
    // this fd that the loop has not reached yet.
    pollfds_[index].fd = -1;
    pollfds_[index].revents = 0;
    hasTombstones_ = true;
  } else {
    if (hasTombstones_) compact();  // the last entry must be a live one
    const std::size_t index = static_cast<std::size_t>(slot.index);
    pollfds_[index] = pollfds_.back();
    fds_[pollfds_[index].fd].index = static_cast<std::int32_t>(index);
    pollfds_.pop_back();
  }
  slot.interest = Interest::kNone;
  slot.mask = 0;
  slot.index = -1;
}

void PollBackend::forget(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  if (fds_[fd].interest != Interest::kNone) removeEntry(fd);
}

void PollBackend::compact() noexcept {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < pollfds_.size(); ++i) {
    if (pollfds_[i].fd < 0) continue;
    pollfds_[kept] = pollfds_[i];
    if (kept > 0) fds_[pollfds_[kept].fd].index = static_cast<std::int32_t>(kept);
    ++kept;
  }
  pollfds_.resize(kept);
  hasTombstones_ = false;
}

absl::StatusOr<int> PollBackend::poll(std::optional<std::chrono::nanoseconds> timeout,
                                      ReadinessSink& sink) {
  if (dispatching_) {
    return absl::FailedPreconditionError(
        "poll backend: poll() called from inside ReadinessSink::onReady");
  }
  if (hasTombstones_) compact();
  const int n = waitForEvents(pollfds_.data(), pollfds_.size(), timeout);
  if (n < 0) {
    if (errno == EINTR) return 0;
    return statusFromErrno(errno, absl::StrCat("ppoll(nfds=", pollfds_.size(), ")"));
  }

  internal::DispatchScope scope(dispatching_);
  int reported = 0;
  int remaining = n;
  // Entries appended by the sink lie beyond `size` and have revents == 0.
  const std::size_t size = pollfds_.size();
  for (std::size_t i = 0; i < size && remaining > 0; ++i) {
    // Re-read each time: the sink may have turned this entry into a tombstone.
    const short revents = pollfds_[i].revents;
    if (revents == 0) continue;
    --remaining;
    if (i == 0) {
      waker_.drain();
      continue;
    }
    const int fd = pollfds_[i].fd;
    if (fd < 0) continue;  // a tombstone (its revents were cleared too)
    const std::uint8_t ready = fromPoll(revents) & fds_[fd].mask;
    if (ready == 0) continue;
    sink.onReady(fd, ready);
    ++reported;
  }
  if (hasTombstones_) compact();  // (skipped if the sink threw; done later)
  return reported;
}

absl::Status PollBackend::reinitializeAfterFork() {
  absl::StatusOr<internal::Waker> waker = internal::Waker::create();
  if (!waker.ok()) return waker.status();
  waker_ = *std::move(waker);
  pollfds_[0].fd = waker_.fd();
  return absl::OkStatus();
}

}  // namespace torsion
