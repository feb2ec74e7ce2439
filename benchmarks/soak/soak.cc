#include "benchmarks/soak/soak.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace torsion::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Descriptors a process needs besides the connections: standard streams,
// pipes to the server, the listening socket, the backend's own.
constexpr long kSpareDescriptors = 64;
// Connections opened (and echoed) per batch: keeps well inside the
// server's accept backlog.
constexpr int kBatch = 256;
constexpr std::size_t kSlowChunk = 64 * 1024;

absl::Status errnoStatus(int error, const std::string& what) {
  return absl::ErrnoToStatus(error, what);
}

std::string str(absl::string_view s) { return std::string(s.data(), s.size()); }

// One closes-on-destruction descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    reset();
    fd_ = std::exchange(other.fd_, -1);
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

class Deadline {
 public:
  explicit Deadline(double seconds)
      : end_(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(seconds))) {}
  bool passed() const { return Clock::now() >= end_; }
  absl::Status check(const char* phase) const {
    if (!passed()) return absl::OkStatus();
    return absl::DeadlineExceededError(
        std::string("soak: the time bound passed during ") + phase);
  }

 private:
  Clock::time_point end_;
};

// --- the server process -------------------------------------------------------

class ServerProcess {
 public:
  static absl::StatusOr<ServerProcess> start(const SoakOptions& options) {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
        pipe2(err, O_CLOEXEC) != 0) {
      return errnoStatus(errno, "soak: pipe2");
    }
    std::string maxSeconds = std::to_string(options.maxSeconds + 30);
    pid_t pid = fork();
    if (pid < 0) return errnoStatus(errno, "soak: fork");
    if (pid == 0) {
      dup2(in[0], STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      dup2(err[1], STDERR_FILENO);
      const char* argv[] = {options.serverPath.c_str(), "--backend",
                            options.backend.c_str(),    "--max_seconds",
                            maxSeconds.c_str(),         nullptr};
      execv(argv[0], const_cast<char* const*>(argv));
      std::fprintf(stderr, "cannot run %s: %s\n", argv[0], std::strerror(errno));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    ServerProcess server(pid, Fd(in[1]), Fd(out[0]), Fd(err[0]));
    std::string line;
    absl::Status read = server.readLine(line, 20000);
    int port = 0;
    if (!read.ok() || std::sscanf(line.c_str(), "PORT %d", &port) != 1 || port <= 0) {
      std::string why = server.stopAndCollectStderr();
      return absl::UnavailableError(
          "soak_server --backend " + options.backend +
          " did not start: " + (why.empty() ? str(read.message()) : why));
    }
    server.port_ = port;
    return server;
  }

  ServerProcess(ServerProcess&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)),
        stdin_(std::move(other.stdin_)),
        stdout_(std::move(other.stdout_)),
        stderr_(std::move(other.stderr_)),
        port_(other.port_) {}
  ServerProcess& operator=(ServerProcess&&) = delete;
  ~ServerProcess() { stop(); }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool alive() { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

  // Closes its standard input (it stops), waits up to 10 s, then kills it.
  void stop() {
    if (pid_ <= 0) return;
    stdin_.reset();
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) != 0) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  ServerProcess(pid_t pid, Fd in, Fd out, Fd err)
      : pid_(pid),
        stdin_(std::move(in)),
        stdout_(std::move(out)),
        stderr_(std::move(err)) {}

  absl::Status readLine(std::string& line, int timeoutMs) {
    Deadline deadline(timeoutMs / 1000.0);
    char c;
    while (!deadline.passed()) {
      pollfd p{stdout_.get(), POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      ssize_t n = read(stdout_.get(), &c, 1);
      if (n <= 0) return absl::UnavailableError("it exited before listening");
      if (c == '\n') return absl::OkStatus();
      line += c;
    }
    return absl::DeadlineExceededError("it printed no PORT line within 20 s");
  }

  std::string stopAndCollectStderr() {
    stop();
    std::string text;
    char buf[512];
    ssize_t n;
    while ((n = read(stderr_.get(), buf, sizeof buf)) > 0) text.append(buf, n);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }

  pid_t pid_;
  Fd stdin_;
  Fd stdout_;
  Fd stderr_;
  int port_ = 0;
};

// A "Name:  123 kB" field of /proc/<pid>/status, in KiB; -1 if absent.
std::int64_t procStatusKiB(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::atoll(line.c_str() + field.size() + 1);
    }
  }
  return -1;
}

// --- limits -----------------------------------------------------------------------

absl::Status raiseDescriptorLimit(long needed, SoakResult& result) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return errnoStatus(errno, "getrlimit");
  result.fdHardLimit =
      limit.rlim_max == RLIM_INFINITY ? -1 : static_cast<long>(limit.rlim_max);
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < static_cast<rlim_t>(needed)) {
    return absl::FailedPreconditionError(
        "soak: each process needs " + std::to_string(needed) +
        " descriptors (the connections plus " + std::to_string(kSpareDescriptors) +
        ") but the hard RLIMIT_NOFILE is " + std::to_string(limit.rlim_max) +
        "; raise it (ulimit -Hn, /etc/security/limits.conf) or ask for fewer "
        "connections");
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur < static_cast<rlim_t>(needed)) {
    limit.rlim_cur = static_cast<rlim_t>(needed);
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return errnoStatus(errno,
                         "setrlimit(RLIMIT_NOFILE, " + std::to_string(needed) + ")");
    }
  }
  getrlimit(RLIMIT_NOFILE, &limit);
  result.fdSoftLimit =
      limit.rlim_cur == RLIM_INFINITY ? -1 : static_cast<long>(limit.rlim_cur);
  return absl::OkStatus();
}

absl::Status checkPortRange(long needed) {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  long low = 0, high = 0;
  if (!(in >> low >> high)) return absl::OkStatus();  // not Linux: let connect() say
  if (high - low + 1 < needed) {
    return absl::FailedPreconditionError(
        "soak: the ephemeral port range " + std::to_string(low) + "-" +
        std::to_string(high) + " has fewer than the " + std::to_string(needed) +
        " ports the connections need (net.ipv4.ip_local_port_range)");
  }
  return absl::OkStatus();
}

// --- connections ------------------------------------------------------------------

absl::StatusOr<Fd> connectTo(int port, int receiveBuffer) {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return errnoStatus(errno, "socket");
  if (receiveBuffer > 0) {
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
  }
  // Closing sends RST: no TIME_WAIT, so back-to-back runs do not run out
  // of ephemeral ports.
  linger abortive{1, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  timeval tenSeconds{10, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tenSeconds, sizeof tenSeconds);
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tenSeconds, sizeof tenSeconds);
  int one = 1;
  setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    return errnoStatus(errno, "connect(127.0.0.1:" + std::to_string(port) + ")");
  }
  return fd;
}

bool readExactly(int fd, char* buf, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = recv(fd, buf + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

// Sends an 8-byte message naming the connection and the round on each of
// fds[first, last), then reads each back. Returns how many came back
// right.
int echoRange(const std::vector<Fd>& fds, std::size_t first, std::size_t last,
              std::uint32_t round) {
  for (std::size_t i = first; i < last; ++i) {
    std::uint32_t message[2] = {static_cast<std::uint32_t>(i), round};
    if (send(fds[i].get(), message, sizeof message, MSG_NOSIGNAL) != sizeof message) {
      continue;  // counted as not echoed below
    }
  }
  int ok = 0;
  for (std::size_t i = first; i < last; ++i) {
    std::uint32_t back[2] = {0, 0};
    if (readExactly(fds[i].get(), reinterpret_cast<char*>(back), sizeof back) &&
        back[0] == i && back[1] == round) {
      ++ok;
    }
  }
  return ok;
}

int echoAll(const std::vector<Fd>& fds, std::uint32_t round) {
  int ok = 0;
  for (std::size_t first = 0; first < fds.size(); first += kBatch) {
    ok += echoRange(fds, first, std::min(fds.size(), first + kBatch), round);
  }
  return ok;
}

// Connections that the peer has not closed and that have nothing unread.
int stillOpen(const std::vector<Fd>& fds) {
  std::vector<pollfd> polls;
  polls.reserve(fds.size());
  for (const Fd& fd : fds) polls.push_back({fd.get(), POLLIN | POLLRDHUP, 0});
  if (poll(polls.data(), polls.size(), 0) < 0) return 0;
  int open = 0;
  for (const pollfd& p : polls) open += p.revents == 0;
  return open;
}

char patternByte(std::size_t offset, int reader) {
  return static_cast<char>((offset * 131 + static_cast<std::size_t>(reader) * 7) & 0xff);
}

// Phase 4: see the header. Fills the slow-reader fields of `result`.
absl::Status slowReaders(const SoakOptions& options, ServerProcess& server,
                         const Deadline& deadline, SoakResult& result) {
  std::vector<Fd> fds;
  for (int k = 0; k < options.slowReaders; ++k) {
    absl::StatusOr<Fd> fd = connectTo(server.port(), 4096);
    if (!fd.ok()) return fd.status();
    fcntl(fd->get(), F_SETFL, fcntl(fd->get(), F_GETFL) | O_NONBLOCK);
    fds.push_back(std::move(*fd));
  }
  const std::int64_t before = procStatusKiB(server.pid(), "VmRSS");
  std::int64_t peak = before;
  std::vector<std::size_t> sent(fds.size(), 0);
  std::vector<char> chunk(kSlowChunk);
  auto lastProgress = Clock::now();
  auto lastSample = Clock::now();
  // Send until every reader offered everything or nothing moved for 2 s:
  // the server stopped reading.
  while (Clock::now() - lastProgress < std::chrono::seconds(2) && !deadline.passed()) {
    bool progress = false;
    bool allDone = true;
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (sent[k] >= options.slowBytes) continue;
      allDone = false;
      std::size_t n = std::min(kSlowChunk, options.slowBytes - sent[k]);
      for (std::size_t i = 0; i < n; ++i) {
        chunk[i] = patternByte(sent[k] + i, static_cast<int>(k));
      }
      ssize_t w = send(fds[k].get(), chunk.data(), n, MSG_NOSIGNAL);
      if (w > 0) {
        sent[k] += static_cast<std::size_t>(w);
        progress = true;
      } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        return errnoStatus(errno, "soak: send to a slow-reader connection");
      }
    }
    if (allDone) break;
    if (progress) {
      lastProgress = Clock::now();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (Clock::now() - lastSample > std::chrono::milliseconds(50)) {
      peak = std::max(peak, procStatusKiB(server.pid(), "VmRSS"));
      lastSample = Clock::now();
    }
  }
  peak = std::max(peak, procStatusKiB(server.pid(), "VmRSS"));
  if (absl::Status s = deadline.check("the slow-reader phase (sending)"); !s.ok())
    return s;

  std::size_t total = 0;
  for (std::size_t s : sent) total += s;
  result.slowReaders = options.slowReaders;
  result.slowBytesOffered = options.slowBytes;
  result.slowBytesSentMean = fds.empty() ? 0 : total / fds.size();
  result.serverRssSlowPeakKiB = peak;
  result.serverGrowthPerSlowReaderKiB =
      fds.empty() ? 0 : static_cast<double>(peak - before) / fds.size();

  // Read everything back: the server must resume once its peers read.
  std::vector<std::size_t> received(fds.size(), 0);
  std::vector<char> buf(kSlowChunk);
  bool intact = true;
  while (!deadline.passed()) {
    std::vector<pollfd> polls;
    std::vector<std::size_t> which;
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (received[k] < sent[k]) {
        polls.push_back({fds[k].get(), POLLIN, 0});
        which.push_back(k);
      }
    }
    if (polls.empty()) break;
    if (poll(polls.data(), polls.size(), 200) < 0 && errno != EINTR) {
      return errnoStatus(errno, "soak: poll");
    }
    for (std::size_t j = 0; j < polls.size(); ++j) {
      if (polls[j].revents == 0) continue;
      std::size_t k = which[j];
      ssize_t r = recv(fds[k].get(), buf.data(), buf.size(), 0);
      if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        intact = false;
        received[k] = sent[k];  // closed early: give up on it
        continue;
      }
      for (ssize_t i = 0; i < r; ++i) {
        if (buf[i] != patternByte(received[k] + i, static_cast<int>(k))) intact = false;
      }
      received[k] += static_cast<std::size_t>(r);
    }
  }
  bool complete = intact;
  for (std::size_t k = 0; k < fds.size(); ++k)
    complete = complete && received[k] == sent[k];
  result.slowEchoComplete = complete;
  return deadline.check("the slow-reader phase (reading back)");
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string knownLimit(const std::string& backend, int connections) {
  if (backend == "select" && connections + kSpareDescriptors > FD_SETSIZE) {
    return "select() watches descriptors below FD_SETSIZE (" +
           std::to_string(FD_SETSIZE) +
           ") only, and the select backend refuses higher ones; " +
           std::to_string(connections) + " connections need descriptors up to about " +
           std::to_string(connections + kSpareDescriptors);
  }
  return {};
}

std::string SoakResult::toJson() const {
  std::ostringstream o;
  o << "{\"backend\": " << jsonString(backend)
    << ", \"connections_wanted\": " << connectionsWanted
    << ", \"connections_held\": " << connectionsHeld
    << ", \"echoed_before_idle\": " << echoedBeforeIdle
    << ", \"echoed_after_idle\": " << echoedAfterIdle
    << ", \"idle_seconds\": " << idleSeconds << ", \"fd_soft_limit\": " << fdSoftLimit
    << ", \"fd_hard_limit\": " << fdHardLimit
    << ", \"server_rss_baseline_kib\": " << serverRssBaselineKiB
    << ", \"server_rss_idle_kib\": " << serverRssIdleKiB
    << ", \"bytes_per_idle_connection\": " << bytesPerIdleConnection
    << ", \"slow_readers\": " << slowReaders
    << ", \"slow_bytes_offered\": " << slowBytesOffered
    << ", \"slow_bytes_sent_mean\": " << slowBytesSentMean
    << ", \"server_rss_slow_peak_kib\": " << serverRssSlowPeakKiB
    << ", \"server_growth_per_slow_reader_kib\": " << serverGrowthPerSlowReaderKiB
    << ", \"slow_echo_complete\": " << (slowEchoComplete ? "true" : "false")
    << ", \"server_peak_rss_kib\": " << serverPeakRssKiB << ", \"seconds\": " << seconds
    << "}";
  return o.str();
}

absl::StatusOr<SoakResult> runSoak(const SoakOptions& options) {
  const auto started = Clock::now();
  Deadline deadline(options.maxSeconds);
  SoakResult result;
  result.backend = options.backend;
  result.connectionsWanted = options.connections;
  result.idleSeconds = options.idleSeconds;
  if (std::string why = knownLimit(options.backend, options.connections); !why.empty()) {
    return absl::FailedPreconditionError(why);
  }
  const long needed = options.connections + options.slowReaders + kSpareDescriptors;
  if (absl::Status s = raiseDescriptorLimit(needed, result); !s.ok()) return s;
  if (absl::Status s = checkPortRange(options.connections + options.slowReaders); !s.ok())
    return s;

  absl::StatusOr<ServerProcess> started_server = ServerProcess::start(options);
  if (!started_server.ok()) return started_server.status();
  ServerProcess& server = *started_server;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  result.serverRssBaselineKiB = procStatusKiB(server.pid(), "VmRSS");

  std::vector<Fd> fds;
  fds.reserve(options.connections);
  for (int i = 0; i < options.connections; ++i) {
    absl::StatusOr<Fd> fd = connectTo(server.port(), 0);
    if (!fd.ok()) {
      return absl::Status(fd.status().code(), "soak: connection " +
                                                  std::to_string(i + 1) + " of " +
                                                  std::to_string(options.connections) +
                                                  ": " + str(fd.status().message()));
    }
    fds.push_back(std::move(*fd));
    if (absl::Status s = deadline.check("connecting"); !s.ok()) return s;
  }
  result.echoedBeforeIdle = echoAll(fds, 1);
  if (absl::Status s = deadline.check("the first echo round"); !s.ok()) return s;

  // Idle, in short sleeps so that the time bound holds.
  Deadline idle(options.idleSeconds);
  while (!idle.passed() && !deadline.passed()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!server.alive()) return absl::InternalError("soak: the server died while idle");
  result.serverRssIdleKiB = procStatusKiB(server.pid(), "VmRSS");
  result.bytesPerIdleConnection =
      options.connections == 0
          ? 0
          : static_cast<double>(result.serverRssIdleKiB - result.serverRssBaselineKiB) *
                1024.0 / options.connections;
  const int open = stillOpen(fds);
  result.echoedAfterIdle = echoAll(fds, 2);
  result.connectionsHeld = std::min(open, result.echoedAfterIdle);
  if (absl::Status s = deadline.check("the second echo round"); !s.ok()) return s;

  if (options.slowReaders > 0) {
    if (absl::Status s = slowReaders(options, server, deadline, result); !s.ok())
      return s;
  }
  result.serverPeakRssKiB = procStatusKiB(server.pid(), "VmHWM");
  fds.clear();  // RST every connection
  server.stop();
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

}  // namespace torsion::bench
