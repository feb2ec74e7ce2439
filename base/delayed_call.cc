#include "base/delayed_call.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "base/delayed_call_errors.h"

namespace torsion {
namespace internal {
namespace {

// Chunks double from 64 nodes (4 KiB) up to 4096 nodes (256 KiB), so a
// small queue stays small and a large one allocates rarely.
constexpr std::size_t kFirstChunk = 64;
constexpr std::size_t kLargestChunk = 4096;

}  // namespace

void TimerArena::grow() {
  const std::size_t size =
      chunks.size() >= 6 ? kLargestChunk : kFirstChunk << chunks.size();
  chunks.push_back(std::make_unique<TimerNode[]>(size));
  bump = chunks.back().get();
  bumpEnd = bump + size;
}

void TimerArena::reserve(std::size_t n) {
  const std::size_t ready = freeNodes.size() + static_cast<std::size_t>(bumpEnd - bump);
  if (n <= ready) return;
  // The bump space left over is abandoned to the free list first, so the
  // new chunk can become the whole bump space.
  for (; bump != bumpEnd; ++bump) freeNodes.push_back(bump);
  const std::size_t size = n - ready;
  // Every node may come back at once (a queue cleared after n pending
  // calls): releasing them then must not reallocate the list.
  freeNodes.reserve(live + n);
  chunks.push_back(std::make_unique<TimerNode[]>(size));
  bump = chunks.back().get();
  bumpEnd = bump + size;
}

void releaseTimerNode(TimerNode* node) {
  // The callable is already gone: it was moved out to run, or destroyed by
  // cancel() or clear(). Only the memory comes back.
  TimerArena* arena = node->arena;
  --arena->live;
  if (arena->queue == nullptr) {
    if (arena->live == 0) delete arena;  // the last handle let go
    return;
  }
  arena->freeNodes.push_back(node);
}

}  // namespace internal

internal::TimerNode* DelayedCall::checked() const {
  if (node_ == nullptr) {
    throw std::logic_error(
        "DelayedCall: empty handle (default-constructed "
        "or moved from)");
  }
  // Twisted checks "cancelled" before "called".
  if (node_->index == internal::TimerNode::kCancelled) {
    throw AlreadyCancelled();
  }
  if (node_->index == internal::TimerNode::kCalled) throw AlreadyCalled();
  return node_;
}

void DelayedCall::cancel() {
  internal::TimerNode* node = checked();
  node->arena->queue->cancel(node);
}

void DelayedCall::reset(std::chrono::duration<double> secondsFromNow) {
  internal::TimerNode* node = checked();
  double delay = std::max(secondsFromNow.count(), 0.0);
  if (std::isnan(secondsFromNow.count())) delay = secondsFromNow.count();
  internal::TimerScheduler& queue = *node->arena->queue;
  queue.reschedule(node, queue.now() + delay);
}

void DelayedCall::delay(std::chrono::duration<double> secondsLater) {
  internal::TimerNode* node = checked();
  node->arena->queue->reschedule(node, node->deadline + secondsLater.count());
}

double DelayedCall::getTime() const {
  if (node_ == nullptr) {
    throw std::logic_error("DelayedCall::getTime: empty handle");
  }
  return node_->deadline;
}

}  // namespace torsion
