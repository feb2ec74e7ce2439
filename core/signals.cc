#include "core/signals.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "base/log.h"
#include "core/persistent_reader.h"
#include "core/signal_table.h"

namespace torsion {
namespace internal {

// The reactor side of one watch: the read end of its self-pipe.
class SignalWatchReader final : public PersistentReader,
                                public std::enable_shared_from_this<SignalWatchReader> {
 public:
  SignalWatchReader(Reactor& reactor, int signo, absl::AnyInvocable<void(int)> f)
      : PersistentReader(reactor), signo_(signo), f_(std::move(f)) {}

  ~SignalWatchReader() override { stop(); }

  absl::Status start() {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      const int e = errno;
      return absl::InternalError(std::string("watchSignal: pipe2: ") + std::strerror(e));
    }
    readFd_ = fds[0];
    writeFd_ = fds[1];
    if (absl::Status s = acquireSignal(signo_); !s.ok()) {
      closePipe();
      return absl::Status(s.code(), "watchSignal: " + std::string(s.message()));
    }
    acquired_ = true;
    slot_ = addSubscriber(signo_, writeFd_);
    if (slot_ < 0) {
      stop();
      return absl::ResourceExhaustedError("watchSignal: too many signal watches");
    }
    if (absl::Status s = startWatching(); !s.ok()) {
      stop();
      return s;
    }
    return absl::OkStatus();
  }

  void stop() {
    stopWatching();
    if (slot_ >= 0) removeSubscriber(slot_);
    slot_ = -1;
    if (acquired_) releaseSignal(signo_);
    acquired_ = false;
    closePipe();
  }

  int fileno() const override { return readFd_; }

  LostReason doRead() override {
    char bytes[64];
    bool any = false;
    while (::read(readFd_, bytes, sizeof bytes) > 0) any = true;
    if (!any) return nullptr;
    // The callable may stop the last watch of this reader (a reaper whose
    // last child it reaped): stay alive until it returns.
    std::shared_ptr<SignalWatchReader> keep = shared_from_this();
    try {
      f_(signo_);
    } catch (...) {
      log::err("signals",
               "Unhandled error in the handler of signal " + std::to_string(signo_),
               std::current_exception());
    }
    return nullptr;
  }

  std::string logPrefix() const override {
    return "SignalWatch(" + std::to_string(signo_) + ")";
  }

 private:
  void closePipe() {
    if (readFd_ >= 0) ::close(readFd_);
    if (writeFd_ >= 0) ::close(writeFd_);
    readFd_ = writeFd_ = -1;
  }

  const int signo_;
  absl::AnyInvocable<void(int)> f_;
  int readFd_ = -1;
  int writeFd_ = -1;
  int slot_ = -1;
  bool acquired_ = false;
};

}  // namespace internal

SignalWatch::SignalWatch(std::shared_ptr<internal::SignalWatchReader> reader)
    : reader_(std::move(reader)) {}
SignalWatch::SignalWatch(SignalWatch&&) noexcept = default;
SignalWatch& SignalWatch::operator=(SignalWatch&& other) noexcept {
  if (this != &other) {
    stop();
    reader_ = std::move(other.reader_);
  }
  return *this;
}
SignalWatch::~SignalWatch() { stop(); }

void SignalWatch::stop() {
  if (reader_ == nullptr) return;
  reader_->stop();
  reader_.reset();
}

absl::StatusOr<SignalWatch> watchSignal(Reactor& reactor, int signo,
                                        absl::AnyInvocable<void(int)> f) {
  auto reader =
      std::make_shared<internal::SignalWatchReader>(reactor, signo, std::move(f));
  if (absl::Status s = reader->start(); !s.ok()) return s;
  return SignalWatch(std::move(reader));
}

}  // namespace torsion
