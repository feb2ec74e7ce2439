// torsion's Reactor running workload W6 (cross_thread.h) on each backend:
// Reactor::callFromThread from the producer thread, and iterate(1 s) as the
// pass that sleeps in the backend until the waker fires. Linked into
// torsion_bench beside the W1-W4 adapter.
#include <memory>
#include <string>

#include "benchmarks/cross_thread.h"
#include "core/reactor.h"

namespace torsion::bench {
namespace {

class TorsionThreadLoop {
 public:
  static absl::StatusOr<std::unique_ptr<TorsionThreadLoop>> create(
      const std::string& backend) {
    auto reactor = Reactor::create(ReactorOptions{.backend = backend});
    if (!reactor.ok()) return reactor.status();
    return std::unique_ptr<TorsionThreadLoop>(new TorsionThreadLoop(std::move(*reactor)));
  }

  // Any thread.
  void callFromThread(const Callback* cb) {
    reactor_->callFromThread([cb] { (*cb)(); });
  }
  void runBlocking() { reactor_->iterate(Seconds(1)); }

 private:
  explicit TorsionThreadLoop(std::unique_ptr<Reactor> reactor)
      : reactor_(std::move(reactor)) {}
  std::unique_ptr<Reactor> reactor_;
};

// A backend this machine lacks (io_uring) fails in Reactor::create and is
// reported as skipped with the registry's message.
const bool kRegistered = [] {
  for (const std::string backend : {"epoll", "poll", "select", "io_uring"}) {
    registerThreadWorkloads("torsion_" + backend,
                            [backend] { return TorsionThreadLoop::create(backend); });
  }
  return true;
}();

}  // namespace
}  // namespace torsion::bench
