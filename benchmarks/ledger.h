// torsion/benchmarks/ledger.h: the counted side of a benchmark, for the cost
// ledger (tools/ledger.py, docs/benchmarks.md): what a measured phase costs
// in counts that do not move with the machine's load.
//
// The workloads (drivers.h, deferred_bench.cc, the echo server harness)
// bracket every measured phase with begin() and end(). When the environment
// variable TORSION_LEDGER names a file, each phase
//   * counts this thread's heap allocations (when the binary links the
//     counting hook, :alloc_counter) and context switches (getrusage), and
//     end() appends one line to that file:
//       <benchmark> <op> <ops> <allocations|-> <voluntary> <involuntary>
//   * turns callgrind's collection on and off (run the binary under
//     `valgrind --tool=callgrind --collect-atstart=no`), and end() dumps the
//     phase's instructions labelled "torsion-ledger <benchmark> <op> <ops>";
//   * writes a marker system call, write(-1, "torsion-ledger begin"/"... end
//     <benchmark> <op> <ops>"), which fails at once and costs nothing, so
//     that `strace -f` shows which system calls fell inside the phase.
// Without TORSION_LEDGER every call is one predictable branch.
//
//   ledger::begin();
//   ... the measured operations ...
//   ledger::end("W1_pipes/torsion_epoll/100", "event", events);
#ifndef TORSION_BENCHMARKS_LEDGER_H_
#define TORSION_BENCHMARKS_LEDGER_H_

#include <cstdint>
#include <string_view>

namespace torsion::bench::ledger {

namespace internal {
bool enabledSlow();
void beginSlow();
void endSlow(std::string_view benchmark, std::string_view op, std::int64_t ops);
inline int gState = -1;  // -1 unknown, 0 off, 1 on
}  // namespace internal

// TORSION_LEDGER is set (read once).
inline bool enabled() {
  return internal::gState >= 0 ? internal::gState == 1 : internal::enabledSlow();
}

// The start of a counted phase on this thread.
inline void begin() {
  if (enabled()) internal::beginSlow();
}

// Its end: `ops` operations named `op` (event, call, schedule...) of
// `benchmark` (W<k>_<workload>/<impl>/<N>) ran since begin().
inline void end(std::string_view benchmark, std::string_view op, std::int64_t ops) {
  if (enabled()) internal::endSlow(benchmark, op, ops);
}

// Heap allocations made by this thread so far, or -1 when the binary does
// not link the counting hook (benchmarks/alloc_counter.cc).
std::int64_t allocationsSoFar();

// This thread's net heap growth in bytes between startHeapBytes() and
// stopHeapBytes(): what its allocations hold (malloc_usable_size) minus
// what its frees returned. startHeapBytes() is false, and stopHeapBytes()
// -1, when the binary does not link the counting hook.
bool startHeapBytes();
std::int64_t stopHeapBytes();

}  // namespace torsion::bench::ledger

#endif  // TORSION_BENCHMARKS_LEDGER_H_
