#include "net/uring/uring_stream_connection.h"

#include <errno.h>

#include <algorithm>
#include <string>
#include <utility>

#include "core/errors.h"
#include "net/errors.h"
#include "net/socket_address.h"
#include "net/socket_ops.h"

namespace torsion::net::internal {
namespace {

LostReason lostFromErrno(const char* call, std::uint32_t e) {
  return std::make_exception_ptr(ConnectionLost("ConnectionLost: " + std::string(call) +
                                                ": " +
                                                socketErrorText(static_cast<int>(e))));
}

}  // namespace

UringStreamConnection::UringStreamConnection(Reactor& reactor, IoUringPort& port, int fd,
                                             std::shared_ptr<Protocol> protocol,
                                             StreamKind kind)
    : CompletionStreamTransport(reactor, std::move(protocol), kind),
      port_(port),
      fd_(fd) {}

UringStreamConnection::~UringStreamConnection() {
  // Reached with an open socket only when start() never ran or the reactor
  // went away first: no request can be live (each one holds us).
  if (shutdownList_) shutdownList_->leave(*this);
  if (fd_ >= 0) closeSocket(fd_);
}

absl::Status UringStreamConnection::beginIo() {
  shutdownList_ = ShutdownList::of(reactor_, port_);
  shutdownList_->join(*this);
  return absl::OkStatus();
}

void UringStreamConnection::reactorShutdown() {
  std::shared_ptr<UringStreamConnection> self = shared();
  closeNow(std::make_exception_ptr(ConnectionLost()));
}

std::string UringStreamConnection::logPrefix() const {
  return std::string(kind_ == StreamKind::kTcp ? "TCP" : "UNIX") +
         "Connection(io_uring, fd=" + std::to_string(fd_) + ")";
}

template <void (UringStreamConnection::*Done)(std::uint32_t, std::uint32_t)>
std::uint64_t UringStreamConnection::startOp(
    absl::FunctionRef<void(io_uring_sqe&)> prepare) {
  ++inFlight_;
  return port_.start(std::make_unique<CompletionOperation>(
                         *this,
                         [self = shared()](std::uint32_t error, std::uint32_t bytes) {
                           --self->inFlight_;
                           ((*self).*Done)(error, bytes);
                         }),
                     prepare);
}

// ---- Reading ---------------------------------------------------------------------

void UringStreamConnection::startRead() {
  if (reading_ || lost_ || fd_ < 0 || readPaused_ || held_ || readDisconnected_ ||
      disconnecting_ || aborting_) {
    return;
  }
  reading_ = true;
  const int group = port_.receiveBufferGroup();
  multishot_ = group >= 0;
  if (multishot_) {
    // Goes on until it fails, the peer closes, or the shared buffers run
    // out (ENOBUFS: asked again at once, the bytes wait in the socket).
    readId_ = startOp<&UringStreamConnection::readDone>([&](io_uring_sqe& sqe) {
      io_uring_prep_recv_multishot(&sqe, fd_, nullptr, 0, 0);
      sqe.flags |= IOSQE_BUFFER_SELECT;
      sqe.buf_group = static_cast<std::uint16_t>(group);
    });
    return;
  }
  if (!readBuffer_) readBuffer_.reset(new char[kReadSize]);
  readId_ = startOp<&UringStreamConnection::readDone>([this](io_uring_sqe& sqe) {
    io_uring_prep_recv(&sqe, fd_, readBuffer_.get(), kReadSize, 0);
  });
}

void UringStreamConnection::readDone(std::uint32_t error, std::uint32_t bytes) {
  const std::uint32_t flags = port_.cqeFlags();
  // A provided buffer goes back to the kernel when this returns, however.
  struct Release {
    IoUringPort& port;
    std::uint32_t flags;
    ~Release() { port.releaseBuffer(flags); }
  } release{port_, flags};
  const bool more = multishot_ && (flags & IORING_CQE_F_MORE) != 0;
  if (!more) {
    reading_ = false;
    cancelling_ = false;
  }
  // After close every completion counts as aborted, whatever it carries.
  if (lost_ || fd_ < 0) return;
  if (!more &&
      (error == ECANCELED || error == ENOBUFS || error == EINTR || error == EAGAIN)) {
    // Ended without a result (paused, buffers ran out): ask again, if
    // reading is still wanted.
    startRead();
    return;
  }
  if (multishot_ && error == EINVAL) {
    port_.multishotRefused();  // from now on one receive at a time
    startRead();
    return;
  }
  const std::string_view data = error != 0   ? std::string_view()
                                : multishot_ ? port_.receivedBytes(flags, bytes)
                                             : std::string_view(readBuffer_.get(), bytes);
  const bool end = error != 0 || bytes == 0;
  if (readPaused_ || held_) {
    // Paused while a receive was out: keep what it brought, in order,
    // until resumeProducing.
    if (!held_) held_ = std::make_unique<Held>();
    held_->data.append(data);
    held_->end = end;
    held_->error = error;
    return;
  }
  deliver(error, data);
  // A multishot receive that goes on needs nothing; one that ended after
  // data (or a single-shot one) is asked again.
  if (!end && !more) startRead();
}

void UringStreamConnection::deliver(std::uint32_t error, std::string_view data) {
  // loseConnection()/abortConnection() stop reading.
  if (lost_ || disconnecting_ || aborting_) return;
  if (error != 0) {
    closeNow(lostFromErrno("recv", error));
    return;
  }
  if (data.empty()) {
    if (peerResetAtEof(fd_)) {
      closeNow(lostFromErrno("recv", kConnectionReset));
      return;
    }
    peerFinishedWriting();
    return;
  }
  // A throw stops here: the completion policy disconnects us.
  protocol_->dataReceived(data);
}

void UringStreamConnection::stopReading() {
  // A multishot receive would go on filling buffers: end it. What it
  // brings until then is held. A single-shot one brings at most one result,
  // also held.
  if (reading_ && multishot_ && !cancelling_) {
    cancelling_ = true;
    port_.cancel(readId_);
  }
}

void UringStreamConnection::resumeReading() {
  if (held_) {
    // Never re-entrantly: the held bytes (maybe then EOF) come next pass.
    callSoonFor(reactor_, shared(), [self = shared()] {
      if (self->held_ && !self->readPaused_) self->deliverHeld();
    });
    return;
  }
  startRead();
}

void UringStreamConnection::deliverHeld() {
  // A multishot receive may have brought much more than one read before its
  // cancellation took effect. Hand it over a read's worth at a time and
  // stop as soon as the protocol pauses again, as a readiness transport
  // stops reading: its write buffer's backlog stays as bounded there.
  Held& h = *held_;  // closeIo empties it but keeps it until we are done
  while (h.offset < h.data.size()) {
    if (lost_ || readPaused_) return;  // the rest waits for the next resume
    const std::size_t n = std::min(kReadSize, h.data.size() - h.offset);
    const std::string_view piece(h.data.data() + h.offset, n);
    h.offset += n;
    deliver(0, piece);
  }
  if (lost_ || readPaused_) return;
  const bool end = h.end;
  const std::uint32_t error = h.error;
  held_.reset();
  if (end) {
    deliver(error, {});
    return;
  }
  startRead();
}

// ---- Writing ---------------------------------------------------------------------

void UringStreamConnection::startSend() {
  if (sending_ || buffer_.empty() || lost_ || fd_ < 0) return;
  // The common case, one piece, takes the cheaper SEND: its SQE names the
  // bytes, which stay put in the write buffer until the completion.
  iovec first[2];
  if (buffer_.gather(first, 2) == 1) {
    sending_ = true;
    sendId_ = startOp<&UringStreamConnection::sendDone>([&](io_uring_sqe& sqe) {
      io_uring_prep_send(&sqe, fd_, first[0].iov_base, first[0].iov_len, MSG_NOSIGNAL);
    });
    return;
  }
  if (!sendVector_) sendVector_ = std::make_unique<SendVector>();
  SendVector& v = *sendVector_;
  v.header = msghdr{};
  v.header.msg_iov = v.pieces;
  v.header.msg_iovlen = static_cast<std::size_t>(buffer_.gather(v.pieces, kMaxPieces));
  sending_ = true;
  sendId_ = startOp<&UringStreamConnection::sendDone>([&](io_uring_sqe& sqe) {
    io_uring_prep_sendmsg(&sqe, fd_, &v.header, MSG_NOSIGNAL);
  });
}

void UringStreamConnection::sendDone(std::uint32_t error, std::uint32_t bytes) {
  sending_ = false;
  sendVector_.reset();  // the kernel is done with it
  if (lost_ || fd_ < 0 || aborting_) {
    // The bytes were in flight until now; they may go.
    buffer_.clear();
    return;
  }
  if (error == EINTR || error == EAGAIN) {  // nothing went: send again
    startSend();
    return;
  }
  if (error != 0) {
    closeNow(lostFromErrno("sendmsg", error));
    return;
  }
  sendSucceeded(bytes);
}

void UringStreamConnection::shutdownWriteSide() { shutdownWrite(fd_); }

// ---- Closing ---------------------------------------------------------------------

void UringStreamConnection::closeIo() {
  if (shutdownList_) shutdownList_->leave(*this);
  if (fd_ >= 0) {
    if (reading_ || sending_) {
      // A live request holds the file: without this, close() would leave
      // the connection open until the request ended.
      if (reading_) port_.cancel(readId_);
      if (sending_) port_.cancel(sendId_);
      port_.flush();
    }
    if (sendReset_) {
      // SO_LINGER {on, 0}: close() sends RST and drops unsent data.
      linger l{1, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    closeSocket(fd_);
    fd_ = -1;
  }
  // Bytes of a send in flight stay until its (cancelled) completion.
  if (!sending_) buffer_.clear();
  if (held_) {
    // Emptied, not freed: deliverHeld may be reading it further up the
    // stack (a protocol that aborts from dataReceived).
    held_->data.clear();
    held_->offset = 0;
    held_->end = false;
  }
}

}  // namespace torsion::net::internal
