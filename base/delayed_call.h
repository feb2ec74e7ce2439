// torsion/base/delayed_call.h: DelayedCall, the handle callLater returns.
//
// Mirrors twisted.internet.base.DelayedCall (IDelayedCall): a handle to one
// scheduled call that can be cancelled, moved (reset, delay) and asked when
// it runs (getTime) and whether it still may (active). The scheduled call
// itself lives in a TimerQueue (core/timer_queue.h), shared by the Reactor
// and task::Clock; the handle reaches it through the TimerScheduler
// interface below, so code that only holds handles (deferred/'s addTimeout)
// links no queue.
//
//   torsion::DelayedCall call = reactor.callLater(5s, [] { timeout(); });
//   call.reset(10s);          // now + 10 s instead
//   if (call.active()) call.cancel();
//   call.cancel();            // throws torsion::AlreadyCancelled
//
// Handles are cheap to copy (one intrusive reference count, no
// shared_ptr control block) and compare equal when they name the same
// scheduled call. A handle may outlive its queue: the call then counts as
// cancelled.
//
// Thread-safety: none. Use a DelayedCall only on the thread that runs its
// reactor (or clock); from other threads use Reactor::callFromThread.
#ifndef TORSION_BASE_DELAYED_CALL_H_
#define TORSION_BASE_DELAYED_CALL_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace torsion {

class DelayedCall;

namespace internal {

class TimerQueue;
struct TimerArena;

// One scheduled call. Owned jointly by the queue (while it is pending) and
// by every DelayedCall handle naming it: returned to its arena (the queue's
// node slab, below) when the last owner lets go.
// Kept at 64 bytes on LP64 (the callable's 16 inline bytes included), so a
// pending call costs one cache line plus its 16-byte heap slot.
struct TimerNode {
  // index_ values that are not heap positions.
  static constexpr std::int32_t kCalled = -1;
  static constexpr std::int32_t kCancelled = -2;

  double deadline;     // in the queue's time base (seconds)
  std::uint64_t seq;   // schedule order: equal deadlines run FIFO
  std::uint32_t refs;  // handles + 1 while queued
  std::int32_t index;  // heap position, or kCalled / kCancelled
  TimerArena* arena;   // the slab it lives in; outlives it
  absl::AnyInvocable<void()> fn;

  bool pending() const { return index >= 0; }
};

// What a DelayedCall asks of the queue that holds its pending call: the
// queue (core/timer_queue.h) implements it. Called only for a pending node.
class TimerScheduler {
 public:
  virtual void cancel(TimerNode* node) = 0;
  virtual void reschedule(TimerNode* node, double deadline) = 0;
  // "Now" in the queue's time base, for DelayedCall::reset.
  virtual double now() const = 0;

 protected:
  ~TimerScheduler() = default;
};

// The node slab of one queue. Nodes are carved from chunks and recycled
// through a free list: a schedule then costs no malloc (measured: malloc
// was ~45% of callLater's instructions, docs/performance.md). A released
// node keeps its memory here, but its callable was destroyed when the call
// ran or was cancelled. Handles may outlive the queue, so the arena
// outlives it too: the last node released after the queue is gone deletes
// it.
struct TimerArena {
  explicit TimerArena(TimerScheduler* owner) : queue(owner) {}

  TimerScheduler* queue;  // null once the queue is gone
  std::vector<std::unique_ptr<TimerNode[]>> chunks;
  TimerNode* bump = nullptr;  // unused tail of the newest chunk
  TimerNode* bumpEnd = nullptr;
  std::vector<TimerNode*> freeNodes;
  std::size_t live = 0;  // nodes handed out and not yet released

  TimerNode* acquire() {
    ++live;
    if (!freeNodes.empty()) {
      TimerNode* node = freeNodes.back();
      freeNodes.pop_back();
      return node;
    }
    if (bump == bumpEnd) grow();
    return bump++;
  }
  void grow();
  // Makes sure `n` more nodes can be acquired without allocating: one
  // chunk for what the free list and the bump space lack.
  void reserve(std::size_t n);
};

// Gives an unreferenced node back to its arena.
void releaseTimerNode(TimerNode* node);

inline void unrefTimerNode(TimerNode* node) {
  if (--node->refs == 0) releaseTimerNode(node);
}

}  // namespace internal

class DelayedCall {
 public:
  // An empty handle that names no call; every operation except
  // active()/called()/cancelled() (all false) throws std::logic_error.
  DelayedCall() = default;
  DelayedCall(const DelayedCall& other) : node_(other.node_) {
    if (node_) ++node_->refs;
  }
  DelayedCall(DelayedCall&& other) noexcept
      : node_(std::exchange(other.node_, nullptr)) {}
  DelayedCall& operator=(DelayedCall other) noexcept {
    std::swap(node_, other.node_);
    return *this;
  }
  ~DelayedCall() {
    if (node_) internal::unrefTimerNode(node_);
  }

  // Unschedules the call and releases its callable at once.
  // Throws AlreadyCancelled if it was cancelled, else AlreadyCalled if it
  // has started running (also from inside its own callable).
  void cancel();

  // Reschedules the call to run `secondsFromNow` after the current time
  // (not after the old deadline), earlier or later. Negative counts as
  // zero; NaN throws std::invalid_argument. Errors as cancel(). A call
  // moved while due calls are running waits for the next pass.
  void reset(std::chrono::duration<double> secondsFromNow);

  // Moves the deadline by `secondsLater` (may be negative) from where it
  // is now. Errors as reset().
  void delay(std::chrono::duration<double> secondsLater);

  // True until the call starts running or is cancelled.
  bool active() const { return node_ != nullptr && node_->pending(); }
  // True once the call has started running (set before the callable runs).
  bool called() const {
    return node_ != nullptr && node_->index == internal::TimerNode::kCalled;
  }
  // True once cancel() succeeded (or the queue was destroyed first).
  bool cancelled() const {
    return node_ != nullptr && node_->index == internal::TimerNode::kCancelled;
  }

  // The absolute time, in the owner's seconds() time base, at which the
  // call runs (or was due to run). Throws std::logic_error on an empty
  // handle.
  double getTime() const;

  explicit operator bool() const { return node_ != nullptr; }

  // Identity, as in Twisted: two handles are equal when they name the same
  // scheduled call.
  friend bool operator==(const DelayedCall& a, const DelayedCall& b) {
    return a.node_ == b.node_;
  }
  // Ordered by scheduled time (Twisted's DelayedCall.__lt__ and friends).
  friend bool operator<(const DelayedCall& a, const DelayedCall& b) {
    return a.getTime() < b.getTime();
  }
  friend bool operator>(const DelayedCall& a, const DelayedCall& b) { return b < a; }
  friend bool operator<=(const DelayedCall& a, const DelayedCall& b) { return !(b < a); }
  friend bool operator>=(const DelayedCall& a, const DelayedCall& b) { return !(a < b); }

 private:
  friend class internal::TimerQueue;
  // Adopts one reference already counted for this handle.
  explicit DelayedCall(internal::TimerNode* node) : node_(node) {}
  internal::TimerNode* checked() const;

  internal::TimerNode* node_ = nullptr;
};

}  // namespace torsion

#endif  // TORSION_BASE_DELAYED_CALL_H_
