// torsion/benchmarks/min_loop.h: the minimal hand-written event loop, the
// reference limit of the comparison report ("min_epoll", "min_poll",
// "min_select").
//
// No abstraction beyond what the workloads need: descriptors map straight to
// callbacks, timers are a binary heap of {deadline, seq, callback} with lazy
// cancellation, and call-soon is a vector of callback pointers. A real loop
// must do more (errors, hangups, re-entrancy, fairness); the gap between this
// loop and torsion is the price of that, and the report shows it.
//
//   auto loop = MinLoop<EpollPoller>::create();
//   (*loop)->callSoon(&callback);
//   (*loop)->runOnce();
#ifndef TORSION_BENCHMARKS_MIN_LOOP_H_
#define TORSION_BENCHMARKS_MIN_LOOP_H_

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "benchmarks/workload.h"

namespace torsion::bench {

// Poller is one of the classes in min_pollers.h.
template <typename Poller>
class MinLoop {
 public:
  static absl::StatusOr<std::unique_ptr<MinLoop>> create() {
    auto poller = Poller::create();
    if (!poller.ok()) return poller.status();
    return std::unique_ptr<MinLoop>(new MinLoop(std::move(*poller)));
  }

  absl::Status watchReadable(int fd, const Callback* cb) {
    if (absl::Status status = poller_->add(fd); !status.ok()) return status;
    if (static_cast<std::size_t>(fd) >= byFd_.size()) byFd_.resize(fd + 1, nullptr);
    byFd_[fd] = cb;
    return absl::OkStatus();
  }

  void unwatch(int fd) {
    poller_->remove(fd);
    byFd_[fd] = nullptr;
  }

  void reserveTimers(std::size_t n) {
    liveSeq_.assign(n, 0);
    heap_.reserve(n);
  }

  void startTimer(std::size_t slot, double delaySeconds, const Callback* cb) {
    const std::int64_t deadline = nowNs() + static_cast<std::int64_t>(delaySeconds * 1e9);
    liveSeq_[slot] = ++seq_;
    heap_.push_back(Timer{deadline, seq_, cb, slot});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }

  // Lazy: the heap entry stays until its deadline and is skipped then.
  void cancelTimer(std::size_t slot) { liveSeq_[slot] = 0; }

  void callSoon(const Callback* cb) { ready_.push_back(cb); }

  void runOnce() {
    if (!heap_.empty()) {
      const std::int64_t now = nowNs();
      while (!heap_.empty() && heap_.front().deadline <= now) {
        std::pop_heap(heap_.begin(), heap_.end(), Later{});
        const Timer timer = heap_.back();
        heap_.pop_back();
        if (liveSeq_[timer.slot] == timer.seq) {
          liveSeq_[timer.slot] = 0;
          (*timer.cb)();
        }
      }
    }
    // Calls scheduled while these run wait for the next pass, as in Twisted.
    running_.swap(ready_);
    for (const Callback* cb : running_) (*cb)();
    running_.clear();
    poller_->wait([this](int fd) {
      if (const Callback* cb = byFd_[fd]) (*cb)();
    });
  }

 private:
  struct Timer {
    std::int64_t deadline;
    std::uint64_t seq;
    const Callback* cb;
    std::size_t slot;
  };
  // std::push_heap builds a max-heap; "later" as less puts the earliest
  // deadline (then the lowest seq, FIFO) on top.
  struct Later {
    bool operator()(const Timer& a, const Timer& b) const {
      return a.deadline != b.deadline ? a.deadline > b.deadline : a.seq > b.seq;
    }
  };

  explicit MinLoop(std::unique_ptr<Poller> poller) : poller_(std::move(poller)) {}

  static std::int64_t nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  std::unique_ptr<Poller> poller_;
  std::vector<const Callback*> byFd_;
  std::vector<Timer> heap_;
  std::vector<std::uint64_t> liveSeq_;  // per slot: seq of its live timer, 0 if none
  std::uint64_t seq_ = 0;
  std::vector<const Callback*> ready_;
  std::vector<const Callback*> running_;
};

}  // namespace torsion::bench

#endif  // TORSION_BENCHMARKS_MIN_LOOP_H_
