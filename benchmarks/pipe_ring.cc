#include "benchmarks/pipe_ring.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/status.h"

namespace torsion::bench {

absl::StatusOr<std::unique_ptr<PipeRing>> PipeRing::create(int n) {
  if (n < 1) return absl::InvalidArgumentError("PipeRing needs at least one pair");
  std::unique_ptr<PipeRing> ring(new PipeRing());
  // Reserve first: callbacks point into slots_, which must never move.
  ring->slots_.reserve(n);
  for (int i = 0; i < n; ++i) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
      return absl::ResourceExhaustedError("socketpair() for pair " + std::to_string(i) +
                                          " of " + std::to_string(n) +
                                          " failed: " + std::strerror(errno));
    }
    ring->slots_.push_back(Slot{ring.get(), i, fds[0], fds[1], {}});
    Slot& slot = ring->slots_.back();
    slot.callback = Callback{&PipeRing::onReadable, &slot};
  }
  return ring;
}

PipeRing::~PipeRing() {
  for (const Slot& slot : slots_) {
    close(slot.readFd);
    close(slot.writeFd);
  }
}

int PipeRing::maxFd() const {
  int result = -1;
  for (const Slot& slot : slots_) result = std::max({result, slot.readFd, slot.writeFd});
  return result;
}

void PipeRing::seed(int active, std::int64_t writes) {
  const int n = size();
  active = std::clamp(active, 1, n);
  // Spread the chains evenly around the ring, as libevent's bench does.
  const int space = n / active;
  writesLeft_ = writes;
  for (int i = 0; i < active; ++i) {
    if (send(slots_[static_cast<std::size_t>(i) * space].writeFd, "e", 1, 0) == 1) {
      ++sent_;
    } else {
      ++failures_;
    }
  }
}

void PipeRing::onReadable(void* arg) {
  Slot& slot = *static_cast<Slot*>(arg);
  PipeRing& ring = *slot.ring;
  char byte;
  if (recv(slot.readFd, &byte, 1, 0) == 1) {
    ++ring.received_;
  } else {
    ++ring.failures_;
    return;
  }
  if (ring.writesLeft_ > 0) {
    --ring.writesLeft_;
    const int next = slot.index + 1 == ring.size() ? 0 : slot.index + 1;
    if (send(ring.slots_[next].writeFd, "e", 1, 0) == 1) {
      ++ring.sent_;
    } else {
      ++ring.failures_;
    }
  }
}

long raiseFdLimit(long wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  const auto target = static_cast<rlim_t>(wanted);
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < target) {
    // Root (CAP_SYS_RESOURCE) may raise the hard limit too; others get as far
    // as the hard limit allows.
    rlimit raised{target, std::max(target, limit.rlim_max)};
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
      limit.rlim_cur = std::min(target, limit.rlim_max);
      setrlimit(RLIMIT_NOFILE, &limit);
    }
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur == RLIM_INFINITY ? wanted : static_cast<long>(limit.rlim_cur);
}

}  // namespace torsion::bench
