// torsion/core/qt_reactor.h: a reactor that Qt's event loop drives, the way
// Twisted's qt5reactor runs inside QCoreApplication::exec().
//
// The reactor sits on the "qt" backend (backends/qt_backend.h) in the
// calling thread's Qt event dispatcher, and that backend steps the reactor
// (iterate()) when one of its QSocketNotifiers fires or its single-shot
// QTimer, armed before every wait from the reactor's timeout(), runs out.
// So either loop may be the program's main loop:
//
//   QCoreApplication app(argc, argv);
//   absl::StatusOr<std::unique_ptr<torsion::Reactor>> r = torsion::createQtReactor();
//   (*r)->startRunning();                               // startup triggers, thread pool
//   (*r)->addSystemEventTrigger(torsion::Phase::kAfter, "shutdown",
//                               [] { QCoreApplication::quit(); });
//   (*r)->callLater(1s, [&] { (*r)->stop(); });
//   app.exec();                                         // torsion's timers and I/O run
//   here
//
// or (*r)->run() as usual, which runs Qt's event processing, so Qt's own
// timers, posted events and sockets are served inside it. docs/gui.md.
//
// Thread-safety: as Reactor. Run Qt's loop on the thread that created the
// reactor; the QCoreApplication must outlive it.
#ifndef TORSION_CORE_QT_REACTOR_H_
#define TORSION_CORE_QT_REACTOR_H_

#include <memory>

#include "absl/status/statusor.h"
#include "core/reactor.h"

namespace torsion {

// A reactor on the qt backend in the calling thread's Qt event dispatcher,
// which QCoreApplication::exec() (or any QEventLoop::exec on that thread)
// drives as well as run() does. FailedPrecondition without a
// QCoreApplication; InvalidArgument when options.backend names another
// backend or options.threadPoolSize is 0.
absl::StatusOr<std::unique_ptr<Reactor>> createQtReactor(ReactorOptions options = {});

}  // namespace torsion

#endif  // TORSION_CORE_QT_REACTOR_H_
