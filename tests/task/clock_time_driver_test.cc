// Runs the timer conformance suite (tests/timer_conformance.cc) against
// task::Clock: Clock/TimerConformanceTest.CallLater/clock and so on. The
// very tests that the Reactor passes on every backend prove that Clock
// orders calls by the same rules.
#include <memory>

#include "gtest/gtest.h"
#include "task/clock.h"
#include "tests/time_driver.h"

namespace torsion::testing {
namespace {

class ClockTimeDriver : public TimeDriver {
 public:
  ReactorTime& time() override { return clock_; }
  // Simulated time: any unit works; one second reads well in failures.
  Seconds unit() const override { return Seconds(1); }
  void advance(Seconds d) override { clock_.advance(d); }
  void runPass() override { clock_.advance(0.0); }

 private:
  task::Clock clock_;
};

INSTANTIATE_TEST_SUITE_P(Clock, TimerConformanceTest,
                         ::testing::Values(TimeDriverFactory{
                             "clock",
                             [] { return std::make_unique<ClockTimeDriver>(); }}),
                         TimeDriverName());

}  // namespace
}  // namespace torsion::testing
