// torsion/core/reactor.h: the Reactor, torsion's event loop.
//
// Mirrors twisted.internet.base.ReactorBase + posixbase.PosixReactorBase:
// IReactorCore (run, stop, crash, iterate, running, callWhenRunning,
// system event triggers), IReactorTime (callLater, getDelayedCalls,
// seconds), IReactorThreads (callFromThread, callInThread,
// suggestThreadPoolSize) and IReactorFDSet (addReader ... getWriters). The
// OS multiplexer is a pluggable Backend (backends/backend.h); the loop,
// the timers and the read/write dispatch policy are written once, here.
//
//   absl::StatusOr<std::unique_ptr<torsion::Reactor>> r =
//       torsion::Reactor::create({.backend = "epoll"});
//   if (!r.ok()) { std::cerr << r.status(); return 1; }
//   torsion::Reactor& reactor = **r;
//   reactor.callLater(1.5s, [&] { reactor.stop(); });
//   reactor.run();   // returns after the shutdown triggers ran
//
// Differences from Twisted, on purpose:
//   * Restartable: after run() returns (stop or crash) run() may be called
//     again; Twisted raises ReactorNotRestartable. Triggers are consumed as
//     in Twisted, so each run fires only the triggers added since.
//   * Equal deadlines run first-in first-out (Twisted: unspecified).
//   * A negative callLater delay counts as zero; NaN throws.
//   * iterate() from inside the loop throws ReactorAlreadyRunning.
//   * addReader/addWriter return absl::Status rather than raising.
//
// Thread-safety: only callFromThread and callInThread may be called from
// other threads; everything else, DelayedCall handles included, belongs to
// the thread that runs the reactor. See docs/reactor.md.
#ifndef TORSION_CORE_REACTOR_H_
#define TORSION_CORE_REACTOR_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/backend.h"
#include "base/delayed_call.h"
#include "base/reactor_time.h"
#include "core/completion_dispatch.h"
#include "core/errors.h"
#include "core/fd_dispatch.h"
#include "core/file_descriptor.h"
#include "core/system_events.h"
#include "core/thread_pool.h"
#include "core/timer_queue.h"

namespace torsion {

namespace internal {
// A result the reactor can wait for: one that a `whenFired(result, done)`
// found by argument-dependent lookup accepts (a Deferred, deferred/deferred.h).
template <typename R>
concept FiresLater = requires(R& r, absl::AnyInvocable<void()> done) {
  whenFired(r, std::move(done));
};
}  // namespace internal

struct ReactorOptions {
  // Backend name ("epoll", "poll", "select", ...). Empty: the environment
  // variable TORSION_BACKEND, else the first available (backends/registry.h).
  std::string backend;
  // Most threads callInThread may use (Twisted's default pool: 10).
  std::size_t threadPoolSize = 10;
};

class Reactor : public ReactorTime {
 public:
  // Creates a reactor over the chosen backend. Fails with the registry's
  // status (which names the backend and why) when it cannot be created.
  static absl::StatusOr<std::unique_ptr<Reactor>> create(ReactorOptions options = {});

  // Throwing convenience: std::runtime_error carrying the status message.
  explicit Reactor(const ReactorOptions& options = {});
  // Takes an already created backend.
  Reactor(std::unique_ptr<Backend> backend, ReactorOptions options);

  // Must not run inside the reactor's own loop. Pending timers are
  // cancelled (callables destroyed), the thread pool is stopped, registered
  // descriptors are dropped without connectionLost.
  ~Reactor() override;

  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // ---- IReactorCore --------------------------------------------------------

  // Fires "startup", then loops (thread calls, due timers, poll, dispatch)
  // until stop() has run the shutdown triggers or crash() was called.
  // With installSignalHandlers, SIGINT and SIGTERM call stop() (installed
  // in the "during startup" phase, restored when run() returns; ignored if
  // another reactor holds them). Throws ReactorAlreadyRunning when running
  // (or from inside iterate()). A reactor may be run again after it
  // returned. Exceptions from user code never escape: they are logged.
  void run(bool installSignalHandlers = true);

  // Asks the loop to shut down: at the end of the current (or next) pass
  // the "shutdown" event fires: before-triggers (the loop keeps running
  // while they hold), then during (running() turns false, every descriptor
  // gets connectionLost, the thread pool is joined), then after; then run()
  // returns. Throws ReactorNotRunning if not running, or if stop() was
  // already called in this run.
  void stop();

  // Ends the loop after the current step, without shutdown triggers.
  void crash();

  // One pass and one poll that blocks at most `delay` (less if a timer is
  // due sooner): the thread calls, call-soon calls and timers due, then the
  // I/O that is ready. iterate() (delay 0) never blocks: the step a foreign
  // loop calls (docs/embedding.md). Work that this pass schedules waits for
  // the next one, which timeout() then says is due at once. Throws
  // ReactorAlreadyRunning when called from inside the loop (from a
  // callback that iterate() or run() is running).
  void iterate(Seconds delay = Seconds(0));

  // ---- Embedding in another loop (docs/embedding.md) -------------------------
  // A game loop, SDL or libuv program that owns the thread drives the
  // reactor with three calls: wait until backendFileno() polls readable or
  // timeout() has passed, then iterate() (delay 0: never blocks). All three
  // belong to the reactor's thread; only callFromThread and callInThread may
  // be called from others, and they make backendFileno() readable.

  // Fires "startup" (running() turns true, the thread pool may start) and
  // returns at once, for a loop that then calls iterate() instead of run()
  // (Twisted's startRunning, as its GUI reactors use it). No signal
  // handlers: the embedding program owns them. stop() later fires
  // "shutdown" during a coming iterate(); running() is false once it ran.
  // Throws ReactorAlreadyRunning when started, or from inside the loop.
  void startRunning();

  // Readable whenever iterate() has I/O, a wake-up or thread calls to
  // handle (libuv's uv_backend_fd): the backend's own descriptor, not to be
  // read or closed. Unimplemented, naming the backend, when it has none
  // (poll, select, kqueue, io_uring, IOCP): docs/embedding.md. Changes after
  // Backend::reinitializeAfterFork().
  absl::StatusOr<int> backendFileno() const { return backend_->fileno(); }

  // How long a foreign loop may wait on backendFileno() before it calls
  // iterate() (Twisted's ReactorBase.timeout; libuv's uv_backend_timeout):
  // nullopt when no timer is pending, zero when work is already waiting
  // (callSoon, callFromThread, a stop, a ready file the descriptor cannot
  // show), else until the earliest timer. Round it up when converting to a
  // coarser unit: waking early only costs an empty iterate().
  std::optional<Seconds> timeout() const;

  // True from "during startup" until "during shutdown" (Twisted's
  // reactor.running).
  bool running() const { return running_; }

  // Runs `f` now if running, else as an "after startup" trigger whose id
  // is returned.
  std::optional<TriggerId> callWhenRunning(absl::AnyInvocable<void()> f);

  // ---- System event triggers -------------------------------------------------

  // Adds a trigger for `event` ("startup", "shutdown" or any name). `f` is
  // called as f(), or as f(EventHold) if it takes one. A "before" trigger
  // delays the event's "during" phase while it holds the event: until the
  // Deferred it returned has fired (either way, Twisted SE3), or until the
  // EventHold it took is released. Return values are otherwise ignored.
  template <typename F>
  TriggerId addSystemEventTrigger(Phase phase, std::string_view event, F&& f) {
    using Fn = std::decay_t<F>;
    if constexpr (std::is_invocable_v<Fn&, EventHold>) {
      return events_.add(phase, event, SystemEvents::HoldingTrigger(std::forward<F>(f)));
    } else if constexpr (internal::FiresLater<std::invoke_result_t<Fn&>>) {
      return events_.add(
          phase, event,
          SystemEvents::HoldingTrigger([f = std::forward<F>(f)](EventHold hold) mutable {
            auto result = f();
            whenFired(result, [h = std::move(hold)]() mutable { h.release(); });
          }));
    } else {
      return events_.add(
          phase, event,
          SystemEvents::Trigger([f = std::forward<F>(f)]() mutable { (void)f(); }));
    }
  }

  // Removes a trigger that has not run. Throws std::invalid_argument for an
  // unknown, already-run or already-removed id.
  void removeSystemEventTrigger(TriggerId id) { events_.remove(id); }

  // Fires a custom event (startup and shutdown are fired by run/stop).
  void fireSystemEvent(std::string_view event) { events_.fire(event); }

  // ---- IReactorTime ----------------------------------------------------------

  // Monotonic (std::chrono::steady_clock) seconds.
  double seconds() const override;

  using ReactorTime::callLater;
  // Runs `f` once, at least `delay` from now, on the reactor thread.
  // Equal deadlines run in scheduling order; a call scheduled while timers
  // run waits for the next pass. Exceptions it throws are logged and the
  // loop goes on. Negative delays count as zero; NaN throws
  // std::invalid_argument.
  DelayedCall callLater(Seconds delay, absl::AnyInvocable<void()> f) override;
  // The same for any duration and callable, called on a Reactor directly:
  // the callable is built in place in its timer node, where the virtual
  // overload's by-value AnyInvocable is built, moved and destroyed
  // (measured: docs/performance.md, W2). Chosen over ReactorTime's template
  // as the more constrained one.
  template <typename Rep, typename Period, typename F>
  requires std::is_constructible_v<absl::AnyInvocable<void()>, F &&> DelayedCall
  callLater(std::chrono::duration<Rep, Period> delay, F&& f) {
    return timers_.emplace(deadlineAfter(std::chrono::duration_cast<Seconds>(delay)),
                           std::forward<F>(f));
  }

  std::vector<DelayedCall> getDelayedCalls() const override { return timers_.pending(); }

  // torsion extension, like std::vector::reserve: makes room for `n` pending
  // calls (their nodes and heap slots) now, so that scheduling up to `n`
  // allocates and page-faults nothing later. For programs that know their
  // timer scale and keep allocation out of a latency-sensitive phase; libev,
  // libuv and Asio users get the same by owning their timers' memory.
  // Throws std::length_error past the queue's limit. Reactor thread only.
  void reserveDelayedCalls(std::size_t n) { timers_.reserve(n); }

  // torsion extension: runs `f` at the start of the next pass, in FIFO
  // order with other callSoon calls, before that pass's due timers. Like
  // callLater(0, f) without a handle: cheaper (no node, no heap), and not
  // cancellable. Reactor thread only. A template so that the callable is
  // built in place in the queue (measured: the by-value AnyInvocable
  // parameter cost an extra move and destroy per call).
  template <typename F>
  requires std::is_constructible_v<absl::AnyInvocable<void()>, F &&> void callSoon(
      F&& f) {
    soon_.emplace_back(std::forward<F>(f));
  }

  // ---- IReactorThreads -------------------------------------------------------

  // Runs `f` on the reactor thread at the start of a coming pass, FIFO.
  // Thread-safe; wakes a blocked poll; usable before run() (queued until
  // the reactor runs or iterates). Exceptions are logged.
  void callFromThread(absl::AnyInvocable<void()> f);

  // Runs `f` on the reactor's thread pool (created on first use, started
  // when the reactor runs, joined during shutdown). Thread-safe.
  void callInThread(absl::AnyInvocable<void()> f);

  // Sets the thread pool's maximum size (Twisted's suggestThreadPoolSize).
  // Throws std::invalid_argument for 0.
  void suggestThreadPoolSize(std::size_t size);

  // The pool behind callInThread, created (not started) on first use.
  // Reactor thread only: the pool is destroyed during shutdown.
  ThreadPool& getThreadPool();
  // True while a pool exists (until it is joined at shutdown).
  bool hasThreadPool() const;

  // True on the thread that runs (or last ran, or created) the reactor.
  bool isInIOThread() const {
    return ioThread_.load(std::memory_order_relaxed) == std::this_thread::get_id();
  }

  // ---- IReactorFDSet ---------------------------------------------------------
  // See core/fd_dispatch.h for the errors and the dispatch policy. The
  // reactor keeps plain pointers: a descriptor must outlive its
  // registration.

  absl::Status addReader(FileDescriptor* d) { return fds_.addReader(d); }
  absl::Status addWriter(FileDescriptor* d) { return fds_.addWriter(d); }
  void removeReader(FileDescriptor* d) { fds_.removeReader(d); }
  void removeWriter(FileDescriptor* d) { fds_.removeWriter(d); }
  std::vector<FileDescriptor*> removeAll() { return fds_.removeAll(); }
  std::vector<FileDescriptor*> getReaders() const { return fds_.getReaders(); }
  std::vector<FileDescriptor*> getWriters() const { return fds_.getWriters(); }

  // ---- Introspection -------------------------------------------------------

  const Backend& backend() const { return *backend_; }
  std::string_view backendName() const { return backend_->name(); }
  // The backend's completion port, or nullptr for a readiness backend
  // (backends/completion_port.h). Its finished operations run under the
  // reactor's completion policy (core/completion_dispatch.h).
  CompletionPort* completionPort() const { return backend_->completionPort(); }

 private:
  // The loop's stages, in order; see run() and docs/reactor.md.
  void mainLoop();
  void runUntilCurrent();
  void runThreadCalls();
  void runSoonCalls();
  void runTimedCalls();
  std::optional<std::chrono::nanoseconds> computeTimeout() const;
  // callLater's deadline for `delay`: now + max(delay, 0); NaN throws.
  double deadlineAfter(Seconds delay) const;
  void doIteration(std::optional<std::chrono::nanoseconds> timeout);
  // The cold halves of runUntilCurrent and doIteration, out of line so the
  // hot halves need no stack frame of their own (measured: W4 chain).
  ABSL_ATTRIBUTE_NOINLINE void fireShutdown();
  // iterate()'s error check (throws) and its timeout for a positive delay.
  ABSL_ATTRIBUTE_NOINLINE void rejectIterate(Seconds delay) const;
  ABSL_ATTRIBUTE_NOINLINE std::optional<std::chrono::nanoseconds> iterateTimeout(
      Seconds delay) const;
  ABSL_ATTRIBUTE_NOINLINE void pollFailed(const absl::Status& status);

  void reallyStartRunning();
  void duringShutdown();
  void checkStopSignal();
  void stopThreadPool();
  ThreadPool& poolLocked();

  ReactorOptions options_;
  std::unique_ptr<Backend> backend_;
  internal::TimerQueue timers_;
  internal::FdDispatcher fds_;
  internal::CompletionDispatcher completions_;
  SystemEvents events_;

  std::vector<absl::AnyInvocable<void()>> soon_;
  std::vector<absl::AnyInvocable<void()>> soonRunning_;

  mutable std::mutex threadCallsMutex_;
  std::vector<absl::AnyInvocable<void()>> threadCalls_;  // guarded
  std::vector<absl::AnyInvocable<void()>> threadCallsRunning_;
  // Mirrors !threadCalls_.empty(), written under threadCallsMutex_, so a
  // pass with no thread calls skips the lock (measured: the lock/unlock
  // pair was ~100 instructions of a ~520-instruction call-soon pass).
  std::atomic<bool> threadCallsWaiting_{false};

  mutable std::mutex poolMutex_;  // guards pool_ (callInThread is
                                  // thread-safe)
  std::unique_ptr<ThreadPool> pool_;
  bool poolMayRun_ = false;  // guarded by poolMutex_: between startup and
                             // shutdown

  std::atomic<std::thread::id> ioThread_;

  bool started_ = false;        // run() is looping (Twisted's _started)
  bool running_ = false;        // between during-startup and during-shutdown
  bool stopRequested_ = false;  // stop() was called in this run
  bool justStopped_ = false;    // fire "shutdown" at the end of this pass
  bool inLoop_ = false;         // inside run() or iterate()
  bool wantSignalHandlers_ = false;
  bool ownsSignalHandlers_ = false;
  int pollErrors_ = 0;  // consecutive backend failures
};

}  // namespace torsion

#endif  // TORSION_CORE_REACTOR_H_
