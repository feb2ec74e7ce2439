// libev 4 running the shared workloads on its documented fast paths:
// ev_io watchers embedded in caller-owned storage, ev_timer watchers
// likewise, and an ev_idle watcher that drains a vector of pending calls for
// call-soon (libev has no call-soon of its own).
#include <ev.h>

#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

#include "benchmarks/cross_thread.h"
#include "benchmarks/drivers.h"

namespace torsion::bench {
namespace {

class LibevLoop {
 public:
  static absl::StatusOr<std::unique_ptr<LibevLoop>> create() {
    struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO);
    if (loop == nullptr) return absl::InternalError("ev_loop_new() failed");
    return std::unique_ptr<LibevLoop>(new LibevLoop(loop));
  }
  ~LibevLoop() {
    for (auto& [fd, io] : readers_) ev_io_stop(loop_, io.get());
    for (ev_timer& timer : timers_) ev_timer_stop(loop_, &timer);
    ev_idle_stop(loop_, &idle_);
    ev_async_stop(loop_, &async_);
    ev_loop_destroy(loop_);
  }

  absl::Status watchReadable(int fd, const Callback* cb) {
    auto io = std::make_unique<ev_io>();
    ev_io_init(io.get(), &onIo, fd, EV_READ);
    io->data = const_cast<Callback*>(cb);
    ev_io_start(loop_, io.get());
    readers_[fd] = std::move(io);
    return absl::OkStatus();
  }

  void unwatch(int fd) {
    auto it = readers_.find(fd);
    if (it == readers_.end()) return;
    ev_io_stop(loop_, it->second.get());
    readers_.erase(it);
  }

  void reserveTimers(std::size_t n) {
    timers_.resize(n);
    for (ev_timer& timer : timers_) ev_init(&timer, &onTimer);
  }

  void startTimer(std::size_t slot, double delaySeconds, const Callback* cb) {
    ev_timer& timer = timers_[slot];
    ev_timer_set(&timer, delaySeconds, 0.0);
    timer.data = const_cast<Callback*>(cb);
    ev_timer_start(loop_, &timer);
  }

  void cancelTimer(std::size_t slot) { ev_timer_stop(loop_, &timers_[slot]); }

  void callSoon(const Callback* cb) {
    if (pending_.empty()) ev_idle_start(loop_, &idle_);
    pending_.push_back(cb);
  }

  void runOnce() { ev_run(loop_, EVRUN_NOWAIT); }

  // W6: any thread; ev_async_send wakes the loop, whose async watcher drains
  // the queue.
  void callFromThread(const Callback* cb) {
    if (crossThread_.push(cb)) ev_async_send(loop_, &async_);
  }
  void runBlocking() { ev_run(loop_, EVRUN_ONCE); }

 private:
  explicit LibevLoop(struct ev_loop* loop) : loop_(loop) {
    ev_idle_init(&idle_, &onIdle);
    idle_.data = this;
    ev_async_init(&async_, [](struct ev_loop*, ev_async* async, int) {
      static_cast<LibevLoop*>(async->data)->crossThread_.drain();
    });
    async_.data = this;
    ev_async_start(loop_, &async_);
  }

  static void onIo(struct ev_loop*, ev_io* io, int) {
    (*static_cast<const Callback*>(io->data))();
  }
  static void onTimer(struct ev_loop*, ev_timer* timer, int) {
    (*static_cast<const Callback*>(timer->data))();
  }
  // Runs the calls pending when the pass began; calls they schedule wait for
  // the next pass, as in Twisted.
  static void onIdle(struct ev_loop* loop, ev_idle* idle, int) {
    auto* self = static_cast<LibevLoop*>(idle->data);
    self->running_.swap(self->pending_);
    for (const Callback* cb : self->running_) (*cb)();
    self->running_.clear();
    if (self->pending_.empty()) ev_idle_stop(loop, idle);
  }

  struct ev_loop* loop_;
  ev_idle idle_;
  ev_async async_;
  CallQueue crossThread_;
  std::unordered_map<int, std::unique_ptr<ev_io>> readers_;
  std::vector<ev_timer> timers_;
  std::vector<const Callback*> pending_;
  std::vector<const Callback*> running_;
};

const bool kRegistered =
    registerWorkloads("libev", [] { return LibevLoop::create(); }) &&
    registerThreadWorkloads("libev", [] { return LibevLoop::create(); });

}  // namespace
}  // namespace torsion::bench
