#include "benchmarks/min_pollers.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace torsion::bench {
namespace {

absl::Status errnoStatus(const std::string& call) {
  return absl::InternalError(call + " failed: " + std::strerror(errno));
}

}  // namespace

absl::StatusOr<std::unique_ptr<EpollPoller>> EpollPoller::create() {
  const int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return errnoStatus("epoll_create1()");
  return std::unique_ptr<EpollPoller>(new EpollPoller(epfd));
}

EpollPoller::~EpollPoller() { close(epfd_); }

absl::Status EpollPoller::add(int fd) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = fd;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    return errnoStatus("epoll_ctl(ADD, fd=" + std::to_string(fd) + ")");
  }
  return absl::OkStatus();
}

void EpollPoller::remove(int fd) { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

void EpollPoller::wait(absl::FunctionRef<void(int)> ready) {
  const int n = epoll_wait(epfd_, events_, sizeof events_ / sizeof events_[0], 0);
  for (int i = 0; i < n; ++i) ready(events_[i].data.fd);
}

absl::StatusOr<std::unique_ptr<PollPoller>> PollPoller::create() {
  return std::make_unique<PollPoller>();
}

absl::Status PollPoller::add(int fd) {
  if (static_cast<std::size_t>(fd) >= indexOf_.size()) indexOf_.resize(fd + 1, -1);
  if (indexOf_[fd] >= 0) return absl::AlreadyExistsError("fd already watched");
  indexOf_[fd] = static_cast<int>(fds_.size());
  fds_.push_back(pollfd{fd, POLLIN, 0});
  return absl::OkStatus();
}

void PollPoller::remove(int fd) {
  const int index = indexOf_[fd];
  if (index < 0) return;
  fds_[index] = fds_.back();
  indexOf_[fds_[index].fd] = index;
  fds_.pop_back();
  indexOf_[fd] = -1;
}

void PollPoller::wait(absl::FunctionRef<void(int)> ready) {
  int n = ::poll(fds_.data(), fds_.size(), 0);
  // Callbacks here never change the set, so scanning in place is safe.
  for (std::size_t i = 0; n > 0 && i < fds_.size(); ++i) {
    if (fds_[i].revents != 0) {
      --n;
      ready(fds_[i].fd);
    }
  }
}

absl::StatusOr<std::unique_ptr<SelectPoller>> SelectPoller::create() {
  return std::unique_ptr<SelectPoller>(new SelectPoller());
}

SelectPoller::SelectPoller() { FD_ZERO(&watched_); }

absl::Status SelectPoller::add(int fd) {
  if (fd >= FD_SETSIZE) {
    return absl::OutOfRangeError("select: fd " + std::to_string(fd) +
                                 " is not below FD_SETSIZE (" +
                                 std::to_string(FD_SETSIZE) + ")");
  }
  FD_SET(fd, &watched_);
  if (fd > maxFd_) maxFd_ = fd;
  return absl::OkStatus();
}

void SelectPoller::remove(int fd) {
  if (fd >= FD_SETSIZE) return;
  FD_CLR(fd, &watched_);
  while (maxFd_ >= 0 && !FD_ISSET(maxFd_, &watched_)) --maxFd_;
}

void SelectPoller::wait(absl::FunctionRef<void(int)> ready) {
  fd_set readable = watched_;
  timeval zero{0, 0};
  int n = select(maxFd_ + 1, &readable, nullptr, nullptr, &zero);
  for (int fd = 0; n > 0 && fd <= maxFd_; ++fd) {
    if (FD_ISSET(fd, &readable)) {
      --n;
      ready(fd);
    }
  }
}

}  // namespace torsion::bench
