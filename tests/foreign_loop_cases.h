// torsion/tests/foreign_loop_cases.h: test cases that a GUI toolkit's loop
// runs the same way whichever toolkit it is (tests/glib_main_loop_test.cc,
// tests/qt_main_loop_test.cc): the toolkit's loop drives `reactor` through
// `runLoop` (false when its time limit passed first) until `quit` ends it.
//
//   TEST_F(QtMainLoopTest, TcpEchoInsideExec) {
//     tcpEchoInsideForeignLoop(reactor(), [&] { return runQtLoop(); }, quit, 'q');
//   }
#ifndef TORSION_TESTS_FOREIGN_LOOP_CASES_H_
#define TORSION_TESTS_FOREIGN_LOOP_CASES_H_

#include <functional>

#include "core/reactor.h"

namespace torsion::testing {

using ForeignLoopRun = std::function<bool()>;
using ForeignLoopQuit = std::function<void()>;

// torsion's callLater runs inside the toolkit's loop, in order and never
// early, beside a timer of the toolkit's own (5 ms, say) whose tick count
// `toolkitTicks` reads: after its own calls ran, torsion waits for that
// timer to have ticked three times, so both make progress on one loop. How
// many ticks fit in a given time depends on the machine's load, so the case
// asks for progress, and runLoop's time limit catches a starved timer.
void callLaterBesideToolkitTimer(Reactor& reactor, const ForeignLoopRun& runLoop,
                                 const ForeignLoopQuit& quit,
                                 const std::function<int()>& toolkitTicks);

// A 256 KiB TCP echo through torsion's listenTCP/connectTCP while the
// toolkit's loop is the program's main loop, then the port and the server's
// connection shut down, each waited for inside that loop.
void tcpEchoInsideForeignLoop(Reactor& reactor, const ForeignLoopRun& runLoop,
                              const ForeignLoopQuit& quit, char fill);

// callFromThread from another thread wakes the toolkit's loop, and the call
// runs on the reactor's thread.
void callFromThreadWakesForeignLoop(Reactor& reactor, const ForeignLoopRun& runLoop,
                                    const ForeignLoopQuit& quit);

// startRunning, then stop() from a thread's call: the shutdown triggers run
// inside the toolkit's loop, the thread pool is joined, and the "after"
// shutdown trigger quits the loop.
void stopInsideForeignLoop(Reactor& reactor, const ForeignLoopRun& runLoop,
                           const ForeignLoopQuit& quit);

}  // namespace torsion::testing

#endif  // TORSION_TESTS_FOREIGN_LOOP_CASES_H_
