#include "benchmarks/qt_application.h"

#include <QtCore/QCoreApplication>

namespace torsion::bench {

void ensureQtApplication() {
  if (QCoreApplication::instance() != nullptr) return;
  // QCoreApplication keeps references to argc and argv for its whole life;
  // the application is never destroyed, so that no benchmark's loop outlives
  // it (static destructors run in no useful order).
  static int argc = 1;
  static char name[] = "torsion_bench";
  static char* argv[] = {name, nullptr};
  static QCoreApplication* app = new QCoreApplication(argc, argv);
  (void)app;
}

}  // namespace torsion::bench
