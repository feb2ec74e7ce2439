// libevent 2.1 running the shared workloads on its documented fast paths:
// persistent EV_READ events, evtimer_new/event_add one-shot timers freed when
// they fire, and event_base_once with no timeout for call-soon (libevent
// activates such an event at once).
#include <event2/event.h>
#include <event2/thread.h>

#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

#include "benchmarks/cross_thread.h"
#include "benchmarks/drivers.h"

namespace torsion::bench {
namespace {

void runCallback(evutil_socket_t, short, void* cb) {
  (*static_cast<const Callback*>(cb))();
}

class LibeventLoop {
 public:
  static absl::StatusOr<std::unique_ptr<LibeventLoop>> create() {
    event_base* base = event_base_new();
    if (base == nullptr) return absl::InternalError("event_base_new() failed");
    std::unique_ptr<LibeventLoop> self(new LibeventLoop(base));
    self->wake_ = event_new(base, -1, EV_PERSIST, &onWake, self.get());
    self->keepAlive_ = event_new(
        base, -1, EV_PERSIST, [](evutil_socket_t, short, void*) {}, nullptr);
    if (self->wake_ == nullptr || self->keepAlive_ == nullptr)
      return absl::InternalError("libevent: event_new() failed");
    return self;
  }

  // W6 needs libevent's locking, switched on before the base is made; the
  // other workloads run in processes that never call this (tools/bench runs
  // each workload in its own process), so they stay lock-free.
  static absl::StatusOr<std::unique_ptr<LibeventLoop>> createThreaded() {
    static const int kThreads = evthread_use_pthreads();
    if (kThreads != 0) return absl::InternalError("evthread_use_pthreads() failed");
    return create();
  }
  ~LibeventLoop() {
    for (auto& [fd, ev] : readers_) event_free(ev);
    for (TimerSlot& slot : timers_) {
      if (slot.ev != nullptr) event_free(slot.ev);
    }
    if (wake_ != nullptr) event_free(wake_);
    if (keepAlive_ != nullptr) event_free(keepAlive_);
    event_base_free(base_);
  }

  absl::Status watchReadable(int fd, const Callback* cb) {
    event* ev = event_new(base_, fd, EV_READ | EV_PERSIST, &runCallback,
                          const_cast<Callback*>(cb));
    if (ev == nullptr || event_add(ev, nullptr) != 0) {
      if (ev != nullptr) event_free(ev);
      return absl::InternalError("libevent: event_add(fd=" + std::to_string(fd) +
                                 ") failed");
    }
    readers_[fd] = ev;
    return absl::OkStatus();
  }

  void unwatch(int fd) {
    auto it = readers_.find(fd);
    if (it == readers_.end()) return;
    event_free(it->second);
    readers_.erase(it);
  }

  void reserveTimers(std::size_t n) { timers_.resize(n); }

  void startTimer(std::size_t slot, double delaySeconds, const Callback* cb) {
    TimerSlot& timer = timers_[slot];
    timer.cb = cb;
    timer.ev = evtimer_new(base_, &onTimer, &timer);
    const auto micros = static_cast<long>(delaySeconds * 1e6);
    const timeval delay{micros / 1000000, micros % 1000000};
    evtimer_add(timer.ev, &delay);
  }

  void cancelTimer(std::size_t slot) {
    TimerSlot& timer = timers_[slot];
    event_free(timer.ev);  // also deletes it from the base
    timer.ev = nullptr;
  }

  void callSoon(const Callback* cb) {
    event_base_once(base_, -1, EV_TIMEOUT, &runCallback, const_cast<Callback*>(cb),
                    nullptr);
  }

  void runOnce() { event_base_loop(base_, EVLOOP_ONCE | EVLOOP_NONBLOCK); }

  // W6: any thread. event_active from another thread wakes the base (its
  // evthread notification); onWake drains the queue.
  void callFromThread(const Callback* cb) {
    if (crossThread_.push(cb)) event_active(wake_, EV_READ, 0);
  }
  // EVLOOP_ONCE returns at once when no event is pending: a 1 s persistent
  // timer keeps the base waiting for the wake-up instead.
  void runBlocking() {
    if (!keepAliveAdded_) {
      const timeval second{1, 0};
      event_add(keepAlive_, &second);
      keepAliveAdded_ = true;
    }
    event_base_loop(base_, EVLOOP_ONCE);
  }

 private:
  struct TimerSlot {
    event* ev = nullptr;
    const Callback* cb = nullptr;
  };

  explicit LibeventLoop(event_base* base) : base_(base) {}

  static void onTimer(evutil_socket_t, short, void* arg) {
    auto* timer = static_cast<TimerSlot*>(arg);
    event_free(timer->ev);
    timer->ev = nullptr;
    (*timer->cb)();
  }

  static void onWake(evutil_socket_t, short, void* self) {
    static_cast<LibeventLoop*>(self)->crossThread_.drain();
  }

  event_base* base_;
  event* wake_ = nullptr;
  event* keepAlive_ = nullptr;
  bool keepAliveAdded_ = false;
  CallQueue crossThread_;
  std::unordered_map<int, event*> readers_;
  std::vector<TimerSlot> timers_;
};

const bool kRegistered =
    registerWorkloads("libevent", [] { return LibeventLoop::create(); }) &&
    registerThreadWorkloads("libevent", [] { return LibeventLoop::createThreaded(); });

}  // namespace
}  // namespace torsion::bench
