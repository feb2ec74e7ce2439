#include "backends/qt_backend.h"

#include <QtCore/QAbstractEventDispatcher>
#include <QtCore/QCoreApplication>
#include <QtCore/QEventLoop>
#include <QtCore/QSocketNotifier>
#include <QtCore/QTimer>
#include <climits>
#include <utility>

#include "backends/dispatch_scope.h"
#include "backends/interest.h"

namespace torsion {
namespace {

using Clock = std::chrono::steady_clock;

// QSocketNotifier::activated is overloaded in Qt 5.15 (the old int form
// stays, deprecated) and both carry Qt's private tag type, which a program
// cannot name: deduce it to pick the QSocketDescriptor form for connect().
template <typename... Tag>
constexpr auto activatedSignal(void (QSocketNotifier::*signal)(QSocketDescriptor,
                                                               QSocketNotifier::Type,
                                                               Tag...)) {
  return signal;
}

// Milliseconds for a QTimer, rounded up: a wait never ends before it should.
int timerMs(std::chrono::nanoseconds wait) {
  if (wait.count() <= 0) return 0;
  const auto ms = (wait.count() + 999'999) / 1'000'000;
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

// What the qt backend can do (BackendFeatures in backends/backend.h).
constexpr BackendFeatures kQtFeatures{
    .regularFilesAlwaysReady = true,  // Qt's dispatchers wait with poll(2)
    // Qt keeps no kernel object per watch (it polls a list each time); a Qt
    // application itself does not cross fork(): docs/gui.md.
    .needsReinitAfterFork = false,
    // Gathered, then dispatched by the reactor after Qt's pass: user code must
    // not run inside a notifier's activation.
    .sinkMayReenter = false,
};

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> QtBackend::create() {
  absl::StatusOr<std::unique_ptr<QtBackend>> b = createInThisThread();
  if (!b.ok()) return b.status();
  return std::unique_ptr<Backend>(std::move(*b));
}

absl::StatusOr<std::unique_ptr<QtBackend>> QtBackend::createInThisThread() {
  if (QCoreApplication::instance() == nullptr) {
    return absl::FailedPreconditionError(
        "qt backend: no QCoreApplication; create one (QCoreApplication "
        "app(argc, argv)) before the reactor (docs/gui.md)");
  }
  // A QEventLoop gives a thread that QThread did not start its event
  // dispatcher; the main thread and QThreads already have one.
  { QEventLoop ensureDispatcher; }
  QAbstractEventDispatcher* dispatcher = QAbstractEventDispatcher::instance();
  if (dispatcher == nullptr) {
    return absl::FailedPreconditionError(
        "qt backend: this thread has no Qt event dispatcher");
  }
  return std::unique_ptr<QtBackend>(new QtBackend(dispatcher));
}

QtBackend::QtBackend(QAbstractEventDispatcher* dispatcher)
    : Backend("qt", kQtFeatures),
      dispatcher_(dispatcher),
      timer_(std::make_unique<QTimer>()) {
  timer_->setSingleShot(true);
  timer_->setTimerType(Qt::PreciseTimer);
  QObject::connect(timer_.get(), &QTimer::timeout, [this] { onTimer(); });
  // Qt's counterpart of a GSource's prepare(): emitted before the loop
  // waits, after whatever ran in the last pass (which may have scheduled
  // torsion work from outside torsion). The timer is the context object, so
  // the connection ends with the backend.
  QObject::connect(dispatcher_, &QAbstractEventDispatcher::aboutToBlock, timer_.get(),
                   [this] { onAboutToBlock(); });
}

QtBackend::~QtBackend() = default;

void QtBackend::enable(int fd, std::unique_ptr<QSocketNotifier>& notifier, bool read,
                       bool on) {
  if (!notifier) {
    if (!on) return;
    notifier = std::make_unique<QSocketNotifier>(
        fd, read ? QSocketNotifier::Read : QSocketNotifier::Write);
    const std::uint8_t bit = read ? kReadable : kWritable;
    QObject::connect(notifier.get(), activatedSignal(&QSocketNotifier::activated),
                     [this, fd, bit] { activated(fd, bit); });
    return;
  }
  if (notifier->isEnabled() != on) notifier->setEnabled(on);
}

void QtBackend::retire(std::unique_ptr<QSocketNotifier>& notifier) {
  if (!notifier) return;
  notifier->setEnabled(false);
  retired_.push_back(std::move(notifier));
}

absl::Status QtBackend::setInterest(int fd, Interest previous, Interest wanted) {
  const Interest recorded = fd >= 0 && static_cast<std::size_t>(fd) < fds_.size()
                                ? fds_[fd].interest
                                : Interest::kNone;
  if (absl::Status s = internal::checkSetInterest("qt", fd, previous, wanted, recorded);
      !s.ok()) {
    return s;
  }
  if (previous == wanted) return absl::OkStatus();
  if (wanted == Interest::kNone) {
    forget(fd);
    return absl::OkStatus();
  }
  if (previous == Interest::kNone) {
    if (absl::Status s = internal::checkDescriptorOpen("qt", fd); !s.ok()) return s;
    if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(fd + 1);
    pending_.reserve(pending_.size() + 1);  // may throw: before Qt holds the fd
    fds_[fd].registration = ++registrations_;
  }
  Watch& w = fds_[fd];
  enable(fd, w.read, true, hasInterest(wanted, Interest::kRead));
  enable(fd, w.write, false, hasInterest(wanted, Interest::kWrite));
  w.interest = wanted;
  w.mask = internal::reportMask(wanted);
  return absl::OkStatus();
}

void QtBackend::forget(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  Watch& w = fds_[fd];
  if (w.interest == Interest::kNone) return;
  // The reactor may forget a descriptor from a step that Qt's loop runs
  // inside this very notifier's activation: destroying it there would pull
  // the object out from under Qt's dispatch.
  retire(w.read);
  retire(w.write);
  w = Watch();  // registration 0: what was gathered for it is dropped
}

void QtBackend::wakeUp() const noexcept {
  woken_.store(true, std::memory_order_release);
  dispatcher_->wakeUp();
}

void QtBackend::activated(int fd, std::uint8_t bit) {
  Watch& w = fds_[fd];
  if (w.pending == 0) pending_.push_back({fd, w.registration});
  w.pending |= bit;
  // Qt's loop, not poll(), saw it: hand the step to the reactor, whose
  // poll() reports what was gathered. Inside a step (a nested Qt loop run
  // by a callback) it waits for the step to end: armHost() then sees it.
  if (!polling_) step();
}

absl::StatusOr<int> QtBackend::poll(std::optional<std::chrono::nanoseconds> timeout,
                                    ReadinessSink& sink) {
  if (polling_ || reporting_) {
    return absl::FailedPreconditionError(
        "qt backend: poll() called from inside its own Qt event processing or "
        "readiness report");
  }
  // Qt's loop activated a notifier and the LoopHost's step polls: report
  // what that loop saw, without running Qt's loop again.
  if (hostStepping_) return reportReady(sink);
  retired_.clear();  // no notifier is delivering an activation now
  const bool mayBlock = !timeout || timeout->count() > 0;
  std::optional<Clock::time_point> deadline;
  timer_->stop();
  armedFor_.reset();
  if (timeout && mayBlock) {
    deadline = Clock::now() + *timeout;
    timer_->start(timerMs(*timeout));
  }
  polling_ = true;
  deadlinePassed_ = false;
  // One pass of Qt's event processing, which returns when anything was
  // delivered: a notifier's activation, a wakeUp(), or any other Qt event
  // (a Qt timer's slot, a posted event), whose code may have called into
  // the reactor (callLater, stop, a transport's write) and so must end the
  // wait, as a GLib dispatch ends the glib backend's. Only the deadline
  // timer firing before the deadline (Qt's timers have a millisecond grain)
  // waits again, for what is left: a timeout never ends early.
  for (;;) {
    dispatcher_->processEvents(mayBlock ? QEventLoop::WaitForMoreEvents
                                        : QEventLoop::AllEvents);
    const bool woken = woken_.exchange(false, std::memory_order_acquire);
    if (woken || !deadline || !deadlinePassed_) break;
    const Clock::time_point now = Clock::now();
    if (now >= *deadline) break;
    deadlinePassed_ = false;
    timer_->start(timerMs(*deadline - now));
  }
  timer_->stop();
  polling_ = false;
  return reportReady(sink);
}

int QtBackend::reportReady(ReadinessSink& sink) {
  // The sink may forget or re-register any fd (the reactor closing one and
  // accepting another under the same number): walk a copy, and skip an
  // entry whose watch is gone or was replaced since it was gathered.
  batch_.swap(pending_);
  pending_.clear();
  internal::DispatchScope scope(reporting_);
  int reported = 0;
  for (const Pending& p : batch_) {
    Watch& w = fds_[p.fd];
    if (w.registration != p.registration) continue;
    const std::uint8_t ready = w.pending & w.mask;
    w.pending = 0;
    if (ready == 0) continue;
    sink.onReady(p.fd, ready);
    ++reported;
  }
  batch_.clear();
  return reported;
}

void QtBackend::setLoopHost(LoopHost host) {
  host_ = std::move(host);
  armHost();
}

void QtBackend::step() {
  if (!host_.step || hostStepping_ || polling_) return;
  hostStepping_ = true;
  host_.step();
  hostStepping_ = false;
  armHost();
}

// Qt's loop may wait only until the reactor's next timer, and not at all
// while activations or reactor work wait. Not restarted when already armed
// for that time (Qt runs this before every wait).
void QtBackend::armHost() {
  if (!host_.timeout || polling_ || hostStepping_) return;
  std::optional<std::chrono::nanoseconds> wait =
      pending_.empty() ? host_.timeout() : std::chrono::nanoseconds(0);
  if (!wait) {
    timer_->stop();
    armedFor_.reset();
    return;
  }
  const Clock::time_point now = Clock::now();
  const Clock::time_point due = now + *wait;
  if (timer_->isActive() && armedFor_ && *armedFor_ >= due &&
      *armedFor_ - due < std::chrono::milliseconds(1)) {
    return;
  }
  const int ms = timerMs(*wait);
  timer_->start(ms);
  armedFor_ = now + std::chrono::milliseconds(ms);
}

void QtBackend::onTimer() {
  // Inside poll() the timer is only its deadline, which poll() checks.
  if (polling_) {
    deadlinePassed_ = true;
    return;
  }
  armedFor_.reset();
  step();
}

void QtBackend::onAboutToBlock() {
  if (polling_ || hostStepping_) return;
  retired_.clear();  // Qt is about to wait: no activation is under way
  armHost();
}

}  // namespace torsion
