// torsion/benchmarks/echo_client.h: the client side of workload W3 (TCP
// echo), the one load generator every echo server is measured with
// (benchmarks/echo_loadgen.cc runs it as a process; smoke_test in-process).
//
// Mirrors no Twisted module: measuring rig for docs/benchmarks.md. Plain
// blocking connects, then non-blocking sockets on one level-triggered epoll
// instance; every run is bounded by a count and a time limit. connectTls()
// speaks TLS over the same sockets (OpenSSL on the descriptor, the
// handshake done before it returns) for W3 over TLS; ping-pong only.
//
//   auto conns = EchoClients::connect(port, 100);
//   auto result = (*conns)->pingPong(100000, /*maxSeconds=*/30);
//   // result->seconds, result->roundTrips, result->latencyNs (per round trip)
//   auto bulk = (*conns)->bulk(1 << 30, 60);  // on the first connection
#ifndef TORSION_BENCHMARKS_ECHO_CLIENT_H_
#define TORSION_BENCHMARKS_ECHO_CLIENT_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace torsion::bench {

struct PingPongResult {
  std::int64_t roundTrips = 0;
  double seconds = 0;             // wall time, first send to last reply
  std::vector<double> latencyNs;  // one per round trip, send to full reply
};

struct BulkResult {
  std::int64_t bytes = 0;
  double seconds = 0;  // wall time, first byte sent to last byte echoed back
};

class EchoClients {
 public:
  // Opens `connections` connections to 127.0.0.1:port (SO_RCVBUF `rcvbuf`
  // when > 0). Fails naming the connection that could not be made
  // (RLIMIT_NOFILE, a refused connect).
  static absl::StatusOr<std::unique_ptr<EchoClients>> connect(int port, int connections,
                                                              int rcvbuf = 0);
  // The same over TLS: each connection's handshake completes within
  // `maxSeconds` (all of them together) or this fails saying which. The
  // server's certificate is not verified: the load generator measures the
  // server, it does not guard a secret.
  static absl::StatusOr<std::unique_ptr<EchoClients>> connectTls(int port,
                                                                 int connections,
                                                                 double maxSeconds = 60);
  ~EchoClients();
  EchoClients(const EchoClients&) = delete;
  EchoClients& operator=(const EchoClients&) = delete;

  // Every connection keeps one 64-byte message in flight: send, wait for all
  // 64 bytes back, send again, until `roundTrips` replies arrived in total.
  // Fails if a reply differs from the message, a connection closes, or
  // `maxSeconds` pass first.
  absl::StatusOr<PingPongResult> pingPong(std::int64_t roundTrips, double maxSeconds);

  // Streams `bytes` through the first connection (64 KiB writes, at most
  // 4 MiB unanswered) and reads the echo back; fails on a mismatch, a close
  // or the time limit. Plain TCP only: FailedPrecondition over TLS.
  absl::StatusOr<BulkResult> bulk(std::int64_t bytes, double maxSeconds);

 private:
  struct Conn {
    int fd;
    SSL* ssl;             // nullptr: plain TCP
    std::int64_t sentAt;  // ns on the steady clock
    std::size_t received;
  };
  explicit EchoClients(int epollFd) : epoll_(epollFd) {}
  static absl::StatusOr<std::unique_ptr<EchoClients>> open(int port, int connections,
                                                           int rcvbuf, SSL_CTX* tls,
                                                           double maxSeconds);
  bool send64(Conn& conn, std::int64_t now);
  // recv() or SSL_read(): > 0 bytes, 0 the peer closed, -1 nothing yet
  // (EAGAIN, or a TLS record not complete), < -1 an error.
  static long receive(Conn& conn, char* into, std::size_t most);

  int epoll_;
  SSL_CTX* tls_ = nullptr;
  std::vector<Conn> conns_;
};

// The p-quantile (0..1) of `values` (nearest rank; reorders them).
double quantile(std::vector<double>& values, double p);

}  // namespace torsion::bench

#endif  // TORSION_BENCHMARKS_ECHO_CLIENT_H_
