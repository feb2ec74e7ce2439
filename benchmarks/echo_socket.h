// torsion/benchmarks/echo_socket.h: the raw-socket pieces of workload W3
// (TCP echo) shared by the servers that work on plain descriptors (the
// minimal epoll server and libev) and by the load generator.
//
// Mirrors no Twisted module: measuring rig for docs/benchmarks.md.
//
//   absl::StatusOr<Listener> listener = listenLoopback();
//   int fd = acceptNonBlocking(listener->fd);   // -1: nothing to accept
//   EchoConnection conn(fd);
//   if (conn.onReadable() == EchoConnection::kClosed) { /* drop it */ }
//   bool writeInterest = conn.wantsWrite();      // else read interest
#ifndef TORSION_BENCHMARKS_ECHO_SOCKET_H_
#define TORSION_BENCHMARKS_ECHO_SOCKET_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"

namespace torsion::bench {

// W3: ping-pong messages are this long; servers read up to kEchoChunk at once.
inline constexpr std::size_t kEchoMessage = 64;
inline constexpr std::size_t kEchoChunk = 64 * 1024;

struct Listener {
  int fd = -1;
  int port = 0;
};

// A non-blocking TCP socket listening on 127.0.0.1 on an ephemeral port
// (backlog SOMAXCONN, so 1,000 connections arrive without SYN retries).
// Fails naming the system call and errno.
absl::StatusOr<Listener> listenLoopback();

// accept4() a non-blocking, TCP_NODELAY connection; -1 when none is pending
// (or on an error, which the caller cannot act on except by trying later).
int acceptNonBlocking(int listenFd);

// Connects to 127.0.0.1:port (blocking), then makes the socket
// non-blocking with TCP_NODELAY. `rcvbuf` > 0 sets SO_RCVBUF before the
// connect (a small receive window: a client that reads slower than the
// server can write). Fails naming connect() and errno.
absl::StatusOr<int> connectLoopback(int port, int rcvbuf = 0);

// One echoing connection over a non-blocking descriptor, for servers that
// get readiness and do the I/O themselves. Reads at most kEchoChunk per
// readiness and writes it straight back; what the socket does not take is
// kept and reading pauses until it is written (backpressure), so interest
// is exactly one of read (wantsWrite() false) or write (true). Owns the fd.
class EchoConnection {
 public:
  enum Result { kOpen, kClosed };
  explicit EchoConnection(int fd);
  ~EchoConnection();
  EchoConnection(const EchoConnection&) = delete;
  EchoConnection& operator=(const EchoConnection&) = delete;

  int fd() const { return fd_; }
  Result onReadable();
  Result onWritable();
  bool wantsWrite() const { return pendingStart_ < pending_.size(); }

 private:
  Result writePending();

  int fd_;
  std::vector<char> buffer_;
  std::vector<char> pending_;
  std::size_t pendingStart_ = 0;
};

}  // namespace torsion::bench

#endif  // TORSION_BENCHMARKS_ECHO_SOCKET_H_
