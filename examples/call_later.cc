// Timed calls: schedule four, cancel one, push one back with delay(), and
// stop the reactor from the last. Prints what ran, in order, each with its
// deadline (the time since start when it was due; timers may run late on a
// busy machine, never early).
#include <chrono>
#include <cstdio>

#include "core/reactor.h"
#include "examples/example_main.h"

using namespace std::chrono_literals;

int main() {
  auto reactor = torsion::examples::createReactor();
  if (!reactor) return 1;
  torsion::Reactor& r = *reactor;
  const double start = r.seconds();
  auto say = [&r, start](double due, const char* what) {
    if (r.seconds() - start < due) std::printf("EARLY: ");
    std::printf("%4.2fs %s\n", due, what);
  };

  r.callLater(50ms, [&] { say(0.05, "first"); });
  torsion::DelayedCall doomed = r.callLater(100ms, [&] { say(0.10, "never printed"); });
  torsion::DelayedCall late = r.callLater(10ms, [&] {
    say(0.15, "last");
    r.stop();
  });
  late.delay(torsion::Seconds(0.14));  // now due at 0.15s

  r.callLater(20ms, [&] {
    doomed.cancel();
    say(0.02, "cancelled the 0.10s call");
  });
  r.run();
  std::printf("cancelled call active: %s\n", doomed.active() ? "yes" : "no");
  return 0;
}
