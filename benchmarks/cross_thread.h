// torsion/benchmarks/cross_thread.h: workload W6, calls handed to the loop
// from another thread (Twisted's reactor.callFromThread), written once over
// the CrossThreadLoop concept, plus the lock-protected call queue the peers
// pair with their wake-up primitive (uv_async, ev_async, event_active).
//
// Mirrors no Twisted module: measuring rig for docs/benchmarks.md.
//
//   W6_throughput/<impl>/N: another thread hands N calls over back to back;
//     ns_per_call is wall time from the first hand-over to the last call run.
//   W6_wakeup/<impl>/K: K times, another thread hands over one call while
//     the loop sleeps in its poller, waits until it ran, and pauses 100 µs;
//     wakeup_{p50,p99}_ns is hand-over to the call running.
//
//   // In an adapter:
//   void callFromThread(const Callback* cb);  // any thread
//   void runBlocking();  // one pass that may sleep until something is ready
//   registerThreadWorkloads("libuv", [] { return UvLoop::create(); });
#ifndef TORSION_BENCHMARKS_CROSS_THREAD_H_
#define TORSION_BENCHMARKS_CROSS_THREAD_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "benchmarks/drivers.h"
#include "benchmarks/workload.h"

namespace torsion::bench {

template <typename L>
concept CrossThreadLoop = requires(L& loop, const Callback* cb) {
  loop.callFromThread(cb);
  loop.runBlocking();
};

// Calls waiting for the loop thread. push() tells whether the queue was
// empty, i.e. whether the loop needs a wake-up (one per batch, as torsion
// and Twisted do). Thread-safe.
class CallQueue {
 public:
  bool push(const Callback* cb) {
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.push_back(cb);
    return calls_.size() == 1;
  }
  // Runs every queued call on the calling (loop) thread.
  void drain() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_.swap(calls_);
    }
    for (const Callback* cb : running_) (*cb)();
    running_.clear();
  }

 private:
  std::mutex mutex_;
  std::vector<const Callback*> calls_;
  std::vector<const Callback*> running_;  // loop thread only
};

namespace internal {

inline std::int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             Clock::now().time_since_epoch())
      .count();
}

inline void doNothing(void*) {}

// Counts the calls run; the last one hands the loop one more (empty) call
// from the loop thread. torsion's pass runs calls first and then waits
// (Twisted's iterate), the peers' wait first and then run; the extra call
// keeps the last wait of either shape from sleeping out its timeout.
template <typename L>
struct Countdown {
  L* loop;
  std::int64_t target;
  std::atomic<std::int64_t> ran{0};
  Callback nothing{&doNothing, nullptr};
  static void run(void* arg) {
    auto* self = static_cast<Countdown*>(arg);
    if (self->ran.fetch_add(1, std::memory_order_acq_rel) + 1 == self->target)
      self->loop->callFromThread(&self->nothing);
  }
};

// Runs the loop until `done()`, failing after kStallLimitSeconds.
template <typename L, typename Done>
bool runBlockingUntil(L& loop, Done done) {
  const Clock::time_point start = Clock::now();
  while (!done()) {
    loop.runBlocking();
    if (secondsBetween(start, Clock::now()) > kStallLimitSeconds) return done();
  }
  return true;
}

template <typename Factory>
void crossThreadThroughput(benchmark::State& state, const Factory& factory) {
  const std::int64_t n = state.range(0);
  auto loop = makeLoop(state, factory);
  if (!loop.ok()) return;
  using L = typename std::remove_reference_t<decltype(**loop)>;
  Countdown<L> countdown{loop->get(), n};
  std::atomic<std::int64_t>& ran = countdown.ran;
  const Callback onCall{&Countdown<L>::run, &countdown};
  double seconds = 0;
  for (auto _ : state) {
    ran = 0;
    const std::int64_t start = steadyNs();
    std::thread producer([&] {
      for (std::int64_t i = 0; i < n; ++i) (*loop)->callFromThread(&onCall);
    });
    const bool finished = runBlockingUntil(**loop, [&] { return ran.load() >= n; });
    const double elapsed = static_cast<double>(steadyNs() - start) * 1e-9;
    producer.join();
    if (!finished) {
      state.SkipWithError("W6 throughput stalled: calls from another thread never ran");
      break;
    }
    seconds += elapsed;
    state.SetIterationTime(elapsed);
  }
  reportPerCall(state, seconds, n);
}

struct WakeProbe {
  std::atomic<std::int64_t> ranAt{0};
  std::atomic<std::int64_t> count{0};
  static void run(void* arg) {
    auto* probe = static_cast<WakeProbe*>(arg);
    probe->ranAt.store(steadyNs(), std::memory_order_relaxed);
    probe->count.fetch_add(1, std::memory_order_release);
  }
};

template <typename Factory>
void crossThreadWakeup(benchmark::State& state, const Factory& factory) {
  const std::int64_t k = state.range(0);
  auto loop = makeLoop(state, factory);
  if (!loop.ok()) return;
  WakeProbe probe;
  const Callback onCall{&WakeProbe::run, &probe};
  const Callback nothing{&doNothing, nullptr};
  std::vector<double> latencies;
  for (auto _ : state) {
    probe.count = 0;
    std::atomic<bool> stalled{false};
    std::thread producer([&] {
      for (std::int64_t i = 0; i < k; ++i) {
        // Long enough for the loop to be asleep in its poller again.
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        const std::int64_t sentAt = steadyNs();
        (*loop)->callFromThread(&onCall);
        while (probe.count.load(std::memory_order_acquire) <= i) {
          if (steadyNs() - sentAt > static_cast<std::int64_t>(kStallLimitSeconds * 1e9)) {
            stalled = true;
            return;
          }
          std::this_thread::yield();
        }
        latencies.push_back(
            static_cast<double>(probe.ranAt.load(std::memory_order_relaxed) - sentAt));
      }
      (*loop)->callFromThread(&nothing);  // ends the loop's last wait (see Countdown)
    });
    const double start = cpuSeconds();
    runBlockingUntil(**loop, [&] { return probe.count.load() >= k || stalled.load(); });
    state.SetIterationTime(std::max(cpuSeconds() - start, 1e-9));
    producer.join();
    if (stalled) {
      state.SkipWithError("W6 wake-up stalled: a call from another thread never ran");
      break;
    }
  }
  if (latencies.empty()) return;
  std::sort(latencies.begin(), latencies.end());
  const auto at = [&](double p) {
    return latencies[static_cast<std::size_t>(p *
                                              static_cast<double>(latencies.size() - 1))];
  };
  state.counters["wakeup_p50_ns"] = at(0.50);
  state.counters["wakeup_p99_ns"] = at(0.99);
  state.SetItemsProcessed(static_cast<std::int64_t>(latencies.size()));
}

}  // namespace internal

// Registers W6 for one implementation; `factory` as for registerWorkloads,
// its loop a CrossThreadLoop. Returns true.
template <typename Factory>
requires CrossThreadLoop<
    typename std::remove_reference_t<decltype(*std::declval<Factory>()().value())>>
bool registerThreadWorkloads(const std::string& impl, Factory factory) {
  namespace bm = benchmark;
  bm::RegisterBenchmark(
      ("W6_throughput/" + impl).c_str(),
      [factory](bm::State& s) { internal::crossThreadThroughput(s, factory); })
      ->Arg(2000)  // for smoke_test
      ->Arg(20000)
      ->Arg(200000)
      ->UseManualTime()
      ->Unit(bm::kMillisecond);
  bm::RegisterBenchmark(
      ("W6_wakeup/" + impl).c_str(),
      [factory](bm::State& s) { internal::crossThreadWakeup(s, factory); })
      ->Arg(200)
      ->Arg(2000)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(bm::kMillisecond);
  return true;
}

}  // namespace torsion::bench

#endif  // TORSION_BENCHMARKS_CROSS_THREAD_H_
