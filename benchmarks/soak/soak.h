// torsion/benchmarks/soak/soak.h: the 10,000-connection soak (docs/
// benchmarks.md, "Soak"). Not a timed benchmark: it measures how many
// connections a torsion server holds on one backend, what an idle
// connection costs it, and whether its memory stays bounded when peers
// stop reading.
//
//   SoakOptions options{.serverPath = "soak_server", .backend = "epoll"};
//   absl::StatusOr<SoakResult> result = runSoak(options);
//   if (result.ok()) std::puts(result->toJson().c_str());
//
// What runSoak does, all on 127.0.0.1 and bounded in count and time:
//  1. Starts soak_server (a child process) on the backend and reads its
//     resident memory (VmRSS) once it listens: the baseline.
//  2. Opens `connections` TCP connections to it and echoes a message on
//     each (their number and order checked).
//  3. Leaves them idle for `idleSeconds`, checks that every one is still
//     open and echoes again; the server's VmRSS then, minus the baseline,
//     divided by the connections, is the user-space memory an idle
//     connection costs (kernel socket buffers are not part of VmRSS).
//  4. Slow readers: `slowReaders` more connections with a small receive
//     buffer send up to `slowBytes` each without reading. The server's
//     write buffers fill to their high-water mark, it stops reading, and the
//     senders stall; the server's VmRSS growth per slow reader is recorded.
//     Then everything sent is read back and compared (the server resumes).
//  5. Closes every connection (RST: no TIME_WAIT to exhaust the port range
//     for the next run) and stops the server.
//
// The process's soft RLIMIT_NOFILE is raised to what the connections need
// (the server inherits it); a hard limit too low is an error saying so, as
// is an ephemeral port range too small.
//
// Thread-safety: runSoak is a whole program step; call it from one thread.
#ifndef TORSION_BENCHMARKS_SOAK_SOAK_H_
#define TORSION_BENCHMARKS_SOAK_SOAK_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace torsion::bench {

struct SoakOptions {
  std::string serverPath;  // the soak_server binary
  std::string backend;     // "epoll", "poll", "io_uring", ...
  int connections = 10000;
  double idleSeconds = 5;
  int slowReaders = 4;
  std::size_t slowBytes = std::size_t{64} << 20;  // each slow reader sends at most this
  double maxSeconds = 300;                        // the whole run
};

struct SoakResult {
  std::string backend;
  int connectionsWanted = 0;
  int connectionsHeld = 0;  // open and echoing after the idle period
  int echoedBeforeIdle = 0;
  int echoedAfterIdle = 0;
  double idleSeconds = 0;
  long fdSoftLimit = 0;
  long fdHardLimit = 0;
  std::int64_t serverRssBaselineKiB = 0;
  std::int64_t serverRssIdleKiB = 0;
  double bytesPerIdleConnection = 0;
  int slowReaders = 0;
  std::size_t slowBytesOffered = 0;       // per reader
  std::size_t slowBytesSentMean = 0;      // accepted by the kernel before stalling
  std::int64_t serverRssSlowPeakKiB = 0;  // highest VmRSS sampled meanwhile
  double serverGrowthPerSlowReaderKiB = 0;
  bool slowEchoComplete = false;      // every byte came back, in order
  std::int64_t serverPeakRssKiB = 0;  // VmHWM at the end
  double seconds = 0;

  std::string toJson() const;
};

// Why `backend` cannot hold `connections` connections, if that is known
// before trying (select: FD_SETSIZE); empty otherwise.
std::string knownLimit(const std::string& backend, int connections);

// Errors: FailedPrecondition (descriptor limit, port range, a backend that
// cannot hold the connections), Unavailable (the server did not start: its
// message), DeadlineExceeded (naming the phase), or the failing call.
absl::StatusOr<SoakResult> runSoak(const SoakOptions& options);

}  // namespace torsion::bench

#endif  // TORSION_BENCHMARKS_SOAK_SOAK_H_
