// torsion/benchmarks/drivers.h: the workloads W1 (pipes), W2 (timers) and W4
// (call soon), written once over the EventLoop concept, and the registration
// that names them `W<k>_<workload>/<impl>/<N>` for the report.
//
// Every benchmark uses manual timing with the thread's CPU time (see
// cpuSeconds): only the measured phases count, and
// each reports a counter `ns_per_<operation>` (nanoseconds per event, per
// timer scheduled, cancelled or fired, per call), which is what the report
// and tools/bench-compare read. W2_memory is a count, not a time: the heap
// bytes per pending timer (`bytes_per_timer`). The same phases are the cost ledger's
// (ledger.h): instructions, system calls, allocations and context switches
// per operation, counted by tools/ledger.py.
//
//   // In an adapter's .cc file:
//   const bool kRegistered =
//       registerWorkloads("libuv", [] { return UvLoop::create(); });
#ifndef TORSION_BENCHMARKS_DRIVERS_H_
#define TORSION_BENCHMARKS_DRIVERS_H_

#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "benchmark/benchmark.h"
#include "benchmarks/ledger.h"
#include "benchmarks/pipe_ring.h"
#include "benchmarks/workload.h"

namespace torsion::bench {

namespace internal {

using Clock = std::chrono::steady_clock;

inline double secondsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// The measuring clock: this thread's CPU time, user plus system (the kernel
// work of send, recv and poll runs in the calling thread). The workloads
// never block while timed, so on an idle machine this equals wall time; on
// a shared one it leaves out the time other processes held the CPU.
inline double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs `loop.runOnce()` until `finished()`; false when it stalled for
// kStallLimitSeconds (a broken adapter), so the benchmark reports an error
// instead of hanging.
template <typename L, typename Done>
bool runUntil(L& loop, Done finished) {
  const Clock::time_point start = Clock::now();
  std::uint32_t passes = 0;
  while (!finished()) {
    loop.runOnce();
    if ((++passes & 0xfff) == 0 &&
        secondsBetween(start, Clock::now()) > kStallLimitSeconds) {
      return finished();
    }
  }
  return true;
}

template <typename Factory>
auto makeLoop(benchmark::State& state, const Factory& factory) -> decltype(factory()) {
  auto loop = factory();
  if (!loop.ok()) state.SkipWithError(std::string(loop.status().message()).c_str());
  return loop;
}

inline void countUp(void* counter) { ++*static_cast<std::int64_t*>(counter); }

// The benchmark's name as the report and the ledger know it:
// W<k>_<workload>/<impl>/<N>.
inline std::string benchmarkName(const std::string& prefix,
                                 const benchmark::State& state) {
  return prefix + "/" + std::to_string(state.range(0));
}

// W1: see pipe_ring.h. N pairs, kPipeActiveChains chains, N writes a round.
template <typename Factory>
void pipes(benchmark::State& state, const Factory& factory, const std::string& prefix) {
  const std::string name = benchmarkName(prefix, state);
  const int n = static_cast<int>(state.range(0));
  const long needed = pipeDescriptorsNeeded(n);
  if (const long limit = raiseFdLimit(needed); limit < needed) {
    state.SkipWithError(("N=" + std::to_string(n) + " needs " + std::to_string(needed) +
                         " descriptors; RLIMIT_NOFILE allows " + std::to_string(limit))
                            .c_str());
    return;
  }
  // The loop first: its own descriptors (epoll, wakers) get low numbers, as
  // in a real program, and select's FD_SETSIZE then bites on the pairs.
  auto loop = makeLoop(state, factory);
  if (!loop.ok()) return;
  auto ring = PipeRing::create(n);
  if (!ring.ok()) {
    state.SkipWithError(std::string(ring.status().message()).c_str());
    return;
  }
  int watched = 0;
  for (; watched < n; ++watched) {
    absl::Status status =
        (*loop)->watchReadable((*ring)->readFd(watched), (*ring)->readCallback(watched));
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      break;
    }
  }
  double seconds = 0;
  const std::int64_t before = (*ring)->received();
  if (watched == n) {
    for (auto _ : state) {
      const double start = cpuSeconds();
      const std::int64_t roundStart = (*ring)->received();
      ledger::begin();
      (*ring)->seed(kPipeActiveChains, n);
      const bool finished = runUntil(**loop, [&] { return (*ring)->done(); });
      ledger::end(name, "event", (*ring)->received() - roundStart);
      if (!finished) {
        state.SkipWithError("W1 stalled: bytes written were never reported readable");
        break;
      }
      const double elapsed = cpuSeconds() - start;
      seconds += elapsed;
      state.SetIterationTime(elapsed);
    }
  }
  for (int i = 0; i < watched; ++i) (*loop)->unwatch((*ring)->readFd(i));
  const std::int64_t events = (*ring)->received() - before;
  if ((*ring)->failures() != 0) state.SkipWithError("W1: a read or write failed");
  state.SetItemsProcessed(events);
  if (events > 0) state.counters["ns_per_event"] = seconds * 1e9 / events;
}

// W2's n delays, uniform in [0, kTimerSpanSeconds), the same every run.
inline std::vector<double> timerDelays(std::size_t n) {
  std::vector<double> delays(n);
  std::mt19937_64 random(kTimerSeed);
  std::uniform_real_distribution<double> uniform(0.0, kTimerSpanSeconds);
  for (double& delay : delays) delay = uniform(random);
  return delays;
}

// W2: n one-shot timers with delays in [0, 1 s), every other one cancelled,
// the rest fired. Instead of measuring a wait, the driver sleeps (untimed)
// until every deadline has passed, then times the passes that fire them.
template <typename Factory>
void timers(benchmark::State& state, const Factory& factory, const std::string& prefix) {
  const std::string name = benchmarkName(prefix, state);
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<double> delays = timerDelays(n);

  auto loop = makeLoop(state, factory);
  if (!loop.ok()) return;
  (*loop)->reserveTimers(n);
  std::int64_t fired = 0;
  const Callback onFire{&countUp, &fired};
  const std::int64_t expected = static_cast<std::int64_t>((n + 1) / 2);
  double scheduleSeconds = 0, cancelSeconds = 0, fireSeconds = 0;
  std::int64_t rounds = 0;
  for (auto _ : state) {
    fired = 0;
    const double t0 = cpuSeconds();
    ledger::begin();
    for (std::size_t i = 0; i < n; ++i) (*loop)->startTimer(i, delays[i], &onFire);
    ledger::end(name, "schedule", static_cast<std::int64_t>(n));
    const double t1 = cpuSeconds();
    ledger::begin();
    for (std::size_t i = 1; i < n; i += 2) (*loop)->cancelTimer(i);
    ledger::end(name, "cancel", static_cast<std::int64_t>(n / 2));
    const double t2 = cpuSeconds();
    // Every deadline is at most kTimerSpanSeconds after the last timer was
    // scheduled, which may be long after the first (a million timers, or a
    // loaded machine): counted from here, no timer is still pending when the
    // fire phase starts, so it times firing, not passes spent waiting.
    std::this_thread::sleep_until(
        Clock::now() + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(kTimerSpanSeconds + 0.005)));
    const double t3 = cpuSeconds();
    ledger::begin();
    const bool finished = runUntil(**loop, [&] { return fired >= expected; });
    ledger::end(name, "fire", expected);
    if (!finished) {
      state.SkipWithError("W2 stalled: due timers did not fire");
      break;
    }
    const double t4 = cpuSeconds();
    // One more pass: a cancelled timer that still fires is a failure.
    (*loop)->runOnce();
    if (fired != expected) {
      state.SkipWithError(("W2: " + std::to_string(fired) + " timers fired, expected " +
                           std::to_string(expected))
                              .c_str());
      break;
    }
    scheduleSeconds += t1 - t0;
    cancelSeconds += t2 - t1;
    fireSeconds += t4 - t3;
    state.SetIterationTime((t2 - t0) + (t4 - t3));
    ++rounds;
  }
  if (rounds == 0) return;
  const double scale = 1e9 / static_cast<double>(rounds);
  state.SetItemsProcessed(rounds * static_cast<std::int64_t>(n));
  state.counters["ns_per_schedule"] = scheduleSeconds * scale / static_cast<double>(n);
  state.counters["ns_per_cancel"] =
      cancelSeconds * scale / static_cast<double>(n - static_cast<std::size_t>(expected));
  state.counters["ns_per_fire"] = fireSeconds * scale / static_cast<double>(expected);
}

// W2 memory: the heap a pending timer holds, at n pending. Counted as this
// thread's net heap growth (benchmarks/alloc_counter.cc) from before
// reserveTimers() to after the n-th startTimer(), over n: what the loop
// allocates (nodes, heap slots, the heap's growth) and what a user must
// allocate to schedule each timer and cancel it later (the adapter's own
// per-timer storage: libev's ev_timer, libuv's uv_timer_t, libevent's
// event pointer, torsion's DelayedCall handle). The timers are then
// cancelled. One iteration: the count is the same every run.
template <typename Factory>
void timerMemory(benchmark::State& state, const Factory& factory) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<double> delays = timerDelays(n);
  std::int64_t fired = 0;
  const Callback onFire{&countUp, &fired};
  double bytesPerTimer = -1;
  for (auto _ : state) {
    auto loop = makeLoop(state, factory);
    if (!loop.ok()) return;
    if (!ledger::startHeapBytes()) {
      state.SkipWithError(
          "W2_memory needs the counting allocator (benchmarks:alloc_counter), which "
          "this binary does not link");
      return;
    }
    (*loop)->reserveTimers(n);
    for (std::size_t i = 0; i < n; ++i) (*loop)->startTimer(i, delays[i], &onFire);
    bytesPerTimer = static_cast<double>(ledger::stopHeapBytes()) / static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i) (*loop)->cancelTimer(i);
    (*loop)->runOnce();
  }
  if (fired != 0) state.SkipWithError("W2_memory: a cancelled timer fired");
  state.counters["bytes_per_timer"] = bytesPerTimer;
}

// W4 chain: each call schedules the next, n calls a round.
template <typename L>
struct Chain {
  L* loop;
  std::int64_t left;
  Callback self;
  static void step(void* arg) {
    auto* chain = static_cast<Chain*>(arg);
    if (--chain->left > 0) chain->loop->callSoon(&chain->self);
  }
};

// Items processed and ns_per_call for `seconds` spent on n calls per
// iteration (W4, W6 throughput).
inline void reportPerCall(benchmark::State& state, double seconds, std::int64_t n) {
  const std::int64_t calls = static_cast<std::int64_t>(state.iterations()) * n;
  state.SetItemsProcessed(calls);
  if (calls > 0)
    state.counters["ns_per_call"] = seconds * 1e9 / static_cast<double>(calls);
}

// The W4 rounds: each iteration `schedule()`s n calls and runs the loop
// until `finished()`; the CPU time and the cost ledger cover exactly that,
// and a round that stalls ends the benchmark with `stalled`.
template <typename Loop, typename Schedule, typename Finished>
void timeCallRounds(benchmark::State& state, Loop& loop, const std::string& name,
                    std::int64_t n, const char* stalled, Schedule schedule,
                    Finished finished) {
  double seconds = 0;
  for (auto _ : state) {
    const double start = cpuSeconds();
    ledger::begin();
    schedule();
    const bool done = runUntil(loop, finished);
    ledger::end(name, "call", n);
    if (!done) {
      state.SkipWithError(stalled);
      break;
    }
    const double elapsed = cpuSeconds() - start;
    seconds += elapsed;
    state.SetIterationTime(elapsed);
  }
  reportPerCall(state, seconds, n);
}

template <typename Factory>
void callSoonChain(benchmark::State& state, const Factory& factory,
                   const std::string& prefix) {
  const std::string name = benchmarkName(prefix, state);
  const std::int64_t n = state.range(0);
  auto loop = makeLoop(state, factory);
  if (!loop.ok()) return;
  using L = typename std::remove_reference_t<decltype(**loop)>;
  Chain<L> chain{loop->get(), 0, {}};
  chain.self = Callback{&Chain<L>::step, &chain};
  timeCallRounds(
      state, **loop, name, n, "W4 chain stalled",
      [&] {
        chain.left = n;
        (*loop)->callSoon(&chain.self);
      },
      [&] { return chain.left <= 0; });
}

// W4 batch: n calls scheduled back to back, then run.
template <typename Factory>
void callSoonBatch(benchmark::State& state, const Factory& factory,
                   const std::string& prefix) {
  const std::string name = benchmarkName(prefix, state);
  const std::int64_t n = state.range(0);
  auto loop = makeLoop(state, factory);
  if (!loop.ok()) return;
  std::int64_t ran = 0;
  const Callback onCall{&countUp, &ran};
  timeCallRounds(
      state, **loop, name, n, "W4 batch stalled",
      [&] {
        ran = 0;
        for (std::int64_t i = 0; i < n; ++i) (*loop)->callSoon(&onCall);
      },
      [&] { return ran >= n; });
}

// TORSION_BENCH_ITERATIONS=k runs every repeatable workload exactly k
// iterations instead of as many as --benchmark_min_time asks for: the cost
// ledger divides counts by operations, and first-round costs (a table that
// grows once) must weigh the same in every run. 0 when unset.
inline benchmark::IterationCount fixedIterations() {
  const char* text = std::getenv("TORSION_BENCH_ITERATIONS");
  const long long k = text != nullptr ? std::atoll(text) : 0;
  return k > 0 ? k : 0;
}

template <typename B>
B* maybeFixIterations(B* bench) {
  if (const benchmark::IterationCount k = fixedIterations(); k > 0) bench->Iterations(k);
  return bench;
}

// W1's sizes for one implementation: kPipeSizes, each either run as it is,
// sized down to what RLIMIT_NOFILE allows (the largest multiple of 50 that
// fits, as long as it stays above the size before it), or left out. A cell
// left out or sized down is named, with the reason, in the results' context
// ("skipped <name>" / "sized <name>"), which tools/bench_report.py shows in
// its Skipped list: no benchmark then ends in an error for a limit the
// machine sets.
inline constexpr int kPipeSizes[] = {100, 1000, 5000, 10000};

inline std::vector<int> pipeSizes(const std::string& prefix, const LoopLimits& limits) {
  std::vector<int> sizes;
  for (const int n : kPipeSizes) {
    const std::string name = prefix + "/" + std::to_string(n);
    const long needed = pipeDescriptorsNeeded(n);
    if (limits.descriptorCeiling > 0 && needed > limits.descriptorCeiling) {
      benchmark::AddCustomContext(
          "skipped " + name,
          "N=" + std::to_string(n) + " needs descriptor numbers up to about " +
              std::to_string(needed) + ", and this poller watches only those below " +
              std::to_string(limits.descriptorCeiling) + " (FD_SETSIZE)");
      continue;
    }
    const long allowed = raiseFdLimit(needed);
    if (allowed >= needed) {
      sizes.push_back(n);
      continue;
    }
    const long fitting = (allowed - pipeDescriptorsNeeded(0)) / 2 / 50 * 50;
    const std::string why =
        "N=" + std::to_string(n) + " needs " + std::to_string(needed) +
        " descriptors and RLIMIT_NOFILE allows " + std::to_string(allowed);
    if (!sizes.empty() && fitting > sizes.back()) {
      sizes.push_back(static_cast<int>(fitting));
      benchmark::AddCustomContext("sized " + name,
                                  why + "; run with N=" + std::to_string(fitting));
    } else {
      benchmark::AddCustomContext("skipped " + name, why);
    }
  }
  return sizes;
}

}  // namespace internal

// Registers every workload for one implementation. `factory()` returns
// absl::StatusOr<std::unique_ptr<L>> for an EventLoop L; a failed factory
// turns into a skipped benchmark carrying its message. `limits` says what
// bounds W1's sizes besides RLIMIT_NOFILE (pipeSizes). Returns true so it can
// initialise a namespace-scope constant.
template <typename Factory>
requires EventLoop<
    typename std::remove_reference_t<decltype(*std::declval<Factory>()().value())>>
bool registerWorkloads(const std::string& impl, Factory factory, LoopLimits limits = {}) {
  namespace bm = benchmark;
  using internal::maybeFixIterations;
  if (const std::vector<int> sizes = internal::pipeSizes("W1_pipes/" + impl, limits);
      !sizes.empty()) {
    auto* pipes = maybeFixIterations(bm::RegisterBenchmark(
        ("W1_pipes/" + impl).c_str(), [factory, name = "W1_pipes/" + impl](bm::State& s) {
          internal::pipes(s, factory, name);
        }));
    for (const int n : sizes) pipes->Arg(n);
    pipes->UseManualTime()->Unit(bm::kMicrosecond);
  }
  // One round of a million timers is long enough to time, and each round
  // sleeps a second (untimed) for the deadlines to pass: one iteration each.
  bm::RegisterBenchmark(("W2_timers/" + impl).c_str(),
                        [factory, name = "W2_timers/" + impl](bm::State& s) {
                          internal::timers(s, factory, name);
                        })
      ->Arg(1000)  // for smoke_test
      ->Arg(100000)
      ->Arg(1000000)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(bm::kMillisecond);
  // A count, not a time: one repetition whatever --benchmark_repetitions says.
  bm::RegisterBenchmark(("W2_memory/" + impl).c_str(),
                        [factory](bm::State& s) { internal::timerMemory(s, factory); })
      ->Arg(1000000)
      ->Iterations(1)
      ->Repetitions(1)
      ->Unit(bm::kMillisecond);
  maybeFixIterations(
      bm::RegisterBenchmark(("W4_chain/" + impl).c_str(),
                            [factory, name = "W4_chain/" + impl](bm::State& s) {
                              internal::callSoonChain(s, factory, name);
                            }))
      ->Arg(10000)
      ->UseManualTime()
      ->Unit(bm::kMicrosecond);
  maybeFixIterations(
      bm::RegisterBenchmark(("W4_batch/" + impl).c_str(),
                            [factory, name = "W4_batch/" + impl](bm::State& s) {
                              internal::callSoonBatch(s, factory, name);
                            }))
      ->Arg(kCallSoonBatch)
      ->UseManualTime()
      ->Unit(bm::kMicrosecond);
  return true;
}

}  // namespace torsion::bench

#endif  // TORSION_BENCHMARKS_DRIVERS_H_
