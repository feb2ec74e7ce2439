// torsion/backends/io_uring_backend.h: a readiness backend on Linux io_uring.
//
// No Twisted counterpart (Twisted has no io_uring reactor); it offers what
// twisted.internet.epollreactor offers, level-triggered readiness per fd,
// through an io_uring ring instead of an epoll set:
//
// * Each watched fd has one multishot IORING_OP_POLL_ADD. A CQE without
//   IORING_CQE_F_MORE means the kernel ended it (regular files at once, CQ
//   overflow, a submitting thread that exited): it is re-armed at the next
//   poll().
// * Multishot poll fires on wake-ups, i.e. it is edge-triggered. The contract
//   is level-triggered, so every fd reported in one poll() gets a
//   POLL_UPDATE with the same mask in the next one: the kernel re-runs the
//   file's poll and posts a CQE at once if it is still ready.
// * setInterest() modifies with POLL_UPDATE and removes with ASYNC_CANCEL
//   (which, unlike POLL_REMOVE, cannot fail with EALREADY while a wake-up is
//   being processed). Adds and modifies are queued and go to the kernel with
//   the next poll(): no system call of their own. Removal and forget() submit
//   at once, because a live poll request holds a reference to the file and
//   the caller is about to close() it.
// * wakeUp() writes the shared eventfd waker (waker.h), watched by its own
//   multishot poll: one write(2), thread-safe and async-signal-safe.
//   IORING_OP_MSG_RING would need a ring owned by the waking thread, which a
//   signal handler cannot have.
// * Timeouts go to io_uring_enter with IORING_ENTER_EXT_ARG (ns resolution);
//   completions that report nothing (stale or cancelled requests) never end
//   a timed wait early: poll() waits again for the rest.
//
//   absl::StatusOr<std::unique_ptr<Backend>> b = IoUringBackend::create();
//   if (!b.ok()) { ...b.status() says why (ENOSYS, EPERM, old kernel)... }
//   (*b)->setInterest(fd, Interest::kNone, Interest::kRead);
//   (*b)->poll(std::chrono::milliseconds(5), sink);
//
// Normally reached through createBackend("io_uring") or TORSION_BACKEND;
// linking //backends:io_uring registers it after epoll (the default) and
// before poll (backends/backend_order.bzl). probe() fails, and the automatic choice skips
// it with the reason logged, when io_uring_setup is refused (ENOSYS, EPERM
// from seccomp or kernel.io_uring_disabled) or the kernel predates 5.17.
//
// Completions: completionPort() is an IoUringPort (io_uring_port.h) when the
// kernel has IORING_OP_SEND, SENDMSG, RECV, ACCEPT and ASYNC_CANCEL (probed
// once per process); the stream transports then move bytes, and listeners
// accept, with those requests (docs/io_uring.md). Without them, or with
// Options::completions false or TORSION_IO_URING_OFF=completions, it is nullptr (logged
// once) and the readiness transports serve this backend as they serve epoll.
//
// Thread-safety: as Backend: only wakeUp() may be called from other threads.
// poll(), setInterest() and forget() should come from one thread at a time;
// if that thread exits, the kernel cancels its requests and the next poll()
// re-arms them.
#ifndef TORSION_BACKENDS_IO_URING_BACKEND_H_
#define TORSION_BACKENDS_IO_URING_BACKEND_H_

#include <liburing.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/backend.h"
#include "backends/io_uring_port.h"
#include "backends/io_uring_ring.h"
#include "backends/waker.h"

namespace torsion {

class IoUringBackend final : public Backend, public IoUringPort {
 public:
  struct Options {
    // Submission queue size. When it fills up between two polls the queued
    // requests are submitted early (one extra system call); nothing is lost.
    unsigned sqEntries = 256;
    // Completion queue size. The kernel keeps overflowing CQEs
    // (IORING_FEAT_NODROP, required) and ends multishot polls that overflow;
    // both are handled, a larger ring just avoids the slow path.
    unsigned cqEntries = 4096;
    // Provided receive buffers shared by every connection's multishot
    // receive: how many (a power of two, at most 32768; 0: none, each
    // connection receives into its own buffer) and how large. Set up at
    // the first receive. When they run out the kernel ends the receive
    // (ENOBUFS) and the connection asks again: nothing is lost.
    unsigned recvBuffers = 64;
    unsigned recvBufferSize = 16 * 1024;
    // Offer the completion port when the kernel has what it needs. False
    // keeps every socket on readiness (as TORSION_IO_URING_OFF=completions).
    bool completions = true;
  };

  // Creates a ring and its waker. Errors name the failing call
  // (io_uring_queue_init_params, eventfd) with the kernel's reason, and say
  // which kernel feature is missing on kernels older than 5.17.
  static absl::StatusOr<std::unique_ptr<Backend>> create();
  static absl::StatusOr<std::unique_ptr<Backend>> create(const Options& options);

  // OK when a ring with every feature this backend needs can be set up here.
  // Runs once per process and caches the answer (the registry calls it often).
  static absl::Status probe();

  ~IoUringBackend() override;

  absl::Status setInterest(int fd, Interest previous, Interest wanted) override;
  void forget(int fd) noexcept override;
  absl::StatusOr<int> poll(std::optional<std::chrono::nanoseconds> timeout,
                           ReadinessSink& sink) override;
  void wakeUp() const noexcept override { waker_.wakeUp(); }
  absl::Status reinitializeAfterFork() override;
  CompletionPort* completionPort() noexcept override {
    return completions_ ? this : nullptr;
  }

  // ---- IoUringPort (io_uring_completions.cc) -------------------------------------
  std::uint64_t start(std::unique_ptr<CompletionOperation> op,
                      absl::FunctionRef<void(io_uring_sqe&)> prepare) noexcept override;
  void cancel(std::uint64_t id) noexcept override;
  void flush() noexcept override { submitNow(); }
  std::uint32_t cqeFlags() const noexcept override { return cqeFlags_; }
  int receiveBufferGroup() noexcept override;
  std::string_view receivedBytes(std::uint32_t cqeFlags,
                                 std::uint32_t bytes) const noexcept override;
  void releaseBuffer(std::uint32_t cqeFlags) noexcept override;
  void multishotRefused() noexcept override;
  bool multishotAccept() const noexcept override { return acceptMultishot_; }
  void multishotAcceptRefused() noexcept override;
  std::string featureSummary() const override;

  // Operations of the port started and not yet delivered (for tests: what a
  // closed transport or listener leaves behind).
  std::size_t liveOperations() const noexcept { return ops_.size() - freeOps_.size(); }

 private:
  // An operation of the port: its slot in ops_ goes into user_data with a
  // generation, so that a CQE for a slot since reused is recognised.
  struct OpSlot {
    std::unique_ptr<CompletionOperation> op;  // null: free
    std::uint32_t gen = 0;
  };
  // A CQE for an operation, gathered, then run after the readiness events.
  struct Finished {
    std::uint32_t slot;
    std::uint32_t gen;
    int res;
    std::uint32_t flags;
  };
  struct FdState {
    Interest interest = Interest::kNone;
    std::uint8_t mask = 0;           // reportMask(interest), cached for dispatch
    std::uint8_t pending = 0;        // readiness gathered from this round's CQEs
    bool armed = false;              // a poll request (fd, gen) is queued or live
    bool failed = false;             // the kernel refused it (EBADF): not re-armed
    bool recheck = false;            // reported: re-run its readiness check (LT)
    unsigned armedEvents = 0;        // POLLIN/POLLOUT the kernel was last given
    std::uint32_t gen = 0;           // generation in the live request's user_data
    std::uint64_t touchedRound = 0;  // == round_: already in touched_
    std::uint64_t queuedRound = 0;   // == flushRound_: a check is queued
  };

  IoUringBackend(const internal::PooledRing& ring, internal::Waker waker,
                 const Options& options);

  void ensureSlot(int fd);  // may throw std::bad_alloc; call before queueing
  io_uring_sqe* getSqe() noexcept;
  bool queueAdd(int fd, FdState& slot) noexcept;
  bool queueUpdate(int fd, FdState& slot) noexcept;
  void queueCancel(int fd, FdState& slot) noexcept;
  bool armWaker() noexcept;
  void submitNow() noexcept;
  void requeueTouched() noexcept;
  int enter(std::optional<std::chrono::nanoseconds> wait) noexcept;
  unsigned gather(bool& woken) noexcept;
  void handleCompletion(const io_uring_cqe& cqe, bool& woken) noexcept;
  int dispatch(ReadinessSink& sink);
  void gatherOperation(const io_uring_cqe& cqe) noexcept;
  int runOperations() noexcept;
  void cancelOperations() noexcept;
  void failOperationsAfterFork() noexcept;
  // Whether the kernel has every request the port sends (probed once per
  // process on `ring`) and TORSION_IO_URING_OFF does not name "completions".
  static bool completionsAvailable(io_uring& ring);
  // Whether TORSION_IO_URING_OFF (a comma-separated list) names `feature`.
  // An unknown name is an error in the environment, reported once.
  static bool switchedOff(std::string_view feature);
  void setUpBuffers() noexcept;
  void tearDownBuffers() noexcept;

  io_uring ring_;
  std::uint8_t epoch_;  // the ring's epoch, in every user_data
  pid_t owner_;         // the process whose ring this is (fork)
  internal::Waker waker_;
  Options options_;
  bool wakerArmed_ = false;
  bool needsRearm_ = false;  // the last gather saw a poll the kernel ended
  bool dispatching_ = false;
  std::uint64_t round_ = 1;       // one per gathered batch of CQEs
  std::uint64_t flushRound_ = 1;  // one per hand-over of the SQ to the kernel
  std::vector<FdState> fds_;      // indexed by fd
  // Fds with a current CQE in the last gathered batch, in arrival order:
  // dispatched from here, then re-checked or re-armed at the next poll().
  std::vector<int> touched_;
  bool completions_ = false;      // completionPort() is this
  bool acceptMultishot_ = false;  // listeners ask for multishot accepts
  std::vector<OpSlot> ops_;
  std::vector<std::uint32_t> freeOps_;
  std::vector<Finished> finished_;
  std::uint32_t cqeFlags_ = 0;  // of the completion being delivered
  enum class Buffers : std::uint8_t { kNotYet, kReady, kOff };
  Buffers buffers_ = Buffers::kNotYet;
  io_uring_buf_ring* bufferRing_ = nullptr;  // page-aligned, shared with the kernel
  std::unique_ptr<char[]> bufferMemory_;     // recvBuffers * recvBufferSize
};

}  // namespace torsion

#endif  // TORSION_BACKENDS_IO_URING_BACKEND_H_
