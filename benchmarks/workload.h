// torsion/benchmarks/workload.h: the shared description of the benchmark
// workloads and the adapter contract every event loop under test implements.
//
// Mirrors no Twisted module: this is the measuring rig for the backend
// comparison report (docs/benchmarks.md). The workloads are written once, in
// benchmarks/drivers.h; each event loop (torsion on each backend, libevent,
// libev, libuv, Asio, and the minimal hand-written loops) is a thin adapter
// that satisfies the `EventLoop` concept below, so every implementation runs
// exactly the same sequence of operations.
//
//   class MyLoop {
//    public:
//     static absl::StatusOr<std::unique_ptr<MyLoop>> create();
//     absl::Status watchReadable(int fd, const Callback* cb);
//     void unwatch(int fd);
//     void reserveTimers(std::size_t n);
//     void startTimer(std::size_t slot, double delaySeconds, const Callback* cb);
//     void cancelTimer(std::size_t slot);
//     void callSoon(const Callback* cb);
//     void runOnce();
//   };
//   registerWorkloads("my_loop", [] { return MyLoop::create(); });
#ifndef TORSION_BENCHMARKS_WORKLOAD_H_
#define TORSION_BENCHMARKS_WORKLOAD_H_

#include <concepts>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"

namespace torsion::bench {

// A C-style callback. Every loop under test can carry a function pointer and
// a context pointer natively, so no adapter allocates a closure the peer
// would not. The workload owns each Callback and keeps it alive for as long
// as any loop may call it, so adapters store `const Callback*`.
struct Callback {
  void (*fn)(void*);
  void* arg;
  void operator()() const { fn(arg); }
};

// W1 (libevent's test/bench.c): this many byte chains circulate at once.
inline constexpr int kPipeActiveChains = 100;
// W2: delays are drawn uniformly from [0, kTimerSpanSeconds) with this seed.
inline constexpr std::uint64_t kTimerSeed = 20220623;
inline constexpr double kTimerSpanSeconds = 1.0;
// W4: calls per batch.
inline constexpr int kCallSoonBatch = 1000;
// A workload that makes no progress for this long has a broken adapter; it is
// reported as an error instead of hanging the run.
inline constexpr double kStallLimitSeconds = 30.0;

// What bounds an implementation's W1 sizes beyond RLIMIT_NOFILE: select
// watches only descriptors below FD_SETSIZE. 0 when nothing does.
struct LoopLimits {
  int descriptorCeiling = 0;
};

// What a loop must offer to run the workloads. All calls come from the one
// benchmark thread.
template <typename L>
concept EventLoop = requires(L& loop, int fd, const Callback* cb, std::size_t slot,
                             double delay) {
  // W1: call `cb` each time `fd` is readable until unwatch(fd). Fails with a
  // Status when the loop cannot watch this descriptor (select's FD_SETSIZE).
  { loop.watchReadable(fd, cb) } -> std::same_as<absl::Status>;
  loop.unwatch(fd);
  // W2: one-shot timers addressed by a slot number in [0, n). A slot is
  // reused only after its timer fired or was cancelled.
  loop.reserveTimers(slot);
  loop.startTimer(slot, delay, cb);
  loop.cancelTimer(slot);
  // W4: call `cb` once, as soon as possible (a zero-delay call).
  loop.callSoon(cb);
  // One non-blocking pass of the loop: run what is due and ready, poll the
  // descriptors with a zero timeout, dispatch what they report.
  loop.runOnce();
};

}  // namespace torsion::bench

#endif  // TORSION_BENCHMARKS_WORKLOAD_H_
