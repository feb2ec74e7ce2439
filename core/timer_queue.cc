#include "core/timer_queue.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <stdexcept>
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

void TimerQueue::siftUp(std::size_t i, TimerNode* node) {
  while (i > 0) {
    std::size_t parent = parentOf(i);
    if (!before(node, heap_[parent])) break;
    place(heap_[parent], i);
    i = parent;
  }
  place(node, i);
}

void TimerQueue::siftDown(std::size_t i, TimerNode* node) {
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t first = firstChildOf(i);
    if (first >= n) break;
    std::size_t last = first + kArity < n ? first + kArity : n;
    std::size_t best = first;
    for (std::size_t c = first + 1; c < last; ++c) {
      if (before(heap_[c], heap_[best])) best = c;
    }
    if (!before(heap_[best], node)) break;
    place(heap_[best], i);
    i = best;
  }
  place(node, i);
}

void TimerQueue::removeAt(std::size_t i) {
  TimerNode* last = heap_.back();
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
  TimerNode* last = heap_.back();
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
    const std::size_t lastChild = first + kArity < n ? first + kArity : n;
    std::size_t best = first;
    for (std::size_t c = first + 1; c < lastChild; ++c) {
      if (before(heap_[c], heap_[best])) best = c;
    }
    place(heap_[best], i);
    i = best;
  }
  siftUp(i, last);
}

DelayedCall TimerQueue::schedule(double deadline, absl::AnyInvocable<void()>&& f) {
  if (std::isnan(deadline)) {
    throw std::invalid_argument("callLater: the delay is NaN");
  }
  if (heap_.size() >=
      static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw std::length_error("callLater: too many pending calls");
  }
  // Two references: the queue's and the returned handle's.
  TimerNode* node = arena_->acquire();
  node->deadline = deadline;
  node->seq = nextSeq_++;
  node->refs = 2;
  node->index = 0;
  node->arena = arena_;
  node->fn = std::move(f);
  heap_.push_back(node);
  siftUp(heap_.size() - 1, node);
  return DelayedCall(node);
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
  if (i > 0 && before(node, heap_[parentOf(i)])) {
    siftUp(i, node);
  } else {
    siftDown(i, node);
  }
}

TimerNode* TimerQueue::popDue(double now, std::uint64_t seqLimit) {
  if (heap_.empty()) return nullptr;
  TimerNode* top = heap_[0];
  // Only calls moved earlier by a negative delay() during this pass can
  // be due with seq >= seqLimit; stopping at one just ends the pass early,
  // and the next pass (zero timeout: a call is due) runs it first, which
  // is its deadline order anyway.
  if (top->deadline > now || top->seq >= seqLimit) return nullptr;
  removeTop();
  top->index = TimerNode::kCalled;
  return top;
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
  std::vector<TimerNode*> nodes = heap_;
  std::sort(nodes.begin(), nodes.end(), before);
  std::vector<DelayedCall> calls;
  calls.reserve(nodes.size());
  for (TimerNode* node : nodes) {
    ++node->refs;
    calls.push_back(DelayedCall(node));
  }
  return calls;
}

void TimerQueue::clear() {
  // Detach everything first: destroying a callable may re-enter the queue
  // (cancel another call, schedule a new one), and must find it consistent.
  std::vector<TimerNode*> nodes;
  nodes.swap(heap_);
  for (TimerNode* node : nodes) node->index = TimerNode::kCancelled;
  for (TimerNode* node : nodes) {
    absl::AnyInvocable<void()> fn = std::move(node->fn);
    node->fn = nullptr;
    fn = nullptr;
    unrefTimerNode(node);
  }
}

}  // namespace torsion::internal
