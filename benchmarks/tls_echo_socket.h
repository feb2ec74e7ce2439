// torsion/benchmarks/tls_echo_socket.h: one echoing TLS connection over a
// non-blocking descriptor, the minimal OpenSSL server of W3 over TLS
// (min_tls_echo.cc), as openssl s_server's loop does it: SSL_read what
// arrives, SSL_write it straight back, no memory BIOs.
//
// The same contract as EchoConnection (echo_socket.h): interest is read
// unless wantsWrite(); a write the socket does not take is kept and reading
// pauses until it is written (backpressure). The handshake runs inside the
// first reads (accept state).
//
//   TlsEchoConnection conn(fd, context->newConnection());
//   if (conn.onReadable() == TlsEchoConnection::kClosed) { /* drop it */ }
#ifndef TORSION_BENCHMARKS_TLS_ECHO_SOCKET_H_
#define TORSION_BENCHMARKS_TLS_ECHO_SOCKET_H_

#include <cstddef>
#include <vector>

typedef struct ssl_st SSL;

namespace torsion::bench {

class TlsEchoConnection {
 public:
  enum Result { kOpen, kClosed };
  // Owns `fd` and `ssl` (a server SSL in accept state), and binds them.
  TlsEchoConnection(int fd, SSL* ssl);
  ~TlsEchoConnection();
  TlsEchoConnection(const TlsEchoConnection&) = delete;
  TlsEchoConnection& operator=(const TlsEchoConnection&) = delete;

  int fd() const { return fd_; }
  Result onReadable();
  Result onWritable();
  bool wantsWrite() const { return readWantsWrite_ || !pending_.empty(); }

 private:
  Result readAndEcho();

  int fd_;
  SSL* ssl_;
  std::vector<char> buffer_;
  std::vector<char> pending_;    // plaintext SSL_write has yet to take
  bool readWantsWrite_ = false;  // a handshake step waits for the socket's room
};

}  // namespace torsion::bench

#endif  // TORSION_BENCHMARKS_TLS_ECHO_SOCKET_H_
