// torsion's Reactor running the shared workloads on each backend
// (torsion_epoll, torsion_poll, torsion_select, torsion_io_uring where the
// kernel allows io_uring, and on Linux torsion_glib and torsion_qt: the
// reactor on a GMainContext and in Qt 5's event dispatcher, what a GTK or Qt
// program pays against epoll), through its public API:
// addReader/removeReader with a FileDescriptor, callLater/DelayedCall.cancel,
// callSoon, and iterate(0) as one non-blocking pass.
#include <sys/select.h>

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "benchmarks/drivers.h"
#include "core/file_descriptor.h"
#include "core/reactor.h"

#if defined(__linux__)
#include "backends/io_uring_backend.h"
#include "benchmarks/qt_application.h"
#endif

namespace torsion::bench {
namespace {

// A readable descriptor that runs the workload's callback.
class Reader final : public FileDescriptor {
 public:
  Reader(int fd, const Callback* cb) : fd_(fd), cb_(cb) {}
  int fileno() const override { return fd_; }
  LostReason doRead() override {
    (*cb_)();
    return nullptr;
  }
  void connectionLost(const LostReason&) override {}

 private:
  int fd_;
  const Callback* cb_;
};

class TorsionLoop {
 public:
  static absl::StatusOr<std::unique_ptr<TorsionLoop>> create(const std::string& backend) {
    auto reactor = Reactor::create(ReactorOptions{.backend = backend});
    if (!reactor.ok()) return reactor.status();
    return std::unique_ptr<TorsionLoop>(new TorsionLoop(std::move(*reactor)));
  }

  absl::Status watchReadable(int fd, const Callback* cb) {
    auto reader = std::make_unique<Reader>(fd, cb);
    if (absl::Status status = reactor_->addReader(reader.get()); !status.ok())
      return status;
    readers_[fd] = std::move(reader);
    return absl::OkStatus();
  }

  void unwatch(int fd) {
    auto it = readers_.find(fd);
    if (it == readers_.end()) return;
    reactor_->removeReader(it->second.get());
    readers_.erase(it);
  }

  // The peers' adapters allocate their timers here, untimed; torsion's
  // equivalent is reserving the queue's nodes and heap slots.
  void reserveTimers(std::size_t n) {
    calls_.resize(n);
    reactor_->reserveDelayedCalls(n);
  }

  void startTimer(std::size_t slot, double delaySeconds, const Callback* cb) {
    calls_[slot] = reactor_->callLater(Seconds(delaySeconds), [cb] { (*cb)(); });
  }

  void cancelTimer(std::size_t slot) { calls_[slot].cancel(); }

  // Reactor::callSoon is torsion's zero-delay call: callLater(0, f) without
  // the cancellable handle.
  void callSoon(const Callback* cb) {
    reactor_->callSoon([cb] { (*cb)(); });
  }

  void runOnce() { reactor_->iterate(Seconds(0)); }

 private:
  explicit TorsionLoop(std::unique_ptr<Reactor> reactor) : reactor_(std::move(reactor)) {}

  std::unique_ptr<Reactor> reactor_;
  std::unordered_map<int, std::unique_ptr<Reader>> readers_;
  std::vector<DelayedCall> calls_;
};

bool registerBackend(const std::string& backend, LoopLimits limits = {}) {
  return registerWorkloads(
      "torsion_" + backend, [backend] { return TorsionLoop::create(backend); }, limits);
}

// io_uring only where this kernel allows it. Asked of the backend itself: the
// registry may not be filled yet while static initialisers run.
bool registerIoUringIfAvailable() {
#if defined(__linux__)
  if (!IoUringBackend::probe().ok()) return true;
  return registerBackend("io_uring");
#else
  return true;
#endif
}

// glib is a backend by name only (the automatic choice never takes it): this
// binary links //backends:glib on Linux and asks for it by name.
bool registerGlib() {
#if defined(__linux__)
  return registerBackend("glib");
#else
  return true;
#endif
}

// qt likewise (//backends:qt); its loop needs a QCoreApplication, made when
// the first torsion_qt loop is.
bool registerQt() {
#if defined(__linux__)
  return registerWorkloads("torsion_qt", [] {
    ensureQtApplication();
    return TorsionLoop::create("qt");
  });
#else
  return true;
#endif
}

const bool kRegistered = registerBackend("epoll") && registerBackend("poll") &&
                         registerBackend("select", LoopLimits{FD_SETSIZE}) &&
                         registerIoUringIfAvailable() && registerGlib() && registerQt();

}  // namespace
}  // namespace torsion::bench
