// torsion/backends/qt_backend.h: a backend that waits in Qt's event loop,
// so that a Qt 5 program's own events, timers and sockets run beside torsion.
//
// What Twisted's qt5reactor does, as a backend: each watched descriptor has a
// QSocketNotifier per direction (Read, Write), the poll timeout is a
// single-shot QTimer, and wakeUp() is the thread's
// QAbstractEventDispatcher::wakeUp(). poll() runs the dispatcher's
// processEvents(), which also delivers every other Qt event of the thread
// (a QTimer's timeout, a posted event, a QTcpSocket's readyRead): that is the
// point of the backend, and the one place it runs code that is not torsion's.
//
//   QCoreApplication app(argc, argv);                 // first: Qt's loop
//   absl::StatusOr<std::unique_ptr<Backend>> b = QtBackend::create();
//   (*b)->setInterest(fd, Interest::kNone, Interest::kRead);
//   (*b)->poll(std::chrono::milliseconds(5), sink);
//
// Opt-in: createBackend("qt") or TORSION_BACKEND=qt; the automatic choice
// never takes it (backends/backend_order.bzl). To let
// QCoreApplication::exec() drive the reactor instead of Reactor::run(),
// create it with createQtReactor() (core/qt_reactor.h), which sets a LoopHost.
//
// A QCoreApplication (or QGuiApplication, QApplication) must exist before
// create() and outlive the backend. The backend belongs to the thread that
// created it (its notifiers and timer live in that thread's event dispatcher;
// a thread not started by QThread gets one from Qt on first use).
//
// Thread-safety: as Backend: only wakeUp() may be called from other threads
// (QAbstractEventDispatcher::wakeUp is thread-safe, and on Linux it is one
// write to an eventfd, as async-signal-safe in effect as the other wakers).
#ifndef TORSION_BACKENDS_QT_BACKEND_H_
#define TORSION_BACKENDS_QT_BACKEND_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/backend.h"
#include "backends/loop_host.h"

class QAbstractEventDispatcher;
class QSocketNotifier;
class QTimer;

namespace torsion {

class QtBackend final : public Backend {
 public:
  // What Qt's own loop (QCoreApplication::exec, QEventLoop::exec), not
  // Reactor::run, calls: a reactor's timeout() and iterate()
  // (core/qt_reactor.h).
  using LoopHost = torsion::LoopHost;  // backends/loop_host.h

  // A backend in the calling thread's Qt event dispatcher, as a Backend
  // (what the registry calls). FailedPrecondition without a QCoreApplication.
  static absl::StatusOr<std::unique_ptr<Backend>> create();
  // The same, typed, for setLoopHost().
  static absl::StatusOr<std::unique_ptr<QtBackend>> createInThisThread();

  ~QtBackend() override;

  absl::Status setInterest(int fd, Interest previous, Interest wanted) override;
  void forget(int fd) noexcept override;
  absl::StatusOr<int> poll(std::optional<std::chrono::nanoseconds> timeout,
                           ReadinessSink& sink) override;
  void wakeUp() const noexcept override;

  // Lets Qt's own loop drive the reactor that holds this backend; an empty
  // LoopHost (the default) leaves poll() as the only driver.
  void setLoopHost(LoopHost host);

 private:
  struct Watch {
    Interest interest = Interest::kNone;
    std::uint8_t mask = 0;           // internal::reportMask(interest)
    std::uint8_t pending = 0;        // activations not yet reported
    std::uint64_t registration = 0;  // tells a new watch of the same fd apart
    std::unique_ptr<QSocketNotifier> read;
    std::unique_ptr<QSocketNotifier> write;
  };
  struct Pending {
    int fd;
    std::uint64_t registration;
  };

  explicit QtBackend(QAbstractEventDispatcher* dispatcher);

  // The notifier of one direction: created on first use, then enabled or
  // disabled as the interest changes.
  void enable(int fd, std::unique_ptr<QSocketNotifier>& notifier, bool read, bool on);
  // A notifier that may be delivering its own activation: disabled now,
  // destroyed at the next point where no Qt dispatch is under way.
  void retire(std::unique_ptr<QSocketNotifier>& notifier);
  void activated(int fd, std::uint8_t bit);
  int reportReady(ReadinessSink& sink);
  // LoopHost: the step, and the timer that schedules it.
  void step();
  void armHost();
  void onTimer();
  void onAboutToBlock();

  QAbstractEventDispatcher* dispatcher_;
  std::unique_ptr<QTimer> timer_;  // poll()'s deadline, or the host's next step
  std::optional<std::chrono::steady_clock::time_point> armedFor_;  // host's
  std::vector<Watch> fds_;                                         // indexed by fd
  std::vector<Pending> pending_;
  std::vector<Pending> batch_;  // reportReady's copy of pending_, reused
  std::vector<std::unique_ptr<QSocketNotifier>> retired_;
  std::uint64_t registrations_ = 0;
  LoopHost host_;
  bool polling_ = false;
  bool reporting_ = false;       // inside reportReady: the sink may not poll
  bool deadlinePassed_ = false;  // poll()'s timer fired (maybe a little early)
  bool hostStepping_ = false;    // inside LoopHost::step, from Qt's loop
  // Set by wakeUp(), taken by poll(): a wake-up ends the wait even in the
  // pass where the deadline timer fired early.
  mutable std::atomic<bool> woken_{false};
};

}  // namespace torsion

#endif  // TORSION_BACKENDS_QT_BACKEND_H_
