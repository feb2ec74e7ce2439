// torsion/tests/host_loop.h: a foreign event loop that drives a Reactor
// through the embedding calls (docs/embedding.md), for tests/embedding_test.cc.
//
// It waits until reactor.backendFileno() polls readable or reactor.timeout()
// has passed, calls reactor.iterate(), and counts those steps, so that a test
// can tell a loop that waits from one that spins. One implementation is
// linked into each test binary: tests/poll_host_loop.cc (a hand-written
// poll(2) loop) or tests/libuv_host_loop.cc (uv_poll_t + uv_timer_t).
//
//   absl::StatusOr<std::unique_ptr<HostLoop>> host = makeHostLoop(reactor);
//   reactor.callLater(0.1s, [&] { done = true; });
//   (*host)->runUntil([&] { return done; });
#ifndef TORSION_TESTS_HOST_LOOP_H_
#define TORSION_TESTS_HOST_LOOP_H_

#include <functional>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/reactor.h"

namespace torsion::testing {

class HostLoop {
 public:
  virtual ~HostLoop() = default;

  // Runs the foreign loop until `done()` holds (checked after each step) or
  // `limit` has passed; false on the limit.
  virtual bool runUntil(const std::function<bool()>& done,
                        Seconds limit = Seconds(10)) = 0;

  // "poll(2)" or "libuv": which loop this binary drives the reactor from.
  virtual std::string_view name() const = 0;

  // How many times the foreign loop has called reactor.iterate().
  int steps() const { return steps_; }

 protected:
  int steps_ = 0;
};

// The loop this test binary links, over `reactor`'s descriptor; the
// reactor's error when its backend has none.
absl::StatusOr<std::unique_ptr<HostLoop>> makeHostLoop(Reactor& reactor);

// makeHostLoop's body: a `Loop(reactor, fd)` on the backend's descriptor.
template <typename Loop>
absl::StatusOr<std::unique_ptr<HostLoop>> hostLoopOnBackendFileno(Reactor& reactor) {
  absl::StatusOr<int> fd = reactor.backendFileno();
  if (!fd.ok()) return fd.status();
  return std::make_unique<Loop>(reactor, *fd);
}

}  // namespace torsion::testing

#endif  // TORSION_TESTS_HOST_LOOP_H_
