// torsion/benchmarks/qt_application.h: the QCoreApplication that the qt
// backend needs, for a benchmark binary that registers torsion_qt.
#ifndef TORSION_BENCHMARKS_QT_APPLICATION_H_
#define TORSION_BENCHMARKS_QT_APPLICATION_H_

namespace torsion::bench {

// Creates the process's QCoreApplication on first call (on the calling
// thread, which then is Qt's main thread) unless one exists; it lives until
// the process ends. Headless: no display is needed.
void ensureQtApplication();

}  // namespace torsion::bench

#endif  // TORSION_BENCHMARKS_QT_APPLICATION_H_
