// torsion/backends/backend.h: the contract every I/O backend implements.
//
// A backend is an OS multiplexer and nothing more: select, poll, epoll,
// kqueue, io_uring, IOCP. It never runs user code and never sees a
// DelayedCall, a Deferred or a Protocol; the reactor (core/) owns time, the
// ready queue and the read/write dispatch policy. The shape is the one that
// libevent's `eventop`, KJ's `EventPort` and Twisted's `doIteration` share.
//
//   absl::StatusOr<std::unique_ptr<Backend>> b = createBackend("epoll");
//   if (!b.ok()) { ...b.status() names why... }
//   (*b)->setInterest(fd, Interest::kNone, Interest::kRead);
//   (*b)->poll(std::chrono::milliseconds(10), sink);
//
// Thread-safety: only wakeUp() may be called from another thread.
#ifndef TORSION_BACKENDS_BACKEND_H_
#define TORSION_BACKENDS_BACKEND_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/completion_port.h"

namespace torsion {

// What the reactor wants to hear about for one file descriptor.
enum class Interest : std::uint8_t {
  kNone = 0,
  kRead = 1,
  kWrite = 2,
  kReadWrite = 3,
};

constexpr Interest operator|(Interest a, Interest b) {
  return static_cast<Interest>(static_cast<std::uint8_t>(a) |
                               static_cast<std::uint8_t>(b));
}
constexpr Interest operator&(Interest a, Interest b) {
  return static_cast<Interest>(static_cast<std::uint8_t>(a) &
                               static_cast<std::uint8_t>(b));
}
constexpr Interest operator~(Interest a) {
  return static_cast<Interest>(~static_cast<std::uint8_t>(a) & 3);
}
constexpr bool hasInterest(Interest set, Interest bit) {
  return (set & bit) != Interest::kNone;
}

// What a backend saw on one descriptor in one poll. Several bits may be set.
// kHangup and kError are reported whatever the interest was, as poll(2)
// reports POLLHUP and POLLERR; the reactor's dispatch policy decides what
// they mean (Twisted's _doReadOrWrite).
enum ReadyEvents : std::uint8_t {
  kReadable = 1,
  kWritable = 2,
  kHangup = 4,   // the peer closed; data may still be pending
  kError = 8,    // an error is pending on the descriptor
  kInvalid = 16  // the descriptor is not open (POLLNVAL, EBADF)
};

// What a backend can do. Tests skip by feature, never by backend name.
struct BackendFeatures {
  // Readiness is reported per (fd, direction): addReader/addWriter work.
  // False for completion-model backends such as IOCP.
  bool fdReadiness = true;
  // Completions rather than readiness: completionPort() is non-null and
  // net/ serves this backend with its completion transports.
  bool completionModel = false;
  // Cost per poll does not grow with the number of registered descriptors.
  bool constantTimePerEvent = false;
  // Regular files are accepted and are always ready (epoll refuses them
  // with EPERM; the backend hides that, as Twisted's epollreactor does).
  bool regularFilesAlwaysReady = true;
  // The backend's kernel object does not survive fork(): call
  // reinitializeAfterFork() in the child.
  bool needsReinitAfterFork = false;
  // Descriptors at or above this value are refused (select's FD_SETSIZE);
  // -1 when there is no such limit.
  int maxFd = -1;
  // At most this many descriptors may be watched at once, whatever their
  // values (winsock select's fd_set is a counted array); -1 when there is
  // no such limit.
  int maxWatched = -1;
  // ReadinessSink::onReady may run user code: it may call setInterest and
  // forget for any fd (the one reported included), and the rest of the
  // round still reports only what is watched, without stale indices. The
  // reactor then dispatches each event as it arrives instead of gathering
  // the round first (docs/performance.md: ~40 instructions per event).
  bool sinkMayReenter = false;
};

// Receives what one poll() found. Implemented by the reactor.
class ReadinessSink {
 public:
  virtual void onReady(int fd, std::uint8_t readyEvents) = 0;

 protected:
  ~ReadinessSink() = default;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Stable lowercase id: "select", "poll", "epoll", "kqueue", "iocp",
  // "io_uring", "glib".
  std::string_view name() const noexcept { return name_; }

  // What this backend can do. Fixed when it is created: the reactor and net/
  // read it once, and tests skip by it.
  const BackendFeatures& features() const noexcept { return features_; }

  // Changes what is watched on `fd` from `previous` to `wanted`: one call
  // for add (previous == kNone), modify, and remove (wanted == kNone). The
  // backend updates its own state only after the system call succeeded, so
  // a failed call leaves everything as it was. Errors name the call and fd.
  virtual absl::Status setInterest(int fd, Interest previous, Interest wanted) = 0;

  // `fd` is about to be closed (or was): drop it without a system call that
  // could fail, and ignore events for it already gathered in this round.
  virtual void forget(int fd) noexcept = 0;

  // Waits at most `timeout` (std::nullopt: no limit; zero: do not block)
  // and reports readiness to `sink`. Returns the number of events reported.
  // An interrupted wait (EINTR) reports zero events, not an error.
  virtual absl::StatusOr<int> poll(std::optional<std::chrono::nanoseconds> timeout,
                                   ReadinessSink& sink) = 0;

  // Makes a poll() that is blocked, or the next one, return soon. The only
  // call that is safe from any thread; async-signal-safe too.
  virtual void wakeUp() const noexcept = 0;

  // Rebuilds kernel state in a child process after fork().
  virtual absl::Status reinitializeAfterFork() { return absl::OkStatus(); }

  // For a loop outside torsion (docs/embedding.md): a descriptor that polls
  // readable whenever poll() would report something or wakeUp() was called,
  // as epoll's own descriptor does (Python's epoll.fileno(), libuv's
  // uv_backend_fd). Owned by the backend; do not read or close it.
  // Unimplemented, naming the backend, when it has none (poll and select
  // watch a list, not a kernel object).
  virtual absl::StatusOr<int> fileno() const {
    return absl::UnimplementedError(
        std::string(name()) +
        " backend has no pollable descriptor; the epoll backend has one "
        "(docs/embedding.md)");
  }

  // True while poll() would report something that fileno() does not show
  // (epoll's always-ready regular files): a foreign loop must not block.
  virtual bool readyWithoutWaiting() const noexcept { return false; }

  // The completion port of a completion backend (features().completionModel);
  // nullptr for a readiness backend. poll() then hands finished operations
  // to the port's sink instead of reporting readiness.
  virtual CompletionPort* completionPort() noexcept { return nullptr; }

 protected:
  // `name` must outlive the backend (a string literal).
  Backend(std::string_view name, const BackendFeatures& features) noexcept
      : name_(name), features_(features) {}

 private:
  std::string_view name_;
  BackendFeatures features_;
};

}  // namespace torsion

#endif  // TORSION_BACKENDS_BACKEND_H_
