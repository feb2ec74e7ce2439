// A hand-written poll(2) loop driving the reactor (tests/host_loop.h): the
// shape of a game loop that waits on its own descriptors plus torsion's.
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "tests/host_loop.h"

namespace torsion::testing {
namespace {

using Clock = std::chrono::steady_clock;

class PollHostLoop final : public HostLoop {
 public:
  PollHostLoop(Reactor& reactor, int fd) : reactor_(reactor), fd_(fd) {}

  bool runUntil(const std::function<bool()>& done, Seconds limit) override {
    const Clock::time_point deadline =
        Clock::now() + std::chrono::ceil<std::chrono::nanoseconds>(limit);
    while (!done()) {
      const Clock::time_point now = Clock::now();
      if (now >= deadline) return false;
      Seconds wait = deadline - now;
      if (std::optional<Seconds> t = reactor_.timeout()) wait = std::min(wait, *t);
      // Rounded up: a timer never fires early, so waking early only costs a
      // step that finds nothing due.
      const int ms = static_cast<int>(std::ceil(wait.count() * 1000));
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, ms);
      reactor_.iterate();
      ++steps_;
    }
    return true;
  }

  std::string_view name() const override { return "poll(2)"; }

 private:
  Reactor& reactor_;
  int fd_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<HostLoop>> makeHostLoop(Reactor& reactor) {
  return hostLoopOnBackendFileno<PollHostLoop>(reactor);
}

}  // namespace torsion::testing
