// torsion/tests/time_driver.h: the timer conformance suite's view of time.
//
// The timer tests (tests/timer_conformance.cc) are written against this
// small interface rather than against the Reactor, so that the same tests
// prove task::Clock orders calls exactly like the real reactor. A driver
// supplies a ReactorTime and a way to let time pass:
//
//   * Reactor driver (tests/reactor_time_driver.cc): real time; advance()
//     iterates the reactor until that much time went by.
//   * Clock driver (written with task::Clock): simulated time; advance()
//     is Clock::advance.
//
// To run the suite against another ReactorTime, link //tests:timer_conformance
// and instantiate it:
//
//   INSTANTIATE_TEST_SUITE_P(Clock, TimerConformanceTest,
//       ::testing::Values(torsion::testing::TimeDriverFactory{
//           "clock", [] { return std::make_unique<ClockDriver>(); }}),
//       torsion::testing::TimeDriverName());
//
// Tests only rely on behaviour both Twisted's reactor and Clock share:
// deadline order, FIFO for equal deadlines, cancel/reset/delay rules,
// getDelayedCalls. Reactor-only rules (next-pass scheduling, logged
// exceptions) live in tests/reactor_timers_test.cc.
#ifndef TORSION_TESTS_TIME_DRIVER_H_
#define TORSION_TESTS_TIME_DRIVER_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "base/reactor_time.h"
#include "gtest/gtest.h"

namespace torsion::testing {

class TimeDriver {
 public:
  virtual ~TimeDriver() = default;

  // The time source under test.
  virtual ReactorTime& time() = 0;

  // One time step of the tests: small enough that a real clock's tests stay
  // quick, large enough that a loaded machine does not blur two steps.
  // Tests express every delay in multiples of it.
  virtual Seconds unit() const = 0;

  // Lets at least `d` pass and runs every call that became due.
  virtual void advance(Seconds d) = 0;

  // Runs the calls that are due now, without letting time pass on purpose.
  virtual void runPass() = 0;
};

struct TimeDriverFactory {
  std::string name;
  std::function<std::unique_ptr<TimeDriver>()> make;
};

inline void PrintTo(const TimeDriverFactory& f, std::ostream* os) { *os << f.name; }

// Test-name suffix: the driver's name ("epoll", "clock").
struct TimeDriverName {
  std::string operator()(const ::testing::TestParamInfo<TimeDriverFactory>& info) const {
    return info.param.name;
  }
};

// The value-parameterised suite; its TEST_Ps live in timer_conformance.cc.
class TimerConformanceTest : public ::testing::TestWithParam<TimeDriverFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  TimeDriver& driver() { return *driver_; }
  ReactorTime& time() { return driver_->time(); }
  Seconds units(double n) const { return driver_->unit() * n; }

 private:
  std::unique_ptr<TimeDriver> driver_;
};

}  // namespace torsion::testing

#endif  // TORSION_TESTS_TIME_DRIVER_H_
