// torsion/core/timer_queue.h: the queue of scheduled calls behind callLater.
//
// One TimerQueue orders the calls of a Reactor and of task::Clock, so both
// follow the same rules (see docs/timers.md):
//   * calls run in deadline order; equal deadlines run first-in first-out
//     (Twisted's heap does not promise that, twisted#6718; we do);
//   * in the reactor's mode, a call scheduled (or reset / delayed) while a
//     pass runs waits for the next pass, so a call that reschedules itself
//     with zero delay cannot starve I/O (Twisted's runUntilCurrent);
//   * schedule, cancel, reset and delay cost O(log n); a cancelled call
//     leaves the heap at once and its callable is destroyed at once.
// It is a 4-ary min-heap on (deadline, sequence) of intrusive,
// reference-counted nodes that know their own heap index. Each heap slot
// carries its node's deadline beside the pointer (libev's trick), so
// ordering reads the heap array, not the nodes scattered behind it.
//
//   torsion::internal::TimerQueue queue(clock);   // clock: a ReactorTime
//   torsion::DelayedCall c = queue.schedule(clock.seconds() + 1.0, f);
//   queue.runDue(clock.seconds(), TimerQueue::NewCalls::kNextPass,
//                [](std::exception_ptr e) { log(e); });
//
// Deadlines are plain doubles in the owner's time base; the queue never reads
// a clock except through `time.seconds()` for DelayedCall::reset.
//
// Thread-safety: none; one thread (the reactor's) uses a queue and its
// DelayedCall handles.
#ifndef TORSION_CORE_TIMER_QUEUE_H_
#define TORSION_CORE_TIMER_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "base/delayed_call.h"

namespace torsion {

class ReactorTime;

namespace internal {

// Its nodes live in a TimerArena (base/delayed_call.h); DelayedCall handles
// cancel and move them through the TimerScheduler interface.
class TimerQueue final : public TimerScheduler {
 public:
  // Whether calls scheduled while runDue() runs may run in that same pass.
  enum class NewCalls {
    // The reactor's rule (Twisted's runUntilCurrent), which task::Clock
    // follows too.
    kNextPass,
    // Twisted's Clock.advance (behaviour C6): a call that falls due while
    // the pass runs also runs in it. Nothing in the library uses it; a test
    // clock may, to reproduce Twisted's Clock.
    kSamePass,
  };

  // `time` supplies "now" for DelayedCall::reset; it must outlive the queue.
  explicit TimerQueue(const ReactorTime& time);
  // Every pending call is cancelled: its callable destroyed, its handles
  // report cancelled().
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Schedules `f` at absolute time `deadline`. Throws std::invalid_argument
  // if `deadline` is NaN. Takes `f` by reference so the callable moves once,
  // into its node (a by-value parameter cost a move and a destroy more).
  DelayedCall schedule(double deadline, absl::AnyInvocable<void()>&& f);

  // As schedule(), with the callable built in place in its node from `f`:
  // no AnyInvocable is moved or destroyed on the way (Reactor::callLater's
  // path for a lambda). If building it throws, nothing is scheduled.
  template <typename F>
  DelayedCall emplace(double deadline, F&& f) {
    TimerNode* node = prepare(deadline);
    std::destroy_at(&node->fn);
    try {
      std::construct_at(&node->fn, std::forward<F>(f));
    } catch (...) {
      std::construct_at(&node->fn);
      discard(node);
      throw;
    }
    return push(node);
  }

  // Runs, in (deadline, sequence) order, every pending call whose deadline
  // is <= `now` (with kNextPass: and that was scheduled before this pass
  // began). A call is consumed before it runs. When a call throws, the
  // exception goes to `onError` and the pass goes on. Returns how many calls
  // ran. Re-entrant: a call may schedule, cancel, or run another pass.
  std::size_t runDue(double now, NewCalls mode,
                     absl::FunctionRef<void(std::exception_ptr)> onError);

  // As above, but an exception escapes: the throwing call is consumed and
  // the calls not yet run stay pending (task::Clock's rule, Twisted's C7).
  // The same loop, with a handler that rethrows.
  std::size_t runDue(double now, NewCalls mode);

  // The earliest pending deadline, if any.
  std::optional<double> nextDeadline() const {
    if (heap_.empty()) return std::nullopt;
    return heap_[0].deadline;
  }

  // Room for `n` pending calls: nodes (constructed, so their memory is
  // touched now) and heap slots. Throws std::length_error past the limit
  // schedule() enforces.
  void reserve(std::size_t n);

  std::size_t size() const { return heap_.size(); }
  bool empty() const { return heap_.empty(); }

  // Every pending call, in the order they would run.
  std::vector<DelayedCall> pending() const;

  // Cancels every pending call (as DelayedCall::cancel would).
  void clear();

 private:
  void cancel(TimerNode* node) override;
  void reschedule(TimerNode* node, double deadline) override;
  double now() const override;

  // A heap slot: the node and a copy of its deadline. Four slots fill one
  // cache line, so picking the smallest child touches one line and no node;
  // a node is read only to break a tie on equal deadlines.
  struct Slot {
    double deadline;
    TimerNode* node;
  };
  static bool before(const Slot& a, const Slot& b) {
    return a.deadline < b.deadline ||
           (a.deadline == b.deadline && a.node->seq < b.node->seq);
  }
  void place(const Slot& slot, std::size_t i) {
    heap_[i] = slot;
    slot.node->index = static_cast<std::int32_t>(i);
  }
  // schedule() in three steps, so emplace() can build the callable between
  // them. prepare: the checks and a node, not yet in the heap. push: into the
  // heap (on failure the node is discarded). discard: back to the arena.
  TimerNode* prepare(double deadline);
  DelayedCall push(TimerNode* node);
  void discard(TimerNode* node) noexcept;

  static const Slot* earliestOf(const Slot* first, const Slot* end);
  void siftUp(std::size_t i, Slot slot);
  void siftDown(std::size_t i, Slot slot);
  // Takes `node` out of the heap; does not touch its state or references.
  void removeAt(std::size_t i);
  // removeAt(0), specialised for the pop of every fired call.
  void removeTop();
  // Pops the earliest node if it may run in this pass.
  TimerNode* popDue(double now, std::uint64_t seqLimit);

  const ReactorTime& time_;
  TimerArena* arena_;  // see TimerArena for its lifetime
  std::vector<Slot> heap_;
  std::uint64_t nextSeq_ = 0;
};

}  // namespace internal
}  // namespace torsion

#endif  // TORSION_CORE_TIMER_QUEUE_H_
