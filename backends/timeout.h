// torsion/backends/timeout.h: converts poll() timeouts to what kernels take.
//
// Internal to backends/. A timer must never fire early, so every conversion
// rounds UP to the kernel's granularity: 1 ns becomes 1 ms for epoll_wait(),
// never 0 ms. Twisted's reactors pass float seconds to select/poll/epoll and
// so can wake up to one tick early; the reactor then loops. We avoid that.
//
//   timespec storage;
//   ppoll(fds, n, internal::toTimespec(timeout, storage), nullptr);
//   epoll_wait(epfd, events, max, internal::ceilToMillis(timeout));
//
// Thread-safety: pure functions.
#ifndef TORSION_BACKENDS_TIMEOUT_H_
#define TORSION_BACKENDS_TIMEOUT_H_

#include <time.h>

#include <chrono>
#include <climits>
#include <cstdint>
#include <optional>

namespace torsion::internal {

// Milliseconds for epoll_wait()/poll(): -1 for no limit, 0 for "do not
// block" (also for negative timeouts), otherwise the timeout rounded up to
// whole milliseconds and capped at INT_MAX (about 24.8 days).
inline int ceilToMillis(std::optional<std::chrono::nanoseconds> timeout) {
  if (!timeout.has_value()) return -1;
  const std::int64_t ns = timeout->count();
  if (ns <= 0) return 0;
  const std::int64_t ms = ns / 1'000'000 + (ns % 1'000'000 != 0 ? 1 : 0);
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

// A timespec for ppoll()/pselect()/epoll_pwait2(): nullptr for no limit,
// otherwise `storage` filled with the timeout (negative becomes zero).
// Nanosecond resolution, so nothing needs rounding.
inline const timespec* toTimespec(std::optional<std::chrono::nanoseconds> timeout,
                                  timespec& storage) {
  if (!timeout.has_value()) return nullptr;
  const std::int64_t ns = timeout->count() < 0 ? 0 : timeout->count();
  storage.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  storage.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  return &storage;
}

}  // namespace torsion::internal

#endif  // TORSION_BACKENDS_TIMEOUT_H_
