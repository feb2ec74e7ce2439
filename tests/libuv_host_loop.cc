// A libuv loop driving the reactor (tests/host_loop.h): a uv_poll_t on
// reactor.backendFileno() and a uv_timer_t re-armed from reactor.timeout()
// after every step, the way a libuv program would host torsion. Only this
// test links libuv; torsion's libraries do not.
#include <uv.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "tests/host_loop.h"

namespace torsion::testing {
namespace {

void check(int rc, const char* call) {
  if (rc != 0) throw std::runtime_error(std::string(call) + ": " + uv_strerror(rc));
}

class LibuvHostLoop final : public HostLoop {
 public:
  LibuvHostLoop(Reactor& reactor, int fd) : reactor_(reactor) {
    check(uv_loop_init(&loop_), "uv_loop_init");
    check(uv_poll_init(&loop_, &poll_, fd), "uv_poll_init");
    check(uv_timer_init(&loop_, &timer_), "uv_timer_init");
    check(uv_timer_init(&loop_, &limit_), "uv_timer_init");
    poll_.data = timer_.data = limit_.data = this;
    check(uv_poll_start(&poll_, UV_READABLE,
                        [](uv_poll_t* h, int, int) { self(h)->step(); }),
          "uv_poll_start");
  }

  ~LibuvHostLoop() override {
    for (uv_handle_t* h :
         {reinterpret_cast<uv_handle_t*>(&poll_), reinterpret_cast<uv_handle_t*>(&timer_),
          reinterpret_cast<uv_handle_t*>(&limit_)}) {
      uv_close(h, nullptr);
    }
    uv_run(&loop_, UV_RUN_DEFAULT);  // runs the close callbacks
    uv_loop_close(&loop_);
  }

  bool runUntil(const std::function<bool()>& done, Seconds limit) override {
    timedOut_ = false;
    uv_update_time(&loop_);
    uv_timer_start(
        &limit_, [](uv_timer_t* h) { self(h)->timedOut_ = true; }, toMillis(limit), 0);
    armTimer();  // the test may have scheduled calls before the loop ran
    done_ = &done;
    while (!done() && !timedOut_) uv_run(&loop_, UV_RUN_ONCE);
    done_ = nullptr;
    uv_timer_stop(&limit_);
    return done();
  }

  std::string_view name() const override { return "libuv"; }

 private:
  template <typename Handle>
  static LibuvHostLoop* self(Handle* h) {
    return static_cast<LibuvHostLoop*>(h->data);
  }

  // Rounded up: waking before a timer is due only costs an empty step.
  static std::uint64_t toMillis(Seconds s) {
    return static_cast<std::uint64_t>(std::ceil(s.count() * 1000));
  }

  void step() {
    reactor_.iterate();
    ++steps_;
    armTimer();
    // uv_run may go on to block in its poll after running timers: end it
    // now rather than at the next event.
    if (done_ != nullptr && (*done_)()) uv_stop(&loop_);
  }

  void armTimer() {
    std::optional<Seconds> t = reactor_.timeout();
    if (!t) {
      uv_timer_stop(&timer_);
      return;
    }
    uv_timer_start(
        &timer_, [](uv_timer_t* h) { self(h)->step(); }, toMillis(*t), 0);
  }

  Reactor& reactor_;
  uv_loop_t loop_;
  uv_poll_t poll_;
  uv_timer_t timer_;  // the reactor's next timer
  uv_timer_t limit_;  // runUntil's limit
  bool timedOut_ = false;
  const std::function<bool()>* done_ = nullptr;  // during runUntil
};

}  // namespace

absl::StatusOr<std::unique_ptr<HostLoop>> makeHostLoop(Reactor& reactor) {
  return hostLoopOnBackendFileno<LibuvHostLoop>(reactor);
}

}  // namespace torsion::testing
