// torsion/deferred/queue.h: DeferredQueue<T>, a queue whose get() is a
// Deferred.
//
// Mirrors twisted.internet.defer.DeferredQueue (behaviours P5, P6): put()
// gives the item to the oldest waiting get() at once (its Deferred fires
// inside put()), else buffers it; get() returns an already-fired Deferred
// when an item is buffered, else one that a later put() fires. `size`
// bounds the buffer (put() beyond it throws QueueOverflow) and `backlog`
// the waiting get()s (QueueUnderflow); no bound when not given; 0 refuses
// every put() / get() that would buffer / wait.
//
//   torsion::DeferredQueue<std::string> lines(/*size=*/100);
//   lines.get().addCallback([](std::string line) { handle(line); });
//   lines.put("hello");  // runs handle("hello") now
//
// Re-entrancy: a consumer whose callback put()s into the same queue, with
// more waiting get()s, nests one put() per item (as in Twisted); such
// ping-pong should go through the reactor (callLater(0)) instead.
//
// Lifetime: get() Deferreds may outlive the queue; cancelling one then only
// fails it with CancelledError.
//
// Thread-safety: none (like Deferred).
#ifndef TORSION_DEFERRED_QUEUE_H_
#define TORSION_DEFERRED_QUEUE_H_

#include <algorithm>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "deferred/deferred.h"

namespace torsion {

// put() on a DeferredQueue whose buffer is full (Twisted's QueueOverflow).
class QueueOverflow : public std::runtime_error {
 public:
  explicit QueueOverflow(std::size_t size);
};

// get() on a DeferredQueue with `backlog` get()s already waiting (Twisted's
// QueueUnderflow).
class QueueUnderflow : public std::runtime_error {
 public:
  explicit QueueUnderflow(std::size_t backlog);
};

template <typename T>
class DeferredQueue {
  static_assert(!std::is_void_v<T>, "DeferredQueue<void>: queue a value type");

 public:
  // `size`: most items buffered; `backlog`: most get()s waiting; nullopt:
  // no limit.
  explicit DeferredQueue(std::optional<std::size_t> size = std::nullopt,
                         std::optional<std::size_t> backlog = std::nullopt)
      : core_(std::make_shared<Core>()) {
    core_->size = size;
    core_->backlog = backlog;
  }

  // Hands `item` to the oldest waiting get() (its callbacks run before this
  // returns), or buffers it. Throws QueueOverflow when the buffer is full;
  // the item is then dropped.
  void put(T item) {
    Core& c = *core_;
    if (!c.waiting.empty()) {
      Deferred<T> d = std::move(c.waiting.front());
      c.waiting.pop_front();
      d.callback(std::move(item));
      return;
    }
    if (c.size && c.pending.size() >= *c.size) throw QueueOverflow(*c.size);
    c.pending.push_back(std::move(item));
  }

  // The oldest buffered item, already fired; else a Deferred that a later
  // put() fires (FIFO among waiters). cancel() on a waiting one takes it
  // out of the queue (CancelledError); on a fired one does nothing. Throws
  // QueueUnderflow when `backlog` get()s already wait.
  Deferred<T> get() {
    Core& c = *core_;
    if (!c.pending.empty()) {
      T item = std::move(c.pending.front());
      c.pending.pop_front();
      return succeed(std::move(item));
    }
    if (c.backlog && c.waiting.size() >= *c.backlog) throw QueueUnderflow(*c.backlog);
    Deferred<T> d([weak = std::weak_ptr<Core>(core_)](Deferred<T>& self) {
      if (auto core = weak.lock()) {
        auto it = std::find(core->waiting.begin(), core->waiting.end(), self);
        if (it != core->waiting.end()) core->waiting.erase(it);
      }
    });
    c.waiting.push_back(d);
    return d;
  }

  // Twisted's `pending` (buffered items) and `waiting` (unfired get()s).
  const std::deque<T>& pending() const { return core_->pending; }
  std::size_t waiting() const { return core_->waiting.size(); }
  std::optional<std::size_t> size() const { return core_->size; }
  std::optional<std::size_t> backlog() const { return core_->backlog; }

 private:
  struct Core {
    std::deque<Deferred<T>> waiting;
    std::deque<T> pending;
    std::optional<std::size_t> size;
    std::optional<std::size_t> backlog;
  };
  std::shared_ptr<Core> core_;
};

}  // namespace torsion

#endif  // TORSION_DEFERRED_QUEUE_H_
