#include "net/process_pipes.h"

#include <signal.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <span>
#include <utility>

#include "base/log.h"
#include "base/system_error.h"
#include "core/errors.h"
#include "net/read_buffer.h"
#include "net/stream_lost.h"

namespace torsion::net::internal {
namespace {

constexpr int kMaxIov = 64;

LostReason lostFromErrno(const char* call, int e) {
  return std::make_exception_ptr(
      ConnectionLost("ConnectionLost: " + std::string(call) + ": " + errnoText(e)));
}

bool wouldBlock(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }

// Blocks SIGPIPE on this thread for one write, and takes the SIGPIPE that
// write raised (a pipe without readers), so it is never delivered.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    sigset_t pending;
    sigpending(&pending);
    pendingBefore_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeGuard() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  void wrote(long n, int e) {
    if (n >= 0 || e != EPIPE || pendingBefore_) return;
    const struct timespec zero = {};
    while (::sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool pendingBefore_ = false;
};

}  // namespace

// ---- ProcessPipe ------------------------------------------------------------------

ProcessPipe::ProcessPipe(Reactor& reactor, PipeOwner& owner, int childFD, int fd)
    : reactor_(reactor), owner_(owner), childFD_(childFD), fd_(fd) {}

ProcessPipe::~ProcessPipe() {
  // Reached open only when spawning failed after the pipe was made, or the
  // reactor went first: the reactor must not be touched here.
  if (fd_ >= 0) ::close(fd_);
}

std::string ProcessPipe::logPrefix() const {
  return "ProcessPipe(child fd " + std::to_string(childFD_) + ")";
}

void ProcessPipe::setInterest(bool on, bool& flag, bool reading) {
  if (on == flag) return;
  if (on) {
    absl::Status s = reading ? reactor_.addReader(this) : reactor_.addWriter(this);
    if (!s.ok()) {
      log::err("process", logPrefix() +
                              (reading ? ": cannot read: " : ": cannot write: ") +
                              std::string(s.message()));
      return;
    }
  } else if (reading) {
    reactor_.removeReader(this);
  } else {
    reactor_.removeWriter(this);
  }
  flag = on;
}

void ProcessPipe::closeSoon(LostReason reason) {
  if (closing_ || fd_ < 0) return;
  closing_ = true;
  setReading(false);
  setWriting(false);
  reactor_.callSoon([this, reason = std::move(reason)] { connectionLost(reason); });
}

void ProcessPipe::connectionLost(const LostReason& reason) {
  if (fd_ < 0) return;
  // The reactor has dropped us already (or closeSoon did).
  reading_ = writing_ = false;
  ::close(fd_);
  fd_ = -1;
  released();
  owner_.childConnectionLost(childFD_, reason);  // last: it may end the process
}

// ---- PipeReader ---------------------------------------------------------------------

absl::Status PipeReader::start() {
  if (absl::Status s = reactor_.addReader(this); !s.ok()) return s;
  reading_ = true;
  return absl::OkStatus();
}

LostReason PipeReader::doRead() {
  const std::span<char> buffer = readBuffer();
  const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
  if (n > 0) {
    owner_.childDataReceived(
        childFD_, std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    return nullptr;
  }
  if (n == 0) return std::make_exception_ptr(ConnectionDone());
  const int e = errno;
  if (wouldBlock(e)) return nullptr;
  return lostFromErrno("read", e);
}

// ---- PipeWriter ---------------------------------------------------------------------

absl::Status PipeWriter::start() {
  if (absl::Status s = reactor_.addReader(this); !s.ok()) return s;
  reading_ = true;
  return absl::OkStatus();
}

long PipeWriter::writeSome(const std::string_view* pieces, std::size_t count) {
  IoVec iov[kMaxIov];
  int n = 0;
  if (buffer_.empty()) {
    for (std::size_t i = 0; i < count && n < kMaxIov; ++i) {
      if (!pieces[i].empty()) setIoVec(iov[n++], pieces[i].data(), pieces[i].size());
    }
  } else {
    n = buffer_.gather(iov, kMaxIov);
  }
  SigpipeGuard guard;
  const long written = ::writev(fd_, iov, n);
  const int e = errno;
  guard.wrote(written, e);
  errno = e;
  return written;
}

void PipeWriter::writePieces(const std::string_view* pieces, std::size_t count) {
  if (closing_ || disconnecting_ || !open()) return;
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) total += pieces[i].size();
  if (total == 0) return;
  std::size_t sent = 0;
  if (buffer_.empty()) {
    const long n = writeSome(pieces, count);
    if (n < 0) {
      const int e = errno;
      if (!wouldBlock(e)) {
        closeSoon(lostFromErrno("write", e));
        return;
      }
    } else {
      sent = static_cast<std::size_t>(n);
    }
  }
  if (sent == total) return;
  if (buffer_.size() + (total - sent) > limits_.hardLimit) {
    closeSoon(hardLimitExceeded(logPrefix(), limits_.hardLimit));
    return;
  }
  for (std::size_t i = 0; i < count; ++i) {
    std::string_view piece = pieces[i];
    const std::size_t skip = std::min(sent, piece.size());
    sent -= skip;
    piece.remove_prefix(skip);
    if (!piece.empty()) buffer_.append(piece);
  }
  // Watching for the reader's close and for writability at once confuses
  // kqueue (a read filter on a pipe's write end): one at a time, as Twisted.
  setReading(false);
  setWriting(true);
  producer_.bufferGrew(buffer_.size(), limits_);
}

LostReason PipeWriter::doWrite() {
  if (!buffer_.empty()) {
    const long n = writeSome(nullptr, 0);
    if (n < 0) {
      const int e = errno;
      if (wouldBlock(e)) return nullptr;
      return lostFromErrno("write", e);
    }
    buffer_.consume(static_cast<std::size_t>(n));
    if (!buffer_.empty()) {
      producer_.bufferShrank(buffer_.size(), limits_);
      return nullptr;
    }
  }
  setWriting(false);
  setReading(true);
  if (producer_.bufferEmptied()) return nullptr;
  if (disconnecting_ && !producer_.registered()) {
    return std::make_exception_ptr(ConnectionDone());
  }
  return nullptr;
}

LostReason PipeWriter::doRead() {
  return std::make_exception_ptr(
      ConnectionLost("ConnectionLost: the child closed its end of the pipe"));
}

void PipeWriter::loseConnection() {
  if (closing_ || disconnecting_ || !open()) return;
  disconnecting_ = true;
  if (buffer_.empty() && !producer_.registered()) {
    closeSoon(std::make_exception_ptr(ConnectionDone()));
  }
}

void PipeWriter::registerProducer(Producer* producer, bool streaming) {
  producer_.registerProducer(producer, streaming, open() && !closing_);
}

void PipeWriter::unregisterProducer() {
  producer_.unregisterProducer();
  if (disconnecting_ && buffer_.empty()) {
    closeSoon(std::make_exception_ptr(ConnectionDone()));
  }
}

void PipeWriter::released() {
  buffer_.clear();
  producer_.connectionLost(logPrefix());
}

}  // namespace torsion::net::internal
