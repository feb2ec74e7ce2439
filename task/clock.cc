#include "task/clock.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace torsion::task {

Clock::Clock() : timers_(*this) {}

Clock::~Clock() = default;

DelayedCall Clock::callLater(Seconds delay, absl::AnyInvocable<void()> f) {
  if (std::isnan(delay.count())) {
    throw std::invalid_argument("Clock::callLater: the delay is NaN");
  }
  return timers_.schedule(now_ + std::max(0.0, delay.count()), std::move(f));
}

void Clock::advance(Seconds amount) {
  const double d = amount.count();
  if (std::isnan(d) || d < 0) {
    throw std::invalid_argument("Clock::advance: amount must be >= 0 seconds, got " +
                                std::to_string(d));
  }
  // Accumulate exactly as Twisted's Clock does (rightNow += amount), so that
  // LoopingCall's floating-point arithmetic sees the same values.
  now_ += d;
  runPass();
}

void Clock::pump(std::span<const double> timings) {
  for (double t : timings) advance(Seconds(t));
}

bool Clock::advanceToNext() {
  std::optional<double> next = timers_.nextDeadline();
  if (!next) return false;
  now_ = std::max(now_, *next);
  runPass();
  return true;
}

void Clock::runPass() {
  // kNextPass: the reactor's rule; exceptions escape (Twisted's Clock, C7).
  timers_.runDue(now_, internal::TimerQueue::NewCalls::kNextPass);
}

}  // namespace torsion::task
