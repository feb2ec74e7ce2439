// Runs the timer conformance suite (tests/timer_conformance.cc) against a
// real Reactor on every available backend:
// AllBackends/TimerConformanceTest.CallLater/epoll and so on.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "core/reactor.h"
#include "gtest/gtest.h"
#include "tests/time_driver.h"

namespace torsion::testing {
namespace {

class ReactorTimeDriver : public TimeDriver {
 public:
  explicit ReactorTimeDriver(const std::string& backend) {
    ReactorOptions options;
    options.backend = backend;
    absl::StatusOr<std::unique_ptr<Reactor>> r = Reactor::create(options);
    if (!r.ok()) {
      ADD_FAILURE() << r.status();
      return;
    }
    reactor_ = *std::move(r);
  }

  ReactorTime& time() override { return *reactor_; }

  // Real time: 50 ms steps keep the suite quick while leaving a margin
  // for a loaded machine.
  Seconds unit() const override { return Seconds(0.05); }

  void advance(Seconds d) override {
    const double target = reactor_->seconds() + d.count();
    // Each iterate runs what is due and then blocks until the next
    // deadline or the target, whichever comes first.
    do {
      reactor_->iterate(Seconds(std::max(0.0, target - reactor_->seconds())));
    } while (reactor_->seconds() < target);
    reactor_->iterate(Seconds(0));  // what became due during the last poll
  }

  void runPass() override { reactor_->iterate(Seconds(0)); }

 private:
  std::unique_ptr<Reactor> reactor_;
};

std::vector<TimeDriverFactory> reactorDrivers() {
  std::vector<TimeDriverFactory> drivers;
  for (const std::string& name : availableBackends()) {
    drivers.push_back(TimeDriverFactory{
        name, [name] { return std::make_unique<ReactorTimeDriver>(name); }});
  }
  return drivers;
}

INSTANTIATE_TEST_SUITE_P(AllBackends, TimerConformanceTest,
                         ::testing::ValuesIn(reactorDrivers()), TimeDriverName());

}  // namespace
}  // namespace torsion::testing
