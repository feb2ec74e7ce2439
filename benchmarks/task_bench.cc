// Benchmarks of twisted.internet.task's port (task/):
//
//   * BM_LoopingCallTick/{plain,withCount}: the cost of one LoopingCall tick
//     on a task::Clock (schedule the next grid point + run f), i.e. the
//     loop's own overhead, with no OS wait in the measurement.
//   * BM_TimerLateness/<backend>: how late real timers fire on each
//     backend. Each iteration schedules a batch of timers 0-20 ms ahead and
//     runs the reactor until all fired; counters report lateness p50, p99
//     and max in microseconds over all timers, and `early` (timers that ran
//     before their deadline: must be 0, see tests/timer_conformance.cc).
//
// Build and run with --config=opt:
//   tools/bazelw run --config=opt //benchmarks:task_bench
#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "benchmark/benchmark.h"
#include "core/reactor.h"
#include "task/clock.h"
#include "task/looping_call.h"

namespace torsion {
namespace {

using namespace std::chrono_literals;

void BM_LoopingCallTick(benchmark::State& state, bool withCount) {
  task::Clock clock;
  std::int64_t calls = 0;
  task::LoopingCall plain(clock, [&calls] { ++calls; });
  task::LoopingCall counted =
      task::LoopingCall::withCount(clock, [&calls](std::int64_t n) { calls += n; });
  task::LoopingCall& loop = withCount ? counted : plain;
  (void)loop.start(1s, false);
  for (auto _ : state) {
    clock.advance(1.0);  // one grid point: exactly one call of f
  }
  loop.stop();
  benchmark::DoNotOptimize(calls);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_LoopingCallTick, plain, false);
BENCHMARK_CAPTURE(BM_LoopingCallTick, withCount, true);

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const std::size_t k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

void BM_TimerLateness(benchmark::State& state, const std::string& backend) {
  ReactorOptions options;
  options.backend = backend;
  absl::StatusOr<std::unique_ptr<Reactor>> made = Reactor::create(options);
  if (!made.ok()) {
    state.SkipWithError(made.status().ToString().c_str());
    return;
  }
  Reactor& reactor = **made;
  constexpr int kBatch = 100;
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> delay(0.0, 0.020);
  std::vector<double> lateness;
  lateness.reserve(static_cast<std::size_t>(kBatch) * 64);
  std::int64_t early = 0;
  for (auto _ : state) {
    int pending = kBatch;
    for (int i = 0; i < kBatch; ++i) {
      const double due = reactor.seconds() + delay(rng);
      reactor.callLater(Seconds(due - reactor.seconds()), [&, due] {
        // Measured against the deadline we asked for (not getTime(), which
        // callLater computes from a slightly later seconds()).
        const double late = reactor.seconds() - due;
        if (late < 0) ++early;
        lateness.push_back(late);
        --pending;
      });
    }
    while (pending > 0) reactor.iterate(Seconds(0.05));
  }
  state.counters["p50_us"] = percentile(lateness, 0.50) * 1e6;
  state.counters["p99_us"] = percentile(lateness, 0.99) * 1e6;
  state.counters["max_us"] =
      lateness.empty() ? 0 : *std::max_element(lateness.begin(), lateness.end()) * 1e6;
  state.counters["early"] = static_cast<double>(early);
  state.SetItemsProcessed(state.iterations() * kBatch);
}

}  // namespace
}  // namespace torsion

int main(int argc, char** argv) {
  // Registered here, not at static-initialisation time: the backend
  // registry fills itself in static initialisers too.
  for (const std::string& name : torsion::availableBackends()) {
    benchmark::RegisterBenchmark(("BM_TimerLateness/" + name).c_str(),
                                 [name](benchmark::State& s) {
                                   torsion::BM_TimerLateness(s, name);
                                 })
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
