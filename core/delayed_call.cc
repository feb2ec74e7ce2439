#include "core/delayed_call.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/errors.h"
#include "core/timer_queue.h"

namespace torsion {

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
  internal::TimerQueue& queue = *node->arena->queue;
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
