// Benchmarks of twisted.internet.defer's port (deferred/): workload W5.
//
// Named W5_<scenario>/<impl>/<N> like the other workloads (tools/bench_data.py),
// with impl `torsion` here and `twisted` in benchmarks/twisted_deferred_bench.py,
// which runs the same scenarios on Twisted. Times are per scenario run; the
// counter ns_per_op is CPU time, the fair one on a loaded machine.
//
//   * Twisted's benchmarks/test_deferred.py, name for name:
//     deferred_await, callback_chain_fires_at_start, ..._at_end,
//     errback_chain, chained_already_fired, chained_not_fired.
//   * The basics: instantiate, succeed, add_callback_callback, chain/N
//     (N = 1, 2, 4, 100 callbacks added, then fired), returned_deferreds/N
//     (N callbacks each returning an already-fired Deferred), deferred_list/N
//     and gather_results/N (N = 10, 1000 inputs fired after the list was made).
//   * await_fired/N: the co_await alone, N times on one Deferred<void> that
//     has its result (deferred_await/N also makes each awaited Deferred).
//   * Callback chain vs coroutine for the same work (work_callbacks/100,
//     work_coroutine/100: 100 steps, each taking an already-fired Deferred's
//     value).
//   * A chain of 100 callbacks, added then fired (chain/100) or added to a
//     fired Deferred (fired_chain/100), vs a plain loop over
//     std::vector<absl::AnyInvocable> making the same 100 calls, the vector
//     built in the loop too (chain/plain_anyinvocable/100).
//   * Counter allocs_per_op: heap allocations per scenario run (operator new
//     is counted in this binary); for add_callback_callback it is the cost of
//     one fired Deferred with one callback (goal: 1).
//
// Build and run with --config=opt:
//   tools/bazelw run --config=opt //benchmarks:deferred_bench
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "benchmark/benchmark.h"
#include "benchmarks/ledger.h"
#include "deferred/deferred.h"
#include "deferred/deferred_list.h"
#include "deferred/gather.h"
#include "testing/allocation_counter.h"

// Under valgrind, measure() first runs each scenario kCallgrindRuns times
// between two CALLGRIND_DUMP_STATS, so the second dump (cg.out.2) divided by
// kCallgrindRuns is the exact instruction count of one run. For example:
//   valgrind --tool=callgrind --callgrind-out-file=cg.out deferred_bench
//       --benchmark_filter='^W5_succeed/' --benchmark_min_time=0.001
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define TORSION_CALLGRIND_MARK() CALLGRIND_DUMP_STATS
#define TORSION_ON_VALGRIND() RUNNING_ON_VALGRIND
#else
#define TORSION_CALLGRIND_MARK() ((void)0)
#define TORSION_ON_VALGRIND() 0
#endif

namespace torsion {
namespace {

constexpr int kCallgrindRuns = 100;

// The benchmark running now (W5_<scenario>/<impl>/<N>), for the cost ledger.
const std::string* gRunning = nullptr;

// Runs `body` once per iteration and reports allocations per run.
template <typename Body>
void measure(benchmark::State& state, Body body) {
  body();  // warm up (first-use allocations of the runtime)
  if (TORSION_ON_VALGRIND()) {
    TORSION_CALLGRIND_MARK();
    for (int i = 0; i < kCallgrindRuns; ++i) body();
    TORSION_CALLGRIND_MARK();
  }
  std::int64_t before = testing::allocationCount();
  bench::ledger::begin();
  for (auto _ : state) body();
  bench::ledger::end(gRunning != nullptr ? *gRunning : std::string(), "op",
                     static_cast<std::int64_t>(state.iterations()));
  std::int64_t allocations = testing::allocationCount() - before;
  state.counters["allocs_per_op"] =
      static_cast<double>(allocations) / static_cast<double>(state.iterations());
  // CPU nanoseconds per run (a rate over CPU time, inverted), the metric
  // tools/bench_data.py reads: wall time is unreliable on a shared machine,
  // and twisted_deferred_bench.py measures thread CPU time too.
  state.counters["ns_per_op"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 1e-9,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

int f(int x, int a) { return x + a; }

// --- Twisted's benchmarks/test_deferred.py --------------------------------------

Deferred<void> awaitLoop(int n) {
  for (int x = 0; x < n; ++x) benchmark::DoNotOptimize(co_await succeed(x));
}

void deferredAwait(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  measure(state, [n] { benchmark::DoNotOptimize(awaitLoop(n)); });
}

// The co_await alone: one Deferred<void> with its result, awaited n times
// (awaiting takes None and leaves None, so it has a result every time).
Deferred<void> awaitFiredLoop(Deferred<void> fired, int n) {
  for (int x = 0; x < n; ++x) co_await fired;
}

void awaitFired(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  measure(state, [n] { benchmark::DoNotOptimize(awaitFiredLoop(succeed(), n)); });
}

void callbackChainFiresAtStart(benchmark::State& state) {
  measure(state, [] {
    Deferred<int> d;
    d.callback(2);
    auto end = d.addCallback([](int x) { return f(x, 1); })
                   .addCallback([](int x) { return f(x, 2); })
                   .addCallback([](int x) { return f(x, 3); })
                   .addCallback([](int x) { return f(x, 4); });
    benchmark::DoNotOptimize(end);
  });
}

void callbackChainFiresAtEnd(benchmark::State& state) {
  measure(state, [] {
    Deferred<int> d;
    auto end = d.addCallback([](int x) { return f(x, 1); })
                   .addCallback([](int x) { return f(x, 2); })
                   .addCallback([](int x) { return f(x, 3); })
                   .addCallback([](int x) { return f(x, 4); });
    d.callback(2);
    benchmark::DoNotOptimize(end);
  });
}

void errbackChain(benchmark::State& state) {
  measure(state, [] {
    auto d = succeed(std::string("result"))
                 .addCallback([](std::string) -> std::string {
                   throw std::runtime_error("boom!");
                 })
                 .addErrback([](Failure failure) -> std::string {
                   failure.trap<std::exception>();
                   throw std::runtime_error("lesser boom!");
                 })
                 .addBoth([](Outcome<std::string>) {});
    benchmark::DoNotOptimize(d);
  });
}

void chainedAlreadyFired(benchmark::State& state) {
  measure(state, [] {
    Deferred<int> d, d2, d3;
    d2.callback(123);
    d3.callback(456);
    auto end =
        d.addCallback([d2](int) { return d2; }).addCallback([d3](int) { return d3; });
    d.callback(123);
    benchmark::DoNotOptimize(end);
  });
}

void chainedNotFired(benchmark::State& state) {
  measure(state, [] {
    Deferred<int> d, d2, d3, d4;
    // d3 has its own chained result.
    auto d3end = d3.addCallback([d4](int) { return d4; });
    d3.callback(123);
    auto end = d.addCallback([d2](int) { return d2; }).addCallback([d3end](int) {
      return d3end;
    });
    d2.callback(123);
    d4.callback(57);
    d.callback(7);
    benchmark::DoNotOptimize(end);
  });
}

// --- basics ---------------------------------------------------------------------

void instantiate(benchmark::State& state) {
  measure(state, [] {
    Deferred<int> d;
    benchmark::DoNotOptimize(d);
  });
}

void succeedOne(benchmark::State& state) {
  measure(state, [] { benchmark::DoNotOptimize(succeed(1)); });
}

void addCallbackCallback(benchmark::State& state) {
  measure(state, [] {
    int sum = 0;
    Deferred<int> d;
    d.addCallback([&sum](int v) { sum += v; });
    d.callback(1);
    benchmark::DoNotOptimize(sum);
  });
}

void chain(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  measure(state, [n] {
    Deferred<int> d;
    Deferred<int> tail = d;
    for (int i = 0; i < n; ++i) tail = tail.addCallback([i](int x) { return x + i; });
    d.callback(0);
    benchmark::DoNotOptimize(tail);
  });
}

// Callbacks added to an already-fired Deferred: each runs as it is added.
void firedChain(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  measure(state, [n] {
    Deferred<int> tail = succeed(0);
    for (int i = 0; i < n; ++i) tail = tail.addCallback([i](int x) { return x + i; });
    benchmark::DoNotOptimize(tail);
  });
}

void anyInvocableLoop(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  measure(state, [n] {
    std::vector<absl::AnyInvocable<int(int)>> calls;
    calls.reserve(n);
    for (int i = 0; i < n; ++i) calls.emplace_back([i](int x) { return x + i; });
    int x = 0;
    for (auto& c : calls) x = c(x);
    benchmark::DoNotOptimize(x);
  });
}

void returnedDeferreds(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  measure(state, [n] {
    Deferred<int> d;
    Deferred<int> tail = d;
    for (int i = 0; i < n; ++i) {
      tail = tail.addCallback([](int x) { return succeed(x + 1); });
    }
    d.callback(0);
    benchmark::DoNotOptimize(tail);
  });
}

void deferredList(benchmark::State& state) {
  std::size_t n = static_cast<std::size_t>(state.range(0));
  measure(state, [n] {
    std::vector<Deferred<int>> ds(n);
    auto dl = DeferredList(ds);
    for (std::size_t i = 0; i < n; ++i) ds[i].callback(static_cast<int>(i));
    benchmark::DoNotOptimize(dl);
  });
}

void gather(benchmark::State& state) {
  std::size_t n = static_cast<std::size_t>(state.range(0));
  measure(state, [n] {
    std::vector<Deferred<int>> ds(n);
    auto g = gatherResults(ds);
    for (std::size_t i = 0; i < n; ++i) ds[i].callback(static_cast<int>(i));
    benchmark::DoNotOptimize(g);
  });
}

// --- callbacks vs coroutine -------------------------------------------------------

void workCallbacks(benchmark::State& state) { returnedDeferreds(state); }

Deferred<int> workCoroutine(int n) {
  int x = 0;
  for (int i = 0; i < n; ++i) x = co_await succeed(x + 1);
  co_return x;
}

void workCoroutineBench(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  measure(state, [n] { benchmark::DoNotOptimize(workCoroutine(n)); });
}

// --- registration -------------------------------------------------------------------

void add(const std::string& scenario, const char* impl, std::int64_t n,
         void (*fn)(benchmark::State&)) {
  const std::string name = "W5_" + scenario + "/" + impl + "/" + std::to_string(n);
  auto* bench =
      benchmark::RegisterBenchmark(name.c_str(), [name, fn](benchmark::State& state) {
        gRunning = &name;
        fn(state);
        gRunning = nullptr;
      })->Arg(n);
  // TORSION_BENCH_ITERATIONS=k: exactly k runs, as drivers.h does for W1 and
  // W4. The cost ledger divides its counts by runs, and Google Benchmark's
  // own timer calls and the first runs' warm-up must weigh the same in
  // every ledger run.
  const char* k = std::getenv("TORSION_BENCH_ITERATIONS");
  if (k != nullptr && std::atoll(k) > 0) bench->Iterations(std::atoll(k));
}

[[maybe_unused]] const bool kRegistered = [] {
  add("deferred_await", "torsion", 1000, deferredAwait);
  add("await_fired", "torsion", 1000, awaitFired);
  add("callback_chain_fires_at_start", "torsion", 4, callbackChainFiresAtStart);
  add("callback_chain_fires_at_end", "torsion", 4, callbackChainFiresAtEnd);
  add("errback_chain", "torsion", 1, errbackChain);
  add("chained_already_fired", "torsion", 2, chainedAlreadyFired);
  add("chained_not_fired", "torsion", 2, chainedNotFired);
  add("instantiate", "torsion", 1, instantiate);
  add("succeed", "torsion", 1, succeedOne);
  add("add_callback_callback", "torsion", 1, addCallbackCallback);
  for (int n : {1, 2, 4, 100}) add("chain", "torsion", n, chain);
  add("chain", "plain_anyinvocable", 100, anyInvocableLoop);
  add("fired_chain", "torsion", 100, firedChain);
  for (int n : {1, 10, 100}) add("returned_deferreds", "torsion", n, returnedDeferreds);
  for (int n : {10, 1000}) add("deferred_list", "torsion", n, deferredList);
  for (int n : {10, 1000}) add("gather_results", "torsion", n, gather);
  add("work_callbacks", "torsion", 100, workCallbacks);
  add("work_coroutine", "torsion", 100, workCoroutineBench);
  return true;
}();

}  // namespace
}  // namespace torsion
