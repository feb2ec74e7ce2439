#include "benchmarks/tls_echo_socket.h"

#include <openssl/ssl.h>
#include <unistd.h>

#include "benchmarks/echo_socket.h"

namespace torsion::bench {

TlsEchoConnection::TlsEchoConnection(int fd, SSL* ssl)
    : fd_(fd), ssl_(ssl), buffer_(kEchoChunk) {
  SSL_set_fd(ssl_, fd_);
}

TlsEchoConnection::~TlsEchoConnection() {
  SSL_free(ssl_);
  close(fd_);
}

TlsEchoConnection::Result TlsEchoConnection::onReadable() { return readAndEcho(); }

TlsEchoConnection::Result TlsEchoConnection::readAndEcho() {
  // Level-triggered readiness says nothing of what OpenSSL already took
  // off the socket, so a record left in its buffer is read here, not
  // waited for.
  do {
    const int got = SSL_read(ssl_, buffer_.data(), static_cast<int>(buffer_.size()));
    if (got <= 0) {
      const int error = SSL_get_error(ssl_, got);
      if (error == SSL_ERROR_WANT_READ) return kOpen;
      if (error != SSL_ERROR_WANT_WRITE)
        return kClosed;  // close_notify, reset, bad record
      readWantsWrite_ = true;
      return kOpen;
    }
    const int put = SSL_write(ssl_, buffer_.data(), got);
    if (put <= 0 && SSL_get_error(ssl_, put) != SSL_ERROR_WANT_WRITE) return kClosed;
    const int done = put < 0 ? 0 : put;
    if (done < got) {
      pending_.assign(buffer_.data() + done, buffer_.data() + got);
      return kOpen;
    }
  } while (SSL_has_pending(ssl_));
  return kOpen;
}

TlsEchoConnection::Result TlsEchoConnection::onWritable() {
  if (readWantsWrite_) {
    readWantsWrite_ = false;
    return readAndEcho();
  }
  // The context allows partial writes and a moved buffer: what SSL_write
  // took is dropped, the rest offered again from the front.
  const int put = SSL_write(ssl_, pending_.data(), static_cast<int>(pending_.size()));
  if (put <= 0) return SSL_get_error(ssl_, put) == SSL_ERROR_WANT_WRITE ? kOpen : kClosed;
  pending_.erase(pending_.begin(), pending_.begin() + put);
  if (!pending_.empty()) return kOpen;
  return SSL_has_pending(ssl_) ? readAndEcho() : kOpen;
}

}  // namespace torsion::bench
