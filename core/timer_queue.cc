#include "core/timer_queue.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "base/reactor_time.h"

namespace torsion::internal {
namespace {

// Four children per node: the heap is half as deep as a binary one, so a
// push (the common operation: most timers are scheduled, many never fire)
// compares half as often, and the four children of a node share one cache
// line of pointers when we pick the smallest on a pop. See docs/timers.md.
constexpr std::size_t kArity = 4;

std::size_t parentOf(std::size_t i) { return (i - 1) / kArity; }
std::size_t firstChildOf(std::size_t i) { return i * kArity + 1; }

}  // namespace

TimerQueue::TimerQueue(const ReactorTime& time)
    : time_(time), arena_(new TimerArena(this)) {}

TimerQueue::~TimerQueue() {
  clear();
  arena_->queue = nullptr;
  if (arena_->live == 0) delete arena_;
}

double TimerQueue::now() const { return time_.seconds(); }

void TimerQueue::siftUp(std::size_t i, Slot slot) {
  while (i > 0) {
    std::size_t parent = parentOf(i);
    if (!before(slot, heap_[parent])) break;
    place(heap_[parent], i);
    i = parent;
  }
  place(slot, i);
}

// The earliest of the slots [first, end): the children of one node. Walks
// a pointer and keeps the best deadline in a register, which the hot loop
// of every pop needs (an index re-derived per child cost ~40% more
// instructions per fired call).
const TimerQueue::Slot* TimerQueue::earliestOf(const Slot* first, const Slot* end) {
  const Slot* best = first;
  double bestDeadline = first->deadline;
  for (const Slot* c = first + 1; c < end; ++c) {
    if (c->deadline < bestDeadline ||
        (c->deadline == bestDeadline && c->node->seq < best->node->seq)) {
      best = c;
      bestDeadline = c->deadline;
    }
  }
  return best;
}

void TimerQueue::siftDown(std::size_t i, Slot slot) {
  const std::size_t n = heap_.size();
  for (;;) {
    const std::size_t first = firstChildOf(i);
    if (first >= n) break;
    const Slot* best =
        earliestOf(heap_.data() + first, heap_.data() + std::min(first + kArity, n));
    if (!before(*best, slot)) break;
    const std::size_t b = static_cast<std::size_t>(best - heap_.data());
    place(*best, i);
    i = b;
  }
  place(slot, i);
}

void TimerQueue::removeAt(std::size_t i) {
  const Slot last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;  // it was the last slot
  // The former last node fills the hole; it may belong above or below it.
  if (i > 0 && before(last, heap_[parentOf(i)])) {
    siftUp(i, last);
  } else {
    siftDown(i, last);
  }
}

void TimerQueue::removeTop() {
  const Slot last = heap_.back();
  heap_.pop_back();
  if (heap_.empty()) return;
  // Floyd's bottom-up pop: the former last node nearly always belongs back
  // near the bottom, so walk the hole down along the smallest children
  // without comparing it, then sift it up the little way it has to go.
  // One comparison per level fewer than siftDown (measured: -13% of the
  // instructions per fired call, docs/performance.md).
  const std::size_t n = heap_.size();
  std::size_t i = 0;
  for (;;) {
    const std::size_t first = firstChildOf(i);
    if (first >= n) break;
    const Slot* best =
        earliestOf(heap_.data() + first, heap_.data() + std::min(first + kArity, n));
    const std::size_t b = static_cast<std::size_t>(best - heap_.data());
    place(*best, i);
    i = b;
  }
  siftUp(i, last);
}

// Heap positions are int32 (TimerNode::index).
constexpr std::size_t kMaxPending =
    static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());

void TimerQueue::reserve(std::size_t n) {
  if (n > kMaxPending) {
    throw std::length_error("reserveDelayedCalls: " + std::to_string(n) +
                            " is more than the " + std::to_string(kMaxPending) +
                            " pending calls a queue can hold");
  }
  heap_.reserve(n);
  arena_->reserve(n - std::min(n, heap_.size()));
}

TimerNode* TimerQueue::prepare(double deadline) {
  if (std::isnan(deadline)) {
    throw std::invalid_argument("callLater: the delay is NaN");
  }
  if (heap_.size() >= kMaxPending) {
    throw std::length_error("callLater: too many pending calls");
  }
  // Two references: the queue's and the returned handle's.
  TimerNode* node = arena_->acquire();
  node->deadline = deadline;
  node->seq = nextSeq_++;
  node->refs = 2;
  node->index = 0;
  node->arena = arena_;
  return node;
}

DelayedCall TimerQueue::push(TimerNode* node) {
  try {
    heap_.push_back(Slot{node->deadline, node});
  } catch (...) {
    discard(node);
    throw;
  }
  siftUp(heap_.size() - 1, heap_.back());
  return DelayedCall(node);
}

void TimerQueue::discard(TimerNode* node) noexcept {
  node->fn = nullptr;
  node->index = TimerNode::kCancelled;
  node->refs = 1;
  unrefTimerNode(node);
}

DelayedCall TimerQueue::schedule(double deadline, absl::AnyInvocable<void()>&& f) {
  TimerNode* node = prepare(deadline);
  node->fn = std::move(f);
  return push(node);
}

void TimerQueue::cancel(TimerNode* node) {
  removeAt(static_cast<std::size_t>(node->index));
  node->index = TimerNode::kCancelled;
  // The callable may own resources (or other handles); release it now, and
  // only after the heap is consistent again, because its destructor may
  // re-enter the queue.
  absl::AnyInvocable<void()> fn = std::move(node->fn);
  node->fn = nullptr;
  unrefTimerNode(node);  // the queue's reference; the caller holds another
}

void TimerQueue::reschedule(TimerNode* node, double deadline) {
  if (std::isnan(deadline)) {
    throw std::invalid_argument("DelayedCall: the new time is NaN");
  }
  node->deadline = deadline;
  // A fresh sequence number: a moved call counts as scheduled now, so it
  // queues behind calls already due at the same time, and waits for the
  // next pass when moved during one.
  node->seq = nextSeq_++;
  std::size_t i = static_cast<std::size_t>(node->index);
  const Slot slot{deadline, node};
  if (i > 0 && before(slot, heap_[parentOf(i)])) {
    siftUp(i, slot);
  } else {
    siftDown(i, slot);
  }
}

TimerNode* TimerQueue::popDue(double now, std::uint64_t seqLimit) {
  if (heap_.empty()) return nullptr;
  const Slot top = heap_[0];
  // Only calls moved earlier by a negative delay() during this pass can
  // be due with seq >= seqLimit; stopping at one just ends the pass early,
  // and the next pass (zero timeout: a call is due) runs it first, which
  // is its deadline order anyway.
  if (top.deadline > now || top.node->seq >= seqLimit) return nullptr;
  removeTop();
  top.node->index = TimerNode::kCalled;
  return top.node;
}

namespace {

// Runs one consumed node's callable, then drops the queue's reference.
struct Consumed {
  TimerNode* node;
  ~Consumed() { unrefTimerNode(node); }
};

}  // namespace

std::size_t TimerQueue::runDue(double now, NewCalls mode,
                               absl::FunctionRef<void(std::exception_ptr)> onError) {
  const std::uint64_t seqLimit =
      mode == NewCalls::kNextPass ? nextSeq_ : std::numeric_limits<std::uint64_t>::max();
  std::size_t ran = 0;
  while (TimerNode* node = popDue(now, seqLimit)) {
    Consumed consumed{node};
    absl::AnyInvocable<void()> fn = std::move(node->fn);
    node->fn = nullptr;
    ++ran;
    try {
      fn();
    } catch (...) {
      onError(std::current_exception());
    }
  }
  return ran;
}

std::size_t TimerQueue::runDue(double now, NewCalls mode) {
  // The same loop, with a handler that sends the exception on: it leaves
  // the catch block, so the throwing call is consumed (its `Consumed` guard
  // still lets go) and the calls not yet run stay pending. The reactor's
  // path above is untouched; only a throw pays for the second throw.
  return runDue(now, mode,
                [](std::exception_ptr e) { std::rethrow_exception(std::move(e)); });
}

std::vector<DelayedCall> TimerQueue::pending() const {
  std::vector<Slot> slots = heap_;
  std::sort(slots.begin(), slots.end(), before);
  std::vector<DelayedCall> calls;
  calls.reserve(slots.size());
  for (const Slot& slot : slots) {
    ++slot.node->refs;
    calls.push_back(DelayedCall(slot.node));
  }
  return calls;
}

void TimerQueue::clear() {
  // Detach everything first: destroying a callable may re-enter the queue
  // (cancel another call, schedule a new one), and must find it consistent.
  std::vector<Slot> slots;
  slots.swap(heap_);
  for (const Slot& slot : slots) slot.node->index = TimerNode::kCancelled;
  for (const Slot& slot : slots) {
    TimerNode* node = slot.node;
    absl::AnyInvocable<void()> fn = std::move(node->fn);
    node->fn = nullptr;
    fn = nullptr;
    unrefTimerNode(node);
  }
}

}  // namespace torsion::internal
