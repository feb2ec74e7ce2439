// The smallest torsion program: run the reactor, say hello once it is
// running, and stop. The Twisted original:
//
//   from twisted.internet import reactor
//   def hello():
//       print("hello, world")
//       reactor.stop()
//   reactor.callWhenRunning(hello)
//   reactor.run()
#include <cstdio>

#include "core/reactor.h"
#include "examples/example_main.h"

int main() {
  auto reactor = torsion::examples::createReactor();
  if (!reactor) return 1;
  torsion::Reactor& r = *reactor;
  r.callWhenRunning([&r] {
    std::printf("hello, world (backend: %.*s)\n",
                static_cast<int>(r.backendName().size()), r.backendName().data());
    r.stop();
  });
  r.run();
  return 0;
}
