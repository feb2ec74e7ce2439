// libuv 1.44 running the shared workloads on its documented fast paths:
// uv_poll_t readiness watchers, uv_timer_t handles initialised once and
// started per round, and a uv_idle_t handle that drains a vector of pending
// calls for call-soon (libuv has no call-soon of its own).
#include <uv.h>

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "benchmarks/cross_thread.h"
#include "benchmarks/drivers.h"

namespace torsion::bench {
namespace {

absl::Status uvStatus(int rc, const std::string& call) {
  if (rc == 0) return absl::OkStatus();
  return absl::InternalError(call + " failed: " + uv_strerror(rc));
}

class UvLoop {
 public:
  static absl::StatusOr<std::unique_ptr<UvLoop>> create() {
    std::unique_ptr<UvLoop> self(new UvLoop());
    if (absl::Status s = uvStatus(uv_loop_init(&self->loop_), "uv_loop_init()");
        !s.ok()) {
      return s;
    }
    self->initialised_ = true;
    uv_idle_init(&self->loop_, &self->idle_);
    self->idle_.data = self.get();
    // W6: uv_async_send wakes the loop; the async callback drains the queue.
    uv_async_init(&self->loop_, &self->async_, [](uv_async_t* async) {
      static_cast<UvLoop*>(async->data)->crossThread_.drain();
    });
    self->async_.data = self.get();
    return self;
  }

  ~UvLoop() {
    if (!initialised_) return;
    // Handles must be closed, and the loop run, before uv_loop_close.
    for (auto& [fd, poll] : readers_) uv_close(asHandle(poll.get()), nullptr);
    for (uv_timer_t& timer : timers_) uv_close(asHandle(&timer), nullptr);
    uv_close(asHandle(&idle_), nullptr);
    uv_close(asHandle(&async_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }

  absl::Status watchReadable(int fd, const Callback* cb) {
    auto poll = std::make_unique<uv_poll_t>();
    if (absl::Status s = uvStatus(uv_poll_init(&loop_, poll.get(), fd),
                                  "uv_poll_init(fd=" + std::to_string(fd) + ")");
        !s.ok()) {
      return s;
    }
    poll->data = const_cast<Callback*>(cb);
    uv_poll_start(poll.get(), UV_READABLE, &onPoll);
    readers_[fd] = std::move(poll);
    return absl::OkStatus();
  }

  // Closing is asynchronous: the handle stays alive until its close callback.
  void unwatch(int fd) {
    auto it = readers_.find(fd);
    if (it == readers_.end()) return;
    uv_close(asHandle(it->second.release()),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    readers_.erase(it);
    uv_run(&loop_, UV_RUN_NOWAIT);
  }

  void reserveTimers(std::size_t n) {
    timers_ = std::vector<uv_timer_t>(n);
    for (uv_timer_t& timer : timers_) uv_timer_init(&loop_, &timer);
  }

  void startTimer(std::size_t slot, double delaySeconds, const Callback* cb) {
    uv_timer_t& timer = timers_[slot];
    timer.data = const_cast<Callback*>(cb);
    // libuv timers have millisecond resolution.
    uv_timer_start(&timer, &onTimer, static_cast<std::uint64_t>(delaySeconds * 1e3), 0);
  }

  void cancelTimer(std::size_t slot) { uv_timer_stop(&timers_[slot]); }

  void callSoon(const Callback* cb) {
    if (pending_.empty()) uv_idle_start(&idle_, &onIdle);
    pending_.push_back(cb);
  }

  void runOnce() { uv_run(&loop_, UV_RUN_NOWAIT); }

  // W6: any thread.
  void callFromThread(const Callback* cb) {
    if (crossThread_.push(cb)) uv_async_send(&async_);
  }
  void runBlocking() { uv_run(&loop_, UV_RUN_ONCE); }

 private:
  UvLoop() = default;

  template <typename H>
  static uv_handle_t* asHandle(H* h) {
    return reinterpret_cast<uv_handle_t*>(h);
  }
  static void onPoll(uv_poll_t* poll, int, int) {
    (*static_cast<const Callback*>(poll->data))();
  }
  static void onTimer(uv_timer_t* timer) {
    (*static_cast<const Callback*>(timer->data))();
  }
  // Runs the calls pending when the pass began; calls they schedule wait for
  // the next pass, as in Twisted.
  static void onIdle(uv_idle_t* idle) {
    auto* self = static_cast<UvLoop*>(idle->data);
    self->running_.swap(self->pending_);
    for (const Callback* cb : self->running_) (*cb)();
    self->running_.clear();
    if (self->pending_.empty()) uv_idle_stop(idle);
  }

  uv_loop_t loop_{};
  bool initialised_ = false;
  uv_idle_t idle_{};
  uv_async_t async_{};
  CallQueue crossThread_;
  std::unordered_map<int, std::unique_ptr<uv_poll_t>> readers_;
  std::vector<uv_timer_t> timers_;
  std::vector<const Callback*> pending_;
  std::vector<const Callback*> running_;
};

const bool kRegistered =
    registerWorkloads("libuv", [] { return UvLoop::create(); }) &&
    registerThreadWorkloads("libuv", [] { return UvLoop::create(); });

}  // namespace
}  // namespace torsion::bench
