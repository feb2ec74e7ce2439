#include "backends/io_uring_backend.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "backends/dispatch_scope.h"
#include "backends/interest.h"
#include "backends/io_uring_ring.h"
#include "backends/io_uring_user_data.h"
#include "backends/timeout.h"
#include "base/system_error.h"

namespace torsion {
namespace {

using internal::makeUserData;
using internal::UserDataKind;

absl::string_view view(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

unsigned toPoll(Interest interest) {
  return (hasInterest(interest, Interest::kRead) ? POLLIN : 0u) |
         (hasInterest(interest, Interest::kWrite) ? POLLOUT : 0u);
}

// POLLIN, POLLOUT, POLLERR, POLLHUP and POLLNVAL sit in the low six bits; a
// table turns them into ReadyEvents with one load per CQE. A wake-up CQE
// carries the waker's key (POLLRDHUP and friends too): only these count.
static_assert((POLLIN | POLLOUT | POLLERR | POLLHUP | POLLNVAL) < 64);
constexpr std::array<std::uint8_t, 64> kFromPoll = [] {
  std::array<std::uint8_t, 64> table{};
  for (unsigned e = 0; e < table.size(); ++e) {
    table[e] = static_cast<std::uint8_t>(
        ((e & POLLIN) ? kReadable : 0) | ((e & POLLOUT) ? kWritable : 0) |
        ((e & POLLHUP) ? kHangup : 0) | ((e & POLLERR) ? kError : 0) |
        ((e & POLLNVAL) ? kInvalid : 0));
  }
  return table;
}();

std::uint8_t fromPoll(int res) { return kFromPoll[static_cast<unsigned>(res) & 63u]; }

// What the io_uring backend can do (BackendFeatures in backends/backend.h).
constexpr BackendFeatures kIoUringFeatures{
    .completionModel = false,  // readiness through poll requests
    .constantTimePerEvent = true,
    .regularFilesAlwaysReady = true,  // their poll completes at once, every time
    .needsReinitAfterFork = true,
};
}  // namespace

absl::Status IoUringBackend::probe() {
  static const absl::Status* const result = new absl::Status(internal::probeRing());
  return *result;
}

absl::StatusOr<std::unique_ptr<Backend>> IoUringBackend::create() {
  return create(Options{});
}

absl::StatusOr<std::unique_ptr<Backend>> IoUringBackend::create(const Options& options) {
  if (options.sqEntries < 2 || options.cqEntries < options.sqEntries) {
    return absl::InvalidArgumentError(absl::StrCat(
        "io_uring backend: need sqEntries >= 2 and cqEntries >= sqEntries, got "
        "sqEntries=",
        options.sqEntries, ", cqEntries=", options.cqEntries));
  }
  if (options.recvBuffers > 32768 ||
      (options.recvBuffers & (options.recvBuffers - 1)) != 0 ||
      (options.recvBuffers != 0 && options.recvBufferSize == 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "io_uring backend: recvBuffers must be 0 or a power of two up to 32768, with "
        "recvBufferSize > 0; got recvBuffers=",
        options.recvBuffers, ", recvBufferSize=", options.recvBufferSize));
  }
  absl::StatusOr<internal::Waker> waker = internal::Waker::create();
  if (!waker.ok()) return waker.status();
  absl::StatusOr<internal::PooledRing> ring =
      internal::acquireRing(options.sqEntries, options.cqEntries);
  if (!ring.ok()) return ring.status();
  return std::unique_ptr<Backend>(new IoUringBackend(*ring, *std::move(waker), options));
}

IoUringBackend::IoUringBackend(const internal::PooledRing& ring, internal::Waker waker,
                               const Options& options)
    : Backend("io_uring", kIoUringFeatures),
      ring_(ring.ring),
      epoch_(ring.epoch),
      owner_(::getpid()),
      waker_(std::move(waker)),
      options_(options) {
  armWaker();  // cannot fail on an empty SQ; submitted with the first poll()
  completions_ = options.completions && completionsAvailable(ring_);
  acceptMultishot_ = completions_ && !switchedOff("accept_multishot");
}

IoUringBackend::~IoUringBackend() {
  if (::getpid() != owner_) {
    // Inherited across fork() without reinitializeAfterFork(): the queues
    // are the parent's. Drop this process's mapping and descriptor only.
    io_uring_queue_exit(&ring_);
    return;
  }
  // Cancel every request and let the completion work run in this call, then
  // hand the idle ring back for reuse (io_uring_ring.h says why it is not
  // closed).
  for (std::size_t fd = 0; fd < fds_.size(); ++fd) {
    if (fds_[fd].armed) queueCancel(static_cast<int>(fd), fds_[fd]);
  }
  // Operations still in flight are freed unrun with ops_, after their
  // requests are cancelled here.
  cancelOperations();
  if (wakerArmed_) {
    if (io_uring_sqe* sqe = getSqe(); sqe != nullptr) {
      io_uring_prep_cancel64(sqe, makeUserData(UserDataKind::kWaker, epoch_, 0, 0), 0);
      io_uring_sqe_set_data64(sqe, makeUserData(UserDataKind::kCancel, epoch_, 0, 0));
      sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    }
  }
  io_uring_submit_and_get_events(&ring_);
  io_uring_cq_advance(&ring_, io_uring_cq_ready(&ring_));
  tearDownBuffers();
  internal::releaseRing({ring_, epoch_}, options_.sqEntries, options_.cqEntries);
}

void IoUringBackend::ensureSlot(int fd) {
  if (static_cast<std::size_t>(fd) >= fds_.size()) {
    fds_.resize(static_cast<std::size_t>(fd) + 1);
  }
}

io_uring_sqe* IoUringBackend::getSqe() noexcept {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {  // full: hand the queued requests over early
    submitNow();
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void IoUringBackend::submitNow() noexcept {
  io_uring_submit(&ring_);
  ++flushRound_;
}

bool IoUringBackend::queueAdd(int fd, FdState& slot) noexcept {
  io_uring_sqe* sqe = getSqe();
  if (sqe == nullptr) return false;
  slot.gen = internal::nextGeneration(slot.gen);
  slot.armedEvents = toPoll(slot.interest);
  io_uring_prep_poll_multishot(sqe, fd, slot.armedEvents);
  io_uring_sqe_set_data64(sqe, makeUserData(UserDataKind::kPoll, epoch_, fd, slot.gen));
  slot.armed = true;
  slot.failed = false;
  slot.queuedRound = flushRound_;
  return true;
}

bool IoUringBackend::queueUpdate(int fd, FdState& slot) noexcept {
  io_uring_sqe* sqe = getSqe();
  if (sqe == nullptr) return false;
  // Same user_data: CQEs already posted under the old mask stay current and
  // are filtered by slot.mask at dispatch.
  slot.armedEvents = toPoll(slot.interest);
  io_uring_prep_poll_update(sqe, makeUserData(UserDataKind::kPoll, epoch_, fd, slot.gen),
                            0, slot.armedEvents,
                            IORING_POLL_UPDATE_EVENTS | IORING_POLL_ADD_MULTI);
  io_uring_sqe_set_data64(sqe, makeUserData(UserDataKind::kModify, epoch_, fd, slot.gen));
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  slot.queuedRound = flushRound_;
  return true;
}

void IoUringBackend::queueCancel(int fd, FdState& slot) noexcept {
  io_uring_sqe* sqe = getSqe();
  if (sqe != nullptr) {
    io_uring_prep_cancel64(sqe, makeUserData(UserDataKind::kPoll, epoch_, fd, slot.gen),
                           0);
    io_uring_sqe_set_data64(sqe,
                            makeUserData(UserDataKind::kCancel, epoch_, fd, slot.gen));
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  }
  // Without an SQE (the kernel refused a full queue twice) the old request
  // lingers until the ring closes; the new generation makes its CQEs stale.
  slot.gen = internal::nextGeneration(slot.gen);
  slot.armed = false;
}

bool IoUringBackend::armWaker() noexcept {
  io_uring_sqe* sqe = getSqe();
  if (sqe == nullptr) return false;
  io_uring_prep_poll_multishot(sqe, waker_.fd(), POLLIN);
  io_uring_sqe_set_data64(sqe, makeUserData(UserDataKind::kWaker, epoch_, 0, 0));
  wakerArmed_ = true;
  return true;
}

absl::Status IoUringBackend::setInterest(int fd, Interest previous, Interest wanted) {
  const Interest recorded = fd >= 0 && static_cast<std::size_t>(fd) < fds_.size()
                                ? fds_[fd].interest
                                : Interest::kNone;
  if (absl::Status s =
          internal::checkSetInterest("io_uring", fd, previous, wanted, recorded);
      !s.ok()) {
    return s;
  }
  if (fd == waker_.fd() || fd == ring_.ring_fd) {
    return absl::InvalidArgumentError(absl::StrCat(
        "io_uring backend: setInterest(fd=", fd, "): that is the backend's own ",
        fd == waker_.fd() ? "waker" : "ring"));
  }
  if (previous == wanted) return absl::OkStatus();
  if (previous == Interest::kNone) {
    // The POLL_ADD is only submitted with the next poll(), where an EBADF
    // would come too late to refuse the call: check now, as poll(2) does.
    if (absl::Status s = internal::checkDescriptorOpen("io_uring", fd); !s.ok()) return s;
  }
  ensureSlot(fd);  // before queueing anything: a bad_alloc leaves nothing half-done
  FdState& slot = fds_[fd];

  if (wanted == Interest::kNone) {
    if (slot.armed) {
      queueCancel(fd, slot);
      // The live request holds a reference to the file: let the kernel drop
      // it now, so that the caller's close() really closes (FIN, RST).
      submitNow();
    }
    slot.interest = Interest::kNone;
    slot.mask = 0;
    slot.pending = 0;
    slot.failed = false;
    return absl::OkStatus();
  }

  const Interest before = slot.interest;
  slot.interest = wanted;  // queueAdd/queueUpdate read it; restored on failure
  bool queued = true;
  if (!slot.armed || slot.failed) {
    queued = queueAdd(fd, slot);
  } else if (toPoll(wanted) != slot.armedEvents) {
    queued = queueUpdate(fd, slot);
  }
  if (!queued) {
    slot.interest = before;
    return absl::ResourceExhaustedError(absl::StrCat(
        "io_uring backend: setInterest(fd=", fd, ", ",
        view(internal::interestName(previous)), " -> ",
        view(internal::interestName(wanted)),
        "): no free submission queue entry (io_uring_submit failed to drain it)"));
  }
  slot.mask = internal::reportMask(wanted);
  return absl::OkStatus();
}

void IoUringBackend::forget(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  FdState& slot = fds_[fd];
  // Dropping the gathered bits is what keeps a stale event from reaching the
  // fd, or a new file given its number, later in this round.
  slot.pending = 0;
  slot.recheck = false;
  slot.failed = false;
  if (slot.armed) {
    queueCancel(fd, slot);
    submitNow();  // best effort; see setInterest
  }
  slot.interest = Interest::kNone;
  slot.mask = 0;
}

absl::StatusOr<int> IoUringBackend::poll(std::optional<std::chrono::nanoseconds> timeout,
                                         ReadinessSink& sink) {
  if (dispatching_) {
    return absl::FailedPreconditionError(
        "io_uring backend: poll() called from inside ReadinessSink::onReady");
  }
  const bool finite = timeout.has_value() && timeout->count() > 0;
  const auto deadline = finite ? std::chrono::steady_clock::now() + *timeout
                               : std::chrono::steady_clock::time_point::max();
  std::optional<std::chrono::nanoseconds> wait = timeout;
  bool retried = false;
  while (true) {
    requeueTouched();
    if (!wakerArmed_) armWaker();
    // Operations that ended without a CQE (after fork, a full queue) run
    // in this round: do not block.
    if (!finished_.empty()) wait = std::chrono::nanoseconds(0);
    const int rc = enter(wait);
    if (rc < 0 && rc != -EINTR && rc != -ETIME && rc != -EBUSY && rc != -EAGAIN) {
      return statusFromErrno(-rc, absl::StrCat("io_uring_enter(fd=", ring_.ring_fd, ")"));
    }
    bool woken = false;
    const unsigned completions = gather(woken);
    const int reported = dispatch(sink) + runOperations();
    // Done: something reported, a wake-up, a signal or the timeout, or a
    // return without CQEs (a signal or the timeout, which the kernel does not
    // name when it also submitted requests).
    if (reported > 0 || woken || rc == -EINTR || rc == -ETIME || completions == 0) {
      return reported;
    }
    // Only completions that report nothing: cancelled or stale requests, or
    // polls the kernel ended (whose re-arm may find the fd ready at once).
    if (wait.has_value() && wait->count() <= 0) {
      if (retried || !needsRearm_) return reported;
      retried = true;  // one more non-blocking round, for the re-arms
      continue;
    }
    // A timed wait must not end early: wait again for what is left.
    if (finite) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) return reported;
      wait = std::chrono::duration_cast<std::chrono::nanoseconds>(left) +
             std::chrono::nanoseconds(1);  // never round the remainder down
    }
  }
}

void IoUringBackend::requeueTouched() noexcept {
  std::size_t done = 0;
  for (; done < touched_.size(); ++done) {
    const int fd = touched_[done];
    FdState& slot = fds_[fd];
    slot.pending = 0;  // left over only if the sink threw
    if (slot.interest == Interest::kNone || slot.failed) {
      slot.recheck = false;
      continue;
    }
    bool queued = true;
    if (!slot.armed) {
      queued = queueAdd(fd, slot);  // the kernel ended its multishot poll
    } else if (slot.recheck && slot.queuedRound != flushRound_) {
      // Level-triggered: re-run the readiness check of an fd reported last
      // time; the kernel posts a CQE at once if it is still ready.
      queued = queueUpdate(fd, slot);
    }
    if (!queued) break;  // keep the rest for the next poll()
    slot.recheck = false;
  }
  touched_.erase(touched_.begin(), touched_.begin() + static_cast<std::ptrdiff_t>(done));
}

int IoUringBackend::enter(std::optional<std::chrono::nanoseconds> wait) noexcept {
  // Hand the queued SQEs to the kernel without a system call of their own
  // (liburing 2.3 has no public flush: this is its __io_uring_flush_sq for a
  // ring without SQPOLL), so submission and wait are one io_uring_enter.
  io_uring_sq& sq = ring_.sq;
  const unsigned tail = sq.sqe_tail;
  if (sq.sqe_head != tail) {
    sq.sqe_head = tail;
    io_uring_smp_store_release(sq.ktail, tail);
  }
  const unsigned toSubmit = tail - *sq.khead;
  ++flushRound_;
  const unsigned flags = IORING_ENTER_GETEVENTS;
  if (!wait.has_value()) {
    return io_uring_enter(ring_.ring_fd, toSubmit, 1, flags, nullptr);
  }
  if (wait->count() <= 0) {
    return io_uring_enter(ring_.ring_fd, toSubmit, 0, flags, nullptr);
  }
  timespec storage;
  internal::toTimespec(wait, storage);
  __kernel_timespec ts{};
  ts.tv_sec = storage.tv_sec;
  ts.tv_nsec = storage.tv_nsec;
  io_uring_getevents_arg arg{};
  arg.sigmask = 0;  // keep the signal mask: a signal interrupts the wait
  arg.sigmask_sz = _NSIG / 8;
  arg.ts = reinterpret_cast<std::uint64_t>(&ts);
  return io_uring_enter2(ring_.ring_fd, toSubmit, 1, flags | IORING_ENTER_EXT_ARG,
                         reinterpret_cast<sigset_t*>(&arg), sizeof(arg));
}

unsigned IoUringBackend::gather(bool& woken) noexcept {
  ++round_;
  needsRearm_ = false;
  unsigned head;
  unsigned count = 0;
  io_uring_cqe* cqe;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    handleCompletion(*cqe, woken);
    ++count;
  }
  io_uring_cq_advance(&ring_, count);
  return count;
}

void IoUringBackend::handleCompletion(const io_uring_cqe& cqe, bool& woken) noexcept {
  const std::uint64_t ud = cqe.user_data;
  if (internal::userDataEpoch(ud) != epoch_) return;  // the ring's previous owner's
  const bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
  switch (internal::userDataKind(ud)) {
    case UserDataKind::kWaker:
      woken = true;
      waker_.drain();
      if (!more) wakerArmed_ = false;
      return;
    case UserDataKind::kCancel:
      return;  // ENOENT: the poll had already ended, which is all we wanted
    case UserDataKind::kOperation:
      gatherOperation(cqe);
      return;
    case UserDataKind::kModify:
    case UserDataKind::kPoll:
      break;
  }
  const int fd = internal::userDataFd(ud);
  if (static_cast<std::size_t>(fd) >= fds_.size()) return;
  FdState& slot = fds_[fd];
  if (internal::userDataGen(ud) != slot.gen || !slot.armed) return;  // stale
  if (internal::userDataKind(ud) == UserDataKind::kModify) {
    // A failed update. ENOENT: the poll ended and its final CQE re-arms it.
    // EALREADY: a wake-up owned the request; it still has the old mask, so
    // send the update again next time.
    if (cqe.res == -EALREADY) {
      slot.recheck = true;
      slot.queuedRound = 0;
    } else {
      return;
    }
  } else {
    if (!more) {
      slot.armed = false;  // re-armed by requeueTouched()
      needsRearm_ = true;
    }
    if (cqe.res > 0) {
      slot.pending |= fromPoll(cqe.res);
    } else if (cqe.res < 0 && cqe.res != -ECANCELED) {
      // ECANCELED with the current generation is the kernel's doing (the
      // submitting thread exited): re-arm silently. Anything else (EBADF:
      // closed before the request was submitted) is reported once.
      slot.pending |= cqe.res == -EBADF ? kInvalid : kError;
      slot.failed = true;
    }
  }
  if (slot.touchedRound != round_) {
    slot.touchedRound = round_;
    touched_.push_back(fd);
  }
}

int IoUringBackend::dispatch(ReadinessSink& sink) {
  internal::DispatchScope scope(dispatching_);
  int reported = 0;
  // The sink may forget, re-register or add fds: index afresh each time.
  for (std::size_t i = 0; i < touched_.size(); ++i) {
    const int fd = touched_[i];
    FdState& slot = fds_[fd];
    const std::uint8_t ready = slot.pending & slot.mask;
    slot.pending = 0;
    if (ready == 0) continue;
    slot.recheck = true;
    sink.onReady(fd, ready);
    ++reported;
  }
  return reported;
}

absl::Status IoUringBackend::reinitializeAfterFork() {
  // The child shares the parent's ring memory: reaping a CQE or queueing an
  // SQE here would steal or corrupt the parent's. Build a new ring and waker,
  // and release the old ones without touching their queues.
  absl::StatusOr<internal::Waker> waker = internal::Waker::create();
  if (!waker.ok()) return waker.status();
  absl::StatusOr<internal::PooledRing> ring =
      internal::acquireRing(options_.sqEntries, options_.cqEntries);
  if (!ring.ok()) return ring.status();
  io_uring_queue_exit(&ring_);  // unmaps and closes this process's view only
  tearDownBuffers();            // registered with the parent's ring: set up anew
  buffers_ = Buffers::kNotYet;
  ring_ = ring->ring;
  epoch_ = ring->epoch;
  owner_ = ::getpid();
  waker_ = *std::move(waker);
  wakerArmed_ = false;
  armWaker();
  failOperationsAfterFork();
  touched_.clear();
  for (std::size_t fd = 0; fd < fds_.size(); ++fd) {
    FdState& slot = fds_[fd];
    slot.armed = false;
    slot.failed = false;
    slot.pending = 0;
    slot.recheck = false;
    // A closed fd shows up as kInvalid at the next poll(), as after setInterest.
    if (slot.interest != Interest::kNone) queueAdd(static_cast<int>(fd), slot);
  }
  return absl::OkStatus();
}

}  // namespace torsion
