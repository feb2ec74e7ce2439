// torsion/benchmarks/min_pollers.h: the three readiness pollers of the
// minimal loop (min_loop.h): epoll, poll and select, each the plainest use of
// its system call, read-interest only, zero timeout.
//
//   auto poller = EpollPoller::create();
//   (*poller)->add(fd);
//   (*poller)->wait([](int readyFd) { ... });
#ifndef TORSION_BENCHMARKS_MIN_POLLERS_H_
#define TORSION_BENCHMARKS_MIN_POLLERS_H_

#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include <memory>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace torsion::bench {

class EpollPoller {
 public:
  static absl::StatusOr<std::unique_ptr<EpollPoller>> create();
  ~EpollPoller();
  absl::Status add(int fd);
  void remove(int fd);
  // One epoll_wait with a zero timeout; calls `ready` for each readable fd.
  void wait(absl::FunctionRef<void(int)> ready);

 private:
  explicit EpollPoller(int epfd) : epfd_(epfd) {}
  int epfd_;
  epoll_event events_[256];
};

class PollPoller {
 public:
  static absl::StatusOr<std::unique_ptr<PollPoller>> create();
  absl::Status add(int fd);
  void remove(int fd);
  void wait(absl::FunctionRef<void(int)> ready);

 private:
  std::vector<pollfd> fds_;
  std::vector<int> indexOf_;  // fd -> position in fds_, -1 if absent
};

class SelectPoller {
 public:
  static absl::StatusOr<std::unique_ptr<SelectPoller>> create();
  // Fails for descriptors at or above FD_SETSIZE, which fd_set cannot hold.
  absl::Status add(int fd);
  void remove(int fd);
  void wait(absl::FunctionRef<void(int)> ready);

 private:
  SelectPoller();
  fd_set watched_;
  int maxFd_ = -1;
};

}  // namespace torsion::bench

#endif  // TORSION_BENCHMARKS_MIN_POLLERS_H_
