#include "core/reactor.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <stdexcept>
#include <string>

#include "absl/base/attributes.h"
#include "backends/registry.h"
#include "base/log.h"
#include "core/signal_handlers.h"

namespace torsion {
namespace {

// Twisted caps the poll timeout at 2147483 s (about 24.8 days), so that a
// call scheduled 2**128 s ahead cannot overflow a kernel timeout.
constexpr double kMaxTimeoutSeconds = 2147483.0;

// After this many consecutive backend failures the loop crashes rather than
// spinning on an error that will not go away.
constexpr int kMaxConsecutivePollErrors = 100;

// Out of line and cold: its string temporaries would otherwise give runAll a
// stack-protected frame on every pass (measured: ~20 instructions a pass).
ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD void logError(const char* what) {
  log::err("reactor", what, std::current_exception());
}

// Runs every callable in `calls` in order, logging what they throw, then
// empties the vector (keeping its capacity).
void runAll(std::vector<absl::AnyInvocable<void()>>& calls, const char* what) {
  for (auto& f : calls) {
    try {
      f();
    } catch (...) {
      logError(what);
    }
    f = nullptr;
  }
  calls.clear();
}

std::unique_ptr<Backend> createOrThrow(const ReactorOptions& options) {
  absl::StatusOr<std::unique_ptr<Backend>> backend = createBackend(options.backend);
  if (!backend.ok()) {
    throw std::runtime_error("Reactor: " + backend.status().ToString());
  }
  return *std::move(backend);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Reactor>> Reactor::create(ReactorOptions options) {
  absl::StatusOr<std::unique_ptr<Backend>> backend = createBackend(options.backend);
  if (!backend.ok()) return backend.status();
  if (options.threadPoolSize == 0) {
    return absl::InvalidArgumentError(
        "ReactorOptions::threadPoolSize must be at least 1");
  }
  return std::make_unique<Reactor>(*std::move(backend), std::move(options));
}

Reactor::Reactor(const ReactorOptions& options)
    : Reactor(createOrThrow(options), options) {}

Reactor::Reactor(std::unique_ptr<Backend> backend, ReactorOptions options)
    : options_(std::move(options)),
      backend_(std::move(backend)),
      timers_(*this),
      fds_(*backend_),
      ioThread_(std::this_thread::get_id()) {
  if (options_.threadPoolSize == 0) {
    throw std::invalid_argument("ReactorOptions::threadPoolSize must be at least 1");
  }
  if (CompletionPort* port = backend_->completionPort()) port->setSink(&completions_);
}

Reactor::~Reactor() {
  // Completions still queued are freed unrun by the backend's destructor.
  if (CompletionPort* port = backend_->completionPort()) port->setSink(nullptr);
  if (ownsSignalHandlers_) internal::uninstallStopSignalHandlers(backend_.get());
  stopThreadPool();
  timers_.clear();
  fds_.removeAll();
}

// ---- Lifecycle ---------------------------------------------------------------

void Reactor::run(bool installSignalHandlers) {
  if (started_ || inLoop_) throw ReactorAlreadyRunning();
  ioThread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  started_ = true;
  stopRequested_ = false;
  justStopped_ = false;
  wantSignalHandlers_ = installSignalHandlers;
  inLoop_ = true;
  struct Restore {
    Reactor* r;
    ~Restore() {
      if (r->ownsSignalHandlers_) {
        internal::uninstallStopSignalHandlers(r->backend_.get());
        r->ownsSignalHandlers_ = false;
      }
      r->inLoop_ = false;
      r->started_ = false;
      r->running_ = false;
      // Restartable: the next run() starts from a clean slate.
      r->stopRequested_ = false;
      r->justStopped_ = false;
    }
  } restore{this};
  // "before startup" triggers see running() false; ours runs first in
  // "during startup" and turns it true (Twisted's _reallyStartRunning).
  events_.fire("startup", [this] { reallyStartRunning(); });
  mainLoop();
}

void Reactor::startRunning() {
  if (started_ || inLoop_) {
    throw ReactorAlreadyRunning(
        "ReactorAlreadyRunning: startRunning() on a reactor that is already "
        "started or inside its loop");
  }
  ioThread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  started_ = true;
  stopRequested_ = false;
  justStopped_ = false;
  wantSignalHandlers_ = false;
  events_.fire("startup", [this] { reallyStartRunning(); });
}

void Reactor::reallyStartRunning() {
  running_ = true;
  if (wantSignalHandlers_ && !ownsSignalHandlers_) {
    ownsSignalHandlers_ = internal::installStopSignalHandlers(backend_.get());
    if (!ownsSignalHandlers_) {
      log::msg("reactor", "signal handlers not installed: another reactor holds them");
    }
  }
  std::lock_guard lock(poolMutex_);
  poolMayRun_ = true;
  if (pool_) pool_->start();
}

void Reactor::stop() {
  if (!started_) {
    throw ReactorNotRunning("ReactorNotRunning: can't stop a reactor that isn't running");
  }
  if (stopRequested_) {
    throw ReactorNotRunning("ReactorNotRunning: stop() was already called in this run");
  }
  stopRequested_ = true;
  justStopped_ = true;
}

void Reactor::crash() {
  started_ = false;
  running_ = false;
}

void Reactor::duringShutdown() {
  // Twisted's during-shutdown order: crash (running turns false, so user
  // "during" triggers see false), disconnectAll, then the thread pool.
  crash();
  fds_.disconnectAll();
  stopThreadPool();
}

std::optional<TriggerId> Reactor::callWhenRunning(absl::AnyInvocable<void()> f) {
  if (running_) {
    f();
    return std::nullopt;
  }
  return events_.add(Phase::kAfter, "startup", std::move(f));
}

void Reactor::iterate(Seconds delay) {
  if (inLoop_ || std::isnan(delay.count())) [[unlikely]]
    rejectIterate(delay);
  inLoop_ = true;
  struct Restore {
    bool& flag;
    ~Restore() { flag = false; }
  } restore{inLoop_};
  runUntilCurrent();
  // iterate(0), the embedding case: the poll never blocks, whatever is
  // pending, so there is no timeout to compute. The other case is out of
  // line: its floating-point work gave every iterate(0) a larger frame
  // (measured: ~10 instructions a pass, W4 chain).
  doIteration(delay.count() > 0 ? iterateTimeout(delay)
                                : std::optional(std::chrono::nanoseconds(0)));
}

void Reactor::rejectIterate(Seconds delay) const {
  if (inLoop_) {
    throw ReactorAlreadyRunning(
        "ReactorAlreadyRunning: iterate() called from inside the reactor's "
        "loop");
  }
  if (std::isnan(delay.count())) {
    throw std::invalid_argument("iterate: the delay is NaN");
  }
}

std::optional<std::chrono::nanoseconds> Reactor::iterateTimeout(Seconds delay) const {
  std::optional<std::chrono::nanoseconds> timeout = computeTimeout();
  const double cap = std::min(delay.count(), kMaxTimeoutSeconds);
  const auto capNs =
      std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(cap * 1e9)));
  if (!timeout || *timeout > capNs) timeout = capNs;
  return timeout;
}

// ---- The loop ------------------------------------------------------------------
//
// One iteration, libuv's uv_run shape (docs/reactor.md):
//   1. runUntilCurrent: a pending stop signal; thread calls; call-soon
//      calls; due timers; the shutdown event if stop() was called.
//   2. computeTimeout: zero if work is already waiting, else until the
//      next deadline, else forever.
//   3. doIteration: one backend poll, then the read/write dispatch policy.

void Reactor::mainLoop() {
  while (started_) {
    runUntilCurrent();
    if (!started_) break;  // crashed, or shutdown finished, in this pass
    doIteration(computeTimeout());
  }
}

void Reactor::runUntilCurrent() {
  // Each stage is entered only when it has work: an empty stage then costs
  // a load and a branch, not a call with its prologue (measured: ~25
  // instructions per empty stage per pass, docs/performance.md).
  if (ownsSignalHandlers_) checkStopSignal();
  if (threadCallsWaiting_.load(std::memory_order_acquire)) runThreadCalls();
  if (!soon_.empty()) runSoonCalls();
  if (!timers_.empty()) runTimedCalls();
  // Stage 4: stop() asked for shutdown during (or before) this pass. It
  // fires only now, after the pass, so stop() itself stays asynchronous.
  if (justStopped_) [[unlikely]]
    fireShutdown();
}

void Reactor::fireShutdown() {
  justStopped_ = false;
  events_.fire("shutdown", [this] { duringShutdown(); });
}

void Reactor::checkStopSignal() {
  if (!ownsSignalHandlers_) return;
  const int signo = internal::takePendingStopSignal();
  if (signo == 0) return;
  log::msg("reactor", std::string("Received ") +
                          (signo == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down.");
  if (started_ && !stopRequested_) stop();
}

void Reactor::runThreadCalls() {
  // Only the calls queued before this point: a thread call that queues
  // another lets this pass's timers run first (Twisted T2).
  if (!threadCallsWaiting_.load(std::memory_order_acquire)) return;
  {
    std::lock_guard lock(threadCallsMutex_);
    threadCalls_.swap(threadCallsRunning_);
    threadCallsWaiting_.store(false, std::memory_order_relaxed);
  }
  runAll(threadCallsRunning_, "Unhandled error in callFromThread call");
}

void Reactor::runSoonCalls() {
  if (soon_.empty()) return;
  soon_.swap(soonRunning_);
  runAll(soonRunning_, "Unhandled error in callSoon call");
}

void Reactor::runTimedCalls() {
  if (timers_.empty()) return;
  // "now" is read once, after the thread calls: a callLater(0) made by a
  // thread call is due in this very pass (Twisted DC12).
  timers_.runDue(
      seconds(), internal::TimerQueue::NewCalls::kNextPass, [](std::exception_ptr e) {
        log::err("reactor", "Unhandled error while handling timed call", std::move(e));
      });
}

std::optional<std::chrono::nanoseconds> Reactor::computeTimeout() const {
  const bool workWaiting = justStopped_ || !soon_.empty() ||
                           (ownsSignalHandlers_ && internal::stopSignalPending()) ||
                           threadCallsWaiting_.load(std::memory_order_acquire);
  if (workWaiting) return std::chrono::nanoseconds(0);
  std::optional<double> next = timers_.nextDeadline();
  if (!next) return std::nullopt;
  const double wait = std::min(*next - seconds(), kMaxTimeoutSeconds);
  if (!(wait > 0)) return std::chrono::nanoseconds(0);
  // Round up: waking before the deadline would only make us loop.
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(wait * 1e9)));
}

std::optional<Seconds> Reactor::timeout() const {
  if (backend_->readyWithoutWaiting()) return Seconds(0);
  const std::optional<std::chrono::nanoseconds> wait = computeTimeout();
  if (!wait) return std::nullopt;
  return std::chrono::duration_cast<Seconds>(*wait);
}

void Reactor::doIteration(std::optional<std::chrono::nanoseconds> timeout) {
  absl::StatusOr<int> n = fds_.pollAndDispatch(timeout);
  if (n.ok()) [[likely]] {
    pollErrors_ = 0;
    return;
  }
  pollFailed(n.status());
}

void Reactor::pollFailed(const absl::Status& status) {
  log::err("reactor", "backend poll failed: " + status.ToString());
  if (++pollErrors_ >= kMaxConsecutivePollErrors) {
    log::err("reactor", "the backend keeps failing; crashing the reactor");
    pollErrors_ = 0;
    crash();
  }
}

// ---- Time ----------------------------------------------------------------------

double Reactor::seconds() const {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double Reactor::deadlineAfter(Seconds delay) const {
  if (std::isnan(delay.count())) {
    throw std::invalid_argument("callLater: the delay is NaN");
  }
  return seconds() + std::max(delay.count(), 0.0);
}

DelayedCall Reactor::callLater(Seconds delay, absl::AnyInvocable<void()> f) {
  return timers_.schedule(deadlineAfter(delay), std::move(f));
}

// ---- Threads -------------------------------------------------------------------

void Reactor::callFromThread(absl::AnyInvocable<void()> f) {
  bool wasEmpty;
  {
    std::lock_guard lock(threadCallsMutex_);
    wasEmpty = threadCalls_.empty();
    threadCalls_.push_back(std::move(f));
    threadCallsWaiting_.store(true, std::memory_order_release);
  }
  // One wake-up per batch: the loop drains the whole queue when it wakes,
  // so 100,000 calls cannot overflow the waker (Twisted test_wakerOverflow).
  if (wasEmpty) backend_->wakeUp();
}

ThreadPool& Reactor::poolLocked() {
  if (!pool_) {
    pool_ = std::make_unique<ThreadPool>(0, options_.threadPoolSize);
    // Work queued before the reactor runs waits for startup (Twisted
    // testCallBeforeStartupUnexecuted); reallyStartRunning starts it.
    if (poolMayRun_) pool_->start();
  }
  return *pool_;
}

ThreadPool& Reactor::getThreadPool() {
  std::lock_guard lock(poolMutex_);
  return poolLocked();
}

bool Reactor::hasThreadPool() const {
  std::lock_guard lock(poolMutex_);
  return pool_ != nullptr;
}

void Reactor::callInThread(absl::AnyInvocable<void()> f) {
  // Under poolMutex_ so that shutdown cannot destroy the pool meanwhile.
  std::lock_guard lock(poolMutex_);
  poolLocked().callInThread(std::move(f));
}

void Reactor::suggestThreadPoolSize(std::size_t size) {
  if (size == 0) {
    throw std::invalid_argument("suggestThreadPoolSize: size must be >= 1");
  }
  std::lock_guard lock(poolMutex_);
  options_.threadPoolSize = size;
  if (pool_) pool_->adjustPoolsize(0, size);
}

void Reactor::stopThreadPool() {
  ThreadPool* pool;
  {
    std::lock_guard lock(poolMutex_);
    poolMayRun_ = false;
    pool = pool_.get();
  }
  if (pool == nullptr) return;
  // Not under poolMutex_: running work may still callInThread, which lands
  // in this pool's queue and is drained before its workers exit.
  pool->stop();
  std::lock_guard lock(poolMutex_);
  pool_.reset();
}

}  // namespace torsion
