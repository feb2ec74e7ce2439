// torsion/net/stream_connection.h: a connected stream socket (TCP or Unix)
// as a readiness-driven Transport (internal).
//
// Mirrors twisted.internet.tcp.Connection / Server / Client on top of
// abstract.FileDescriptor: reading into a per-thread buffer when the
// reactor reports the socket readable, writing with sendmsg() at once and
// buffering the rest until it is writable. The state, write buffer,
// producers and close semantics are StreamTransport's
// (net/stream_transport.h), shared with the IOCP connection.
//
//   auto conn = std::make_shared<internal::StreamConnection>(
//       reactor, fd, protocol, kind);
//   absl::Status s = internal::StreamTransport::start(conn);
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_STREAM_CONNECTION_H_
#define TORSION_NET_STREAM_CONNECTION_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/file_descriptor.h"
#include "core/reactor.h"
#include "net/protocol.h"
#include "net/stream_transport.h"

namespace torsion::net::internal {

class StreamConnection final : public StreamTransport, public FileDescriptor {
 public:
  // Takes ownership of `fd`, a connected non-blocking stream socket.
  StreamConnection(Reactor& reactor, int fd, std::shared_ptr<Protocol> protocol,
                   StreamKind kind);
  ~StreamConnection() override;

  // ---- FileDescriptor --------------------------------------------------------
  int fileno() const override { return fd_; }
  LostReason doRead() override;
  LostReason doWrite() override;
  void connectionLost(const LostReason& reason) override { closeNow(reason); }
  bool halfCloseable() const override { return halfCloseableProtocol(); }
  void readConnectionLost(const LostReason& reason) override;
  std::string logPrefix() const override;

 private:
  // ---- StreamTransport ---------------------------------------------------------
  int socketFd() const override { return fd_; }
  absl::Status beginIo() override;
  void resumeReading() override { startReading(); }
  void stopReading() override;
  // Sends what it can of the buffer (then of `pieces`) right now; what the
  // kernel does not take is buffered. Errors are kept in writeError_ and
  // reported from doWrite, never from inside write().
  void send(const std::string_view* pieces, std::size_t count,
            std::size_t total) override;
  // doWrite sees the drained buffer (maybe at once) and finishes.
  void drainThenCheck() override { startWriting(); }
  void cancelIo() override;
  void closeIo() override;
  void shutdownWriteSide() override { shutdownWrite(fd_); }

  void startReading();
  void startWriting();
  void stopWriting();
  // Flushes the buffer; false (and writeError_ set) on a socket error.
  bool flush();

  int fd_;
  int writeError_ = 0;  // errno of a failed direct send
  bool reading_ = false;
  bool writing_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_STREAM_CONNECTION_H_
