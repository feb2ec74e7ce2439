#include "benchmarks/echo_client.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "benchmarks/echo_socket.h"
#include "benchmarks/pipe_ring.h"

namespace torsion::bench {
namespace {

std::int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The byte at offset i of any W3 stream: replies are checked against it.
char patternAt(std::int64_t i) { return static_cast<char>('a' + i % 26); }

absl::Status errnoStatus(const std::string& what) {
  return absl::InternalError(what + ": " + std::strerror(errno));
}

absl::Status timedOut(const char* what, double maxSeconds) {
  return absl::DeadlineExceededError(std::string(what) + " did not finish within " +
                                     std::to_string(maxSeconds) + " s");
}

// OpenSSL's queued reasons, emptied.
std::string sslReasons() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text += text.empty() ? "" : "; ";
    text += buffer;
  }
  return text.empty() ? "no OpenSSL reason (the server closed the connection?)" : text;
}

// Runs SSL_connect on a non-blocking socket until the handshake is done,
// waiting in poll() for what it asks for.
absl::Status handshake(SSL* ssl, int fd, std::int64_t deadline) {
  for (;;) {
    const int done = SSL_connect(ssl);
    if (done == 1) return absl::OkStatus();
    const int error = SSL_get_error(ssl, done);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE)
      return absl::UnavailableError("TLS handshake failed: " + sslReasons());
    const std::int64_t leftMs = (deadline - nowNs()) / 1000000;
    if (leftMs <= 0) return absl::DeadlineExceededError("TLS handshake timed out");
    pollfd wait{fd, static_cast<short>(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT),
                0};
    if (poll(&wait, 1, static_cast<int>(std::min<std::int64_t>(leftMs, 100))) < 0 &&
        errno != EINTR)
      return errnoStatus("poll");
  }
}

}  // namespace

double quantile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  const auto k =
      static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k),
                   values.end());
  return values[k];
}

absl::StatusOr<std::unique_ptr<EchoClients>> EchoClients::connect(int port,
                                                                  int connections,
                                                                  int rcvbuf) {
  return open(port, connections, rcvbuf, nullptr, 0);
}

absl::StatusOr<std::unique_ptr<EchoClients>> EchoClients::connectTls(int port,
                                                                     int connections,
                                                                     double maxSeconds) {
  SSL_CTX* tls = SSL_CTX_new(TLS_client_method());
  if (tls == nullptr) return absl::InternalError("SSL_CTX_new: " + sslReasons());
  SSL_CTX_set_verify(tls, SSL_VERIFY_NONE, nullptr);
  return open(port, connections, 0, tls, maxSeconds);
}

absl::StatusOr<std::unique_ptr<EchoClients>> EchoClients::open(int port, int connections,
                                                               int rcvbuf, SSL_CTX* tls,
                                                               double maxSeconds) {
  raiseFdLimit(2L * connections + 64);
  const int epollFd = epoll_create1(EPOLL_CLOEXEC);
  if (epollFd < 0) {
    SSL_CTX_free(tls);
    return errnoStatus("epoll_create1");
  }
  std::unique_ptr<EchoClients> self(new EchoClients(epollFd));
  self->tls_ = tls;
  self->conns_.reserve(static_cast<std::size_t>(connections));
  const std::int64_t deadline = nowNs() + static_cast<std::int64_t>(maxSeconds * 1e9);
  for (int i = 0; i < connections; ++i) {
    const auto failed = [&](const absl::Status& status) {
      return absl::Status(status.code(), "connection " + std::to_string(i + 1) + " of " +
                                             std::to_string(connections) + ": " +
                                             std::string(status.message()));
    };
    absl::StatusOr<int> fd = connectLoopback(port, rcvbuf);
    if (!fd.ok()) return failed(fd.status());
    self->conns_.push_back(Conn{*fd, nullptr, 0, 0});
    if (tls != nullptr) {
      Conn& conn = self->conns_.back();
      conn.ssl = SSL_new(tls);
      if (conn.ssl == nullptr)
        return failed(absl::InternalError("SSL_new: " + sslReasons()));
      SSL_set_fd(conn.ssl, conn.fd);
      if (absl::Status done = handshake(conn.ssl, conn.fd, deadline); !done.ok())
        return failed(done);
    }
    epoll_event ev{EPOLLIN, {.u64 = static_cast<std::uint64_t>(i)}};
    if (epoll_ctl(epollFd, EPOLL_CTL_ADD, *fd, &ev) != 0) return errnoStatus("epoll_ctl");
  }
  return self;
}

EchoClients::~EchoClients() {
  for (const Conn& conn : conns_) {
    SSL_free(conn.ssl);
    close(conn.fd);
  }
  close(epoll_);
  SSL_CTX_free(tls_);
}

long EchoClients::receive(Conn& conn, char* into, std::size_t most) {
  if (conn.ssl == nullptr) {
    const ssize_t got = recv(conn.fd, into, most, 0);
    return got >= 0 ? got : errno == EAGAIN ? -1 : -2;
  }
  const int got = SSL_read(conn.ssl, into, static_cast<int>(most));
  if (got > 0) return got;
  const int error = SSL_get_error(conn.ssl, got);
  return error == SSL_ERROR_WANT_READ ? -1 : error == SSL_ERROR_ZERO_RETURN ? 0 : -2;
}

bool EchoClients::send64(Conn& conn, std::int64_t now) {
  char message[kEchoMessage];
  for (std::size_t i = 0; i < kEchoMessage; ++i)
    message[i] = patternAt(static_cast<std::int64_t>(i));
  conn.sentAt = now;
  conn.received = 0;
  // 64 bytes (one TLS record) into an empty socket buffer: a short write
  // means the peer is broken, not slow.
  if (conn.ssl != nullptr)
    return SSL_write(conn.ssl, message, kEchoMessage) == static_cast<int>(kEchoMessage);
  return send(conn.fd, message, kEchoMessage, MSG_NOSIGNAL) ==
         static_cast<ssize_t>(kEchoMessage);
}

absl::StatusOr<PingPongResult> EchoClients::pingPong(std::int64_t roundTrips,
                                                     double maxSeconds) {
  PingPongResult result;
  result.latencyNs.reserve(static_cast<std::size_t>(roundTrips));
  const std::int64_t start = nowNs();
  const auto deadline = start + static_cast<std::int64_t>(maxSeconds * 1e9);
  std::int64_t sent = 0;
  for (Conn& conn : conns_) {
    if (sent == roundTrips) break;
    if (!send64(conn, start)) return errnoStatus("send");
    ++sent;
  }
  std::vector<epoll_event> events(std::min<std::size_t>(conns_.size(), 1024));
  char reply[kEchoMessage];
  while (result.roundTrips < roundTrips) {
    const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
    if (n < 0 && errno != EINTR) return errnoStatus("epoll_wait");
    const std::int64_t now = nowNs();
    if (now > deadline) return timedOut("W3 ping-pong", maxSeconds);
    for (int i = 0; i < n; ++i) {
      Conn& conn = conns_[events[i].data.u64];
      const long got = receive(conn, reply, kEchoMessage - conn.received);
      if (got == -1) continue;
      if (got <= 0)
        return absl::UnavailableError("W3 ping-pong: the server closed a connection");
      for (long k = 0; k < got; ++k) {
        if (reply[k] != patternAt(static_cast<std::int64_t>(conn.received) + k))
          return absl::DataLossError("W3 ping-pong: the reply differs from the message");
      }
      conn.received += static_cast<std::size_t>(got);
      if (conn.received < kEchoMessage) continue;
      const std::int64_t done = nowNs();
      result.latencyNs.push_back(static_cast<double>(done - conn.sentAt));
      ++result.roundTrips;
      if (sent < roundTrips) {
        if (!send64(conn, done)) return errnoStatus("send");
        ++sent;
      }
    }
  }
  result.seconds = static_cast<double>(nowNs() - start) * 1e-9;
  return result;
}

absl::StatusOr<BulkResult> EchoClients::bulk(std::int64_t bytes, double maxSeconds) {
  if (conns_.empty()) return absl::FailedPreconditionError("W3 bulk needs a connection");
  if (tls_ != nullptr)
    return absl::FailedPreconditionError("W3 bulk runs over plain TCP only, not TLS");
  constexpr std::int64_t kWindow = 4 << 20;
  const int fd = conns_[0].fd;
  std::vector<char> out(kEchoChunk + 26), in(kEchoChunk);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = patternAt(static_cast<std::int64_t>(i));
  std::int64_t sent = 0, received = 0;
  const std::int64_t start = nowNs();
  const auto deadline = start + static_cast<std::int64_t>(maxSeconds * 1e9);
  epoll_event ev{EPOLLIN | EPOLLOUT, {.u64 = 0}};
  epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev);
  bool writing = true;
  while (received < bytes) {
    bool progressed = false;
    if (sent < bytes && sent - received < kWindow) {
      const auto chunk = static_cast<std::size_t>(
          std::min<std::int64_t>({bytes - sent, kWindow - (sent - received),
                                  static_cast<std::int64_t>(kEchoChunk)}));
      const ssize_t put = send(fd, out.data() + sent % 26, chunk, MSG_NOSIGNAL);
      if (put < 0 && errno != EAGAIN) return errnoStatus("W3 bulk: send");
      if (put > 0) sent += put, progressed = true;
    }
    const ssize_t got = recv(fd, in.data(), in.size(), 0);
    if (got == 0)
      return absl::UnavailableError("W3 bulk: the server closed the connection");
    if (got < 0 && errno != EAGAIN) return errnoStatus("W3 bulk: recv");
    if (got > 0) {
      for (ssize_t k = 0; k < got; k += 4096) {  // spot checks keep the client cheap
        if (in[static_cast<std::size_t>(k)] != patternAt(received + k))
          return absl::DataLossError("W3 bulk: the echo differs from what was sent");
      }
      received += got;
      progressed = true;
    }
    if (progressed) continue;
    const bool wantWrite = sent < bytes && sent - received < kWindow;
    if (wantWrite != writing) {
      writing = wantWrite;
      ev.events = EPOLLIN | (writing ? EPOLLOUT : 0u);
      epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev);
    }
    epoll_event ready[1];
    if (epoll_wait(epoll_, ready, 1, 100) < 0 && errno != EINTR)
      return errnoStatus("epoll_wait");
    if (nowNs() > deadline) return timedOut("W3 bulk", maxSeconds);
  }
  ev.events = EPOLLIN;
  epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev);
  return BulkResult{bytes, static_cast<double>(nowNs() - start) * 1e-9};
}

}  // namespace torsion::bench
