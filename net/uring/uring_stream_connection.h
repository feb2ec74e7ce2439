// torsion/net/uring/uring_stream_connection.h: a connected stream socket
// (TCP or Unix) whose bytes move through io_uring completions (internal).
//
// The counterpart of net/iocp/iocp_stream_connection.h on the io_uring
// backend's port (backends/io_uring_port.h): a multishot IORING_OP_RECV
// into the port's provided buffers (or, without them, one IORING_OP_RECV
// into the connection's own buffer at a time), none while paused, and one
// IORING_OP_SEND (SENDMSG for several pieces) of the write buffer's front.
// Both are queued and reach the kernel with the reactor's next
// io_uring_enter, the one that waits: no system call per read or write.
// State, write buffer, producers and close semantics are StreamTransport's
// (net/stream_transport.h), shared with the readiness connection, which
// defines the observable behaviour.
//
// Closing: the requests in flight are cancelled and submitted at once (a
// live request holds the file, so close() would not yet send FIN or RST),
// then the socket is closed; completions after that count as aborted. Each
// request holds a shared_ptr to the connection, so its buffers outlive it.
//
//   if (IoUringPort* port = ioUringPortOf(reactor.completionPort())) {
//     auto conn = std::make_shared<internal::UringStreamConnection>(
//         reactor, *port, fd, protocol, StreamKind::kTcp);
//     absl::Status s = internal::StreamTransport::start(conn);
//   }
//
// Linux only. Thread-safety: reactor thread only.
#ifndef TORSION_NET_URING_URING_STREAM_CONNECTION_H_
#define TORSION_NET_URING_URING_STREAM_CONNECTION_H_

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "backends/io_uring_port.h"
#include "core/reactor.h"
#include "net/completion_stream_transport.h"
#include "net/completion_support.h"
#include "net/protocol.h"
#include "net/stream_transport.h"
#include "net/uring/shutdown_list.h"

namespace torsion::net::internal {

class UringStreamConnection final : public CompletionStreamTransport,
                                    public ShutdownList::Member {
 public:
  // Bytes asked of one single-shot receive (without provided buffers):
  // the connection's own buffer, since the kernel fills it while other
  // connections run.
  static constexpr std::size_t kReadSize = 64 * 1024;
  // Pieces of the write buffer handed to one SENDMSG.
  static constexpr int kMaxPieces = 64;

  // Takes ownership of `fd`, a connected non-blocking stream socket.
  UringStreamConnection(Reactor& reactor, IoUringPort& port, int fd,
                        std::shared_ptr<Protocol> protocol, StreamKind kind);
  ~UringStreamConnection() override;

  // ---- CompletionOwner (and StreamTransport) -----------------------------------
  std::string logPrefix() const override;

  // ---- For white-box tests -----------------------------------------------------
  // Requests started and not yet completed.
  int operationsInFlight() const { return inFlight_; }
  bool socketClosed() const { return fd_ < 0; }
  int fileno() const { return fd_; }

 private:
  // ---- StreamTransport ---------------------------------------------------------
  int socketFd() const override { return fd_; }
  absl::Status beginIo() override;
  void afterConnectionMade() override { startRead(); }
  void resumeReading() override;
  // Cancels a multishot receive; what comes in meanwhile is held until
  // resumeProducing (as a single-shot receive's one result is).
  void stopReading() override;
  // Closing the socket (closeIo, on the next pass) cancels what is in flight.
  void cancelIo() override {}
  void closeIo() override;
  void shutdownWriteSide() override;
  // ---- ShutdownList::Member --------------------------------------------------------
  void reactorShutdown() override;

  std::shared_ptr<UringStreamConnection> shared() {
    return std::static_pointer_cast<UringStreamConnection>(shared_from_this());
  }
  // Queues one request whose completion runs `Done` on this connection. A
  // template argument, so that the callback holds nothing but the
  // connection and fits the operation without an allocation of its own.
  template <void (UringStreamConnection::*Done)(std::uint32_t, std::uint32_t)>
  std::uint64_t startOp(absl::FunctionRef<void(io_uring_sqe&)> prepare);
  void startRead();
  void readDone(std::uint32_t error, std::uint32_t bytes);
  // One result for the protocol: bytes, end of file (empty) or an error.
  void deliver(std::uint32_t error, std::string_view data);
  void deliverHeld();
  void startSend() override;
  void sendDone(std::uint32_t error, std::uint32_t bytes);

  IoUringPort& port_;
  int fd_;
  std::shared_ptr<ShutdownList> shutdownList_;  // joined from beginIo to closeIo
  std::unique_ptr<char[]> readBuffer_;
  // What a SENDMSG names; the kernel may read it until the request
  // completes. Allocated for that request only: an idle connection, or one
  // whose pending bytes fit one block (a SEND), does not carry 1 KiB of
  // iovecs.
  struct SendVector {
    msghdr header{};
    iovec pieces[kMaxPieces];
  };
  std::unique_ptr<SendVector> sendVector_;

  int inFlight_ = 0;
  std::uint64_t readId_ = 0;  // the receive in flight (reading_)
  std::uint64_t sendId_ = 0;  // the send in flight (sending_)
  bool reading_ = false;
  bool multishot_ = false;   // the receive in flight is multishot
  bool cancelling_ = false;  // and stopReading() cancelled it
  // What receives brought while paused, in order, then maybe the end (EOF
  // or an error): delivered on resume. On the heap while there is some:
  // most connections never have any.
  struct Held {
    std::string data;
    std::size_t offset = 0;  // delivered already
    bool end = false;
    std::uint32_t error = 0;
  };
  std::unique_ptr<Held> held_;  // null: nothing held
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_URING_URING_STREAM_CONNECTION_H_
