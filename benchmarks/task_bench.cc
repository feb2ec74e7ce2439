// Benchmarks of twisted.internet.task's port (task/):
//
//   * BM_LoopingCallTick/{plain,withCount}: the cost of one LoopingCall tick
//     on a task::Clock (schedule the next grid point + run f), i.e. the
//     loop's own overhead, with no OS wait in the measurement.
//   * W7_lateness/torsion_<backend>/100 (workload W7 of tools/bench): how
//     late real timers fire on each backend. Each iteration schedules a
//     batch of 100 timers 0-20 ms ahead and runs the reactor until all
//     fired; counters lateness_{p50,p99,max}_ns over all timers, and
//     `early` (timers that ran before their deadline). An early timer is a
//     conformance failure (tests/timer_conformance.cc), reported as an error.
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
  state.counters["lateness_p50_ns"] = percentile(lateness, 0.50) * 1e9;
  state.counters["lateness_p99_ns"] = percentile(lateness, 0.99) * 1e9;
  state.counters["lateness_max_ns"] =
      lateness.empty() ? 0 : *std::max_element(lateness.begin(), lateness.end()) * 1e9;
  state.counters["early"] = static_cast<double>(early);
  if (early > 0)
    state.SkipWithError(
        (std::to_string(early) + " timers fired before their deadline").c_str());
  state.SetItemsProcessed(state.iterations() * kBatch);
}

}  // namespace
}  // namespace torsion

int main(int argc, char** argv) {
  // Registered here, not at static-initialisation time: the backend
  // registry fills itself in static initialisers too.
  for (const std::string& name : torsion::availableBackends()) {
    benchmark::RegisterBenchmark(
        ("W7_lateness/torsion_" + name + "/100").c_str(),
        [name](benchmark::State& s) { torsion::BM_TimerLateness(s, name); })
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
