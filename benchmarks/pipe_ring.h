// torsion/benchmarks/pipe_ring.h: the socket pairs and byte chains of the W1
// workload, the one of libevent's test/bench.c.
//
// N socket pairs form a ring. `seed` drops one byte into each of A evenly
// spaced pairs; whenever pair i is readable its callback reads the byte and,
// while the write budget lasts, writes one byte into pair i+1. The workload
// ends when every byte written has been read. Each read is one dispatched
// event; the cost per event is what the report compares.
//
//   auto ring = PipeRing::create(1000);
//   for (int i = 0; i < ring->size(); ++i)
//     loop.watchReadable(ring->readFd(i), ring->readCallback(i));
//   ring->seed(kPipeActiveChains, 1000);
//   while (!ring->done()) loop.runOnce();
#ifndef TORSION_BENCHMARKS_PIPE_RING_H_
#define TORSION_BENCHMARKS_PIPE_RING_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmarks/workload.h"

namespace torsion::bench {

class PipeRing {
 public:
  // Opens `n` non-blocking AF_UNIX socket pairs. Fails naming socketpair()
  // and errno when descriptors run out.
  static absl::StatusOr<std::unique_ptr<PipeRing>> create(int n);
  ~PipeRing();
  PipeRing(const PipeRing&) = delete;
  PipeRing& operator=(const PipeRing&) = delete;

  int size() const { return static_cast<int>(slots_.size()); }
  int readFd(int i) const { return slots_[i].readFd; }
  // The callback to run when readFd(i) is readable; lives as long as the ring.
  const Callback* readCallback(int i) const { return &slots_[i].callback; }
  // The highest descriptor the ring uses.
  int maxFd() const;

  // Starts one round: `active` chains and a budget of `writes` further bytes.
  void seed(int active, std::int64_t writes);
  // Every byte written so far has been read.
  bool done() const { return received_ == sent_; }
  // Bytes read (events dispatched) since the ring was created.
  std::int64_t received() const { return received_; }
  // Reads or writes that failed (should stay 0; EAGAIN counts).
  std::int64_t failures() const { return failures_; }

 private:
  struct Slot {
    PipeRing* ring;
    int index;
    int readFd;
    int writeFd;
    Callback callback;
  };
  PipeRing() = default;
  static void onReadable(void* slot);

  std::vector<Slot> slots_;
  std::int64_t writesLeft_ = 0;
  std::int64_t sent_ = 0;
  std::int64_t received_ = 0;
  std::int64_t failures_ = 0;
};

// Descriptors W1 with `n` pairs needs: the pairs, and room for the loop's
// own (epoll, wakers) and the process's.
inline long pipeDescriptorsNeeded(long n) { return 2 * n + 64; }

// Raises the soft RLIMIT_NOFILE to at least `wanted` if the hard limit
// allows. Returns the resulting soft limit.
long raiseFdLimit(long wanted);

}  // namespace torsion::bench

#endif  // TORSION_BENCHMARKS_PIPE_RING_H_
