#include "net/process_reaper.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/log.h"
#include "base/system_error.h"
#include "core/persistent_reader.h"
#include "core/signals.h"

namespace torsion::net::internal {
namespace {

std::atomic<bool> pidfdAllowed{true};

// waitpid(pid, WNOHANG): true when the child is gone, with its status (empty
// when another waiter took it: ECHILD).
bool tryReap(int pid, std::optional<int>& status) {
  int st = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &st, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid) {
    status = st;
    return true;
  }
  if (r < 0 && errno == ECHILD) {
    log::warn("process",
              "child " + std::to_string(pid) +
                  " was reaped by other code (waitpid(-1) or SIGCHLD ignored): "
                  "its exit status is lost");
    status.reset();
    return true;
  }
  return false;
}

int pidfdOpen(int pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

// ---- pidfd ------------------------------------------------------------------------

class PidfdReaper final : public ChildReaper, public torsion::internal::PersistentReader {
 public:
  explicit PidfdReaper(Reactor& reactor) : PersistentReader(reactor) {}
  ~PidfdReaper() override { stopWatchingAndClose(); }

  absl::Status watch(int pid, OnExit onExit) override {
    pid_ = pid;
    onExit_ = std::move(onExit);
    fd_ = pidfdOpen(pid);
    if (fd_ < 0) return statusFromErrno(errno, "pidfd_open(" + std::to_string(pid) + ")");
    return startWatching();
  }

  int sendSignal(int signo) override {
    if (fd_ < 0) return ESRCH;
#ifdef SYS_pidfd_send_signal
    if (::syscall(SYS_pidfd_send_signal, fd_, signo, nullptr, 0) == 0) return 0;
    return errno;
#else
    return ::kill(pid_, signo) == 0 ? 0 : errno;
#endif
  }

  int fileno() const override { return fd_; }

  LostReason doRead() override {
    std::optional<int> status;
    if (!tryReap(pid_, status)) return nullptr;
    stopWatchingAndClose();
    OnExit onExit = std::move(onExit_);
    onExit(status);  // last: it may release whoever owns us (on a later pass)
    return nullptr;
  }

  std::string logPrefix() const override {
    return "Process(" + std::to_string(pid_) + ")";
  }

 private:
  void stopWatchingAndClose() {
    stopWatching();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  int pid_ = -1;
  int fd_ = -1;
  OnExit onExit_;
};

// ---- SIGCHLD ------------------------------------------------------------------------

// One per reactor with children to reap, shared by their ChildReapers.
class SigchldWatch : public std::enable_shared_from_this<SigchldWatch> {
 public:
  void add(int pid, ChildReaper::OnExit* onExit) { children_[pid] = onExit; }
  void remove(int pid) { children_.erase(pid); }

  absl::Status start(Reactor& reactor) {
    auto watch = watchSignal(reactor, SIGCHLD, [this](int) { reapSome(); });
    if (!watch.ok()) return watch.status();
    watch_ = *std::move(watch);
    return absl::OkStatus();
  }

 private:
  void reapSome() {
    // A callback may let go of the last reaper holding this watch.
    std::shared_ptr<SigchldWatch> keep = shared_from_this();
    std::vector<std::pair<ChildReaper::OnExit*, std::optional<int>>> exited;
    for (auto it = children_.begin(); it != children_.end();) {
      std::optional<int> status;
      if (tryReap(it->first, status)) {
        exited.emplace_back(it->second, status);
        it = children_.erase(it);
      } else {
        ++it;
      }
    }
    // Each callback may release its reaper (on a later pass), never this
    // watch's other entries: they were collected first.
    for (auto& [onExit, status] : exited) {
      ChildReaper::OnExit f = std::move(*onExit);
      f(status);
    }
  }

  std::map<int, ChildReaper::OnExit*> children_;
  SignalWatch watch_;
};

std::mutex watchesMutex;
std::map<Reactor*, std::weak_ptr<SigchldWatch>> watches;  // guarded

absl::StatusOr<std::shared_ptr<SigchldWatch>> sigchldWatchFor(Reactor& reactor) {
  std::lock_guard<std::mutex> lock(watchesMutex);
  if (auto existing = watches[&reactor].lock()) return existing;
  // The deleter forgets the entry too, so the map stays small.
  Reactor* key = &reactor;
  std::shared_ptr<SigchldWatch> w(new SigchldWatch, [key](SigchldWatch* p) {
    {
      std::lock_guard<std::mutex> l(watchesMutex);
      auto it = watches.find(key);
      if (it != watches.end() && it->second.expired()) watches.erase(it);
    }
    delete p;
  });
  if (absl::Status s = w->start(reactor); !s.ok()) return s;
  watches[&reactor] = w;
  return w;
}

class SigchldReaper final : public ChildReaper {
 public:
  explicit SigchldReaper(std::shared_ptr<SigchldWatch> watch)
      : watch_(std::move(watch)) {}
  ~SigchldReaper() override {
    if (watch_ && pid_ > 0) watch_->remove(pid_);
  }

  absl::Status watch(int pid, OnExit onExit) override {
    pid_ = pid;
    onExit_ = [this, f = std::move(onExit)](std::optional<int> status) mutable {
      reaped_ = true;
      // Nothing left to reap: the last child of its reactor stops the
      // SIGCHLD watch now, not when the transport is released.
      std::shared_ptr<SigchldWatch> done = std::move(watch_);
      f(status);
    };
    watch_->add(pid, &onExit_);
    return absl::OkStatus();
  }

  int sendSignal(int signo) override {
    // Until it is reaped the pid cannot be reused, so kill() is safe.
    if (reaped_ || pid_ <= 0) return ESRCH;
    return ::kill(pid_, signo) == 0 ? 0 : errno;
  }

 private:
  std::shared_ptr<SigchldWatch> watch_;
  int pid_ = -1;
  bool reaped_ = false;
  OnExit onExit_;
};

}  // namespace

void setPidfdAllowed(bool allowed) { pidfdAllowed.store(allowed); }

absl::StatusOr<std::unique_ptr<ChildReaper>> ChildReaper::prepare(Reactor& reactor) {
  static const bool kernelHasPidfd = [] {
    const int fd = pidfdOpen(::getpid());
    if (fd >= 0) ::close(fd);
    return fd >= 0;
  }();
  if (kernelHasPidfd && pidfdAllowed.load())
    return std::make_unique<PidfdReaper>(reactor);
  auto watch = sigchldWatchFor(reactor);
  if (!watch.ok()) return watch.status();
  return std::make_unique<SigchldReaper>(*std::move(watch));
}

}  // namespace torsion::net::internal
