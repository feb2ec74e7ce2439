// W3's load generator: one client process, plain epoll (echo_client.h),
// measuring every echo server the same way. It starts the server itself
// (the command after `--`), reads "PORT <n>" from its stdout, runs the
// ping-pong and bulk phases, then closes the server's stdin (the server
// stops) and waits for it, killing it after 10 s. Results go to --out in
// Google Benchmark's JSON layout (W3_pingpong/<impl>/<connections>,
// W3_bulk/<impl>/<MiB>), one entry per repetition, for tools/bench_report.py.
//
//   echo_loadgen --impl torsion_epoll --pingpong 1=20000,100=100000
//       --bulk_mib 1024 --repetitions 5 --out w3.json
//       -- .bazel/bin/benchmarks/echo_torsion --impl torsion_epoll
//   echo_loadgen --impl mine --port 8000 ...   # a server already running
//
// --warmup N fixes the untimed round trips on each connection set (default:
// a tenth of the timed ones, at least two per connection); the cost ledger
// runs two lengths with the same warm-up and subtracts.
//
// --tls speaks TLS to the server (echo_client.h connectTls) and names the
// rows W3_tls_pingpong/<impl>/<connections>; ping-pong only (no --bulk_mib).
// The handshakes happen before the untimed warm-up, outside every timed
// phase.
//
// --bulk_rcvbuf BYTES gives the bulk client a small receive window, so the
// server's sends fill up and its write backlog and backpressure are what
// is measured (on loopback with autotuning every server's send just
// succeeds; docs/echo-performance.md).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "benchmarks/echo_client.h"

namespace torsion::bench {
namespace {

struct Options {
  std::string impl;
  int port = 0;
  std::vector<std::pair<int, std::int64_t>> pingPong;  // connections, round trips
  std::int64_t warmup = -1;  // untimed round trips first; -1: a tenth of the timed ones
  std::int64_t bulkMiB = 0;
  int bulkRcvbuf = 0;  // SO_RCVBUF of the bulk client; 0: the kernel's autotuning
  bool tls = false;
  int repetitions = 3;
  double maxSeconds = 60;  // per phase
  std::string out;
  std::vector<char*> server;
};

class Server {
 public:
  // Starts argv; the port is read from its first line ("PORT <n>").
  static absl::StatusOr<Server> start(std::vector<char*> argv) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
      return absl::InternalError("pipe2 failed");
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0) return absl::InternalError("fork failed");
    if (pid == 0) {
      dup2(in[0], STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      execv(argv[0], argv.data());
      std::fprintf(stderr, "echo_loadgen: cannot run %s: %s\n", argv[0],
                   std::strerror(errno));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    Server server(pid, in[1]);
    std::string line;
    char c;
    pollfd ready{out[0], POLLIN, 0};
    while (line.find('\n') == std::string::npos && poll(&ready, 1, 20000) > 0 &&
           read(out[0], &c, 1) == 1)
      line += c;
    close(out[0]);
    if (std::sscanf(line.c_str(), "PORT %d", &server.port_) != 1)
      return absl::UnavailableError(
          std::string(argv[0]) +
          " did not print its port (\"PORT <n>\"); it printed: " + line);
    return server;
  }
  Server(Server&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)),
        stdin_(std::exchange(other.stdin_, -1)),
        port_(other.port_) {}
  ~Server() { stop(); }
  int port() const { return port_; }

  // CPU time the server's main thread has used, in ns (the kernel's
  // schedstat, exact where /proc/PID/stat counts 10 ms ticks); -1 if unknown.
  double cpuNs() const {
    std::ifstream f("/proc/" + std::to_string(pid_) + "/schedstat");
    double ns = -1;
    f >> ns;
    return f ? ns : -1;
  }

  // Closes its stdin and reaps it; returns its exit status (-1: killed).
  int stop() {
    if (pid_ < 0) return 0;
    close(stdin_);
    int status = 0;
    for (int waited = 0; waited < 1000; ++waited) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
  }

 private:
  Server(pid_t pid, int stdinFd) : pid_(pid), stdin_(stdinFd) {}
  pid_t pid_;
  int stdin_;
  int port_ = 0;
};

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += (c == '\n' ? ' ' : c);
  }
  return out + "\"";
}

class Output {
 public:
  void add(const std::string& name, int repetition, int repetitions, std::int64_t items,
           double ns, const std::vector<std::pair<std::string, double>>& counters) {
    std::ostringstream e;
    e << "{\"name\": " << jsonString(name) << ", \"run_name\": " << jsonString(name)
      << ", \"run_type\": \"iteration\", \"repetitions\": " << repetitions
      << ", \"repetition_index\": " << repetition << ", \"iterations\": " << items
      << ", \"real_time\": " << ns << ", \"cpu_time\": " << ns
      << ", \"time_unit\": \"ns\"";
    for (const auto& [key, value] : counters)
      e << ", " << jsonString(key) << ": " << value;
    entries_.push_back(e.str() + "}");
  }
  void error(const std::string& name, const std::string& message) {
    std::cerr << "   " << name << " ERROR: " << message << "\n";
    entries_.push_back(
        "{\"name\": " + jsonString(name) + ", \"run_name\": " + jsonString(name) +
        ", \"run_type\": \"iteration\", " +
        "\"error_occurred\": true, \"error_message\": " + jsonString(message) + "}");
  }
  bool write(const std::string& path, const std::string& impl) const {
    std::ofstream f(path);
    f << "{\"context\": {\"executable\": \"echo_loadgen\", \"impl\": " << jsonString(impl)
      << "},\n \"benchmarks\": [\n";
    for (std::size_t i = 0; i < entries_.size(); ++i)
      f << "  " << entries_[i] << (i + 1 < entries_.size() ? ",\n" : "\n");
    f << "]}\n";
    return static_cast<bool>(f);
  }

 private:
  std::vector<std::string> entries_;
};

// The server's CPU time, when the load generator started it: under load
// from other processes it is the fairer cost measure than wall time.
const Server* gServer = nullptr;
double serverCpuNs() { return gServer != nullptr ? gServer->cpuNs() : -1; }

std::string pingPongName(const Options& o, int connections) {
  return std::string(o.tls ? "W3_tls_pingpong/" : "W3_pingpong/") + o.impl + "/" +
         std::to_string(connections);
}

void runPingPong(const Options& o, int port, int connections, std::int64_t roundTrips,
                 Output& out) {
  const std::string name = pingPongName(o, connections);
  auto clients = o.tls ? EchoClients::connectTls(port, connections, o.maxSeconds)
                       : EchoClients::connect(port, connections);
  if (!clients.ok()) return out.error(name, std::string(clients.status().message()));
  // Warm-up, untimed: every connection accepted and served at least twice.
  const std::int64_t warmRoundTrips =
      o.warmup >= 0 ? o.warmup
                    : std::max<std::int64_t>(2L * connections, roundTrips / 10);
  if (auto warm = warmRoundTrips > 0 ? (*clients)->pingPong(warmRoundTrips, o.maxSeconds)
                                     : absl::StatusOr<PingPongResult>(PingPongResult{});
      !warm.ok())
    return out.error(name, std::string(warm.status().message()));
  for (int r = 0; r < o.repetitions; ++r) {
    const double cpuBefore = serverCpuNs();
    auto result = (*clients)->pingPong(roundTrips, o.maxSeconds);
    const double cpuAfter = serverCpuNs();
    if (!result.ok()) return out.error(name, std::string(result.status().message()));
    const double nsPer = result->seconds * 1e9 / static_cast<double>(result->roundTrips);
    std::vector<std::pair<std::string, double>> counters = {
        {"ns_per_roundtrip", nsPer},
        {"latency_p50_ns", quantile(result->latencyNs, 0.50)},
        {"latency_p99_ns", quantile(result->latencyNs, 0.99)}};
    if (cpuBefore >= 0 && cpuAfter >= 0)
      counters.emplace_back(
          "server_cpu_ns_per_roundtrip",
          (cpuAfter - cpuBefore) / static_cast<double>(result->roundTrips));
    std::printf("   %s: %.0f round trips/s, latency p50 %.1f us, p99 %.1f us\n",
                name.c_str(), 1e9 / nsPer, counters[1].second / 1e3,
                counters[2].second / 1e3);
    out.add(name, r, o.repetitions, result->roundTrips, nsPer, counters);
  }
}

void runBulk(const Options& o, int port, Output& out) {
  const std::string name = "W3_bulk/" + o.impl + "/" + std::to_string(o.bulkMiB);
  auto clients = EchoClients::connect(port, 1, o.bulkRcvbuf);
  if (!clients.ok()) return out.error(name, std::string(clients.status().message()));
  const std::int64_t bytes = o.bulkMiB << 20;
  if (auto warm = (*clients)->bulk(std::min<std::int64_t>(bytes, 8 << 20), o.maxSeconds);
      !warm.ok())
    return out.error(name, std::string(warm.status().message()));
  for (int r = 0; r < o.repetitions; ++r) {
    const double cpuBefore = serverCpuNs();
    auto result = (*clients)->bulk(bytes, o.maxSeconds);
    const double cpuAfter = serverCpuNs();
    if (!result.ok()) return out.error(name, std::string(result.status().message()));
    const double megabytes = static_cast<double>(bytes) / 1e6;
    const double nsPerMB = result->seconds * 1e9 / megabytes;
    std::printf("   %s: %.0f MB/s\n", name.c_str(), 1e9 / nsPerMB);
    std::vector<std::pair<std::string, double>> counters = {{"ns_per_mb", nsPerMB}};
    if (cpuBefore >= 0 && cpuAfter >= 0)
      counters.emplace_back("server_cpu_ns_per_mb", (cpuAfter - cpuBefore) / megabytes);
    out.add(name, r, o.repetitions, bytes, result->seconds * 1e9, counters);
  }
}

int usage(const char* why) {
  std::cerr << "echo_loadgen: " << why << "\n"
            << "usage: echo_loadgen --impl NAME [--pingpong CONNS=ROUNDTRIPS,...] "
               "[--warmup ROUNDTRIPS] [--bulk_mib N] [--bulk_rcvbuf BYTES] [--tls] "
               "[--repetitions R] [--max_seconds S] "
               "[--out FILE.json] "
               "(--port P | -- SERVER_COMMAND...)\n";
  return 2;
}

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--") {
      o.server.assign(argv + i + 1, argv + argc);
      break;
    }
    if (arg == "--tls") {
      o.tls = true;
      continue;
    }
    if (value == nullptr) return usage(("missing value for " + arg).c_str());
    ++i;
    if (arg == "--impl") {
      o.impl = value;
    } else if (arg == "--port") {
      o.port = std::atoi(value);
    } else if (arg == "--pingpong") {
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');) {
        int conns = 0;
        long long trips = 0;
        if (std::sscanf(item.c_str(), "%d=%lld", &conns, &trips) != 2 || conns <= 0 ||
            trips <= 0)
          return usage(("bad --pingpong item " + item).c_str());
        o.pingPong.emplace_back(conns, trips);
      }
    } else if (arg == "--warmup") {
      o.warmup = std::atoll(value);
      if (o.warmup < 0) return usage("--warmup must be 0 or positive");
    } else if (arg == "--bulk_mib") {
      o.bulkMiB = std::atoll(value);
    } else if (arg == "--bulk_rcvbuf") {
      o.bulkRcvbuf = std::atoi(value);
    } else if (arg == "--repetitions") {
      o.repetitions = std::atoi(value);
    } else if (arg == "--max_seconds") {
      o.maxSeconds = std::atof(value);
    } else if (arg == "--out") {
      o.out = value;
    } else {
      return usage(("unknown option " + arg).c_str());
    }
  }
  if (o.impl.empty()) return usage("--impl is required");
  if ((o.port > 0) == !o.server.empty())
    return usage("give either --port or a server command");
  if (o.bulkRcvbuf < 0) return usage("--bulk_rcvbuf must be 0 or positive");
  if (o.tls && o.bulkMiB > 0) return usage("--tls runs ping-pong only, not --bulk_mib");
  if (o.repetitions <= 0 || o.maxSeconds <= 0 || o.bulkMiB < 0)
    return usage("--repetitions and --max_seconds must be positive");

  Output out;
  int port = o.port;
  std::optional<Server> server;
  if (!o.server.empty()) {
    auto started = Server::start(o.server);
    if (!started.ok()) {
      out.error(pingPongName(o, 1), std::string(started.status().message()));
    } else {
      server.emplace(std::move(*started));
      port = server->port();
      gServer = &*server;
    }
  }
  if (port > 0) {
    for (const auto& [connections, trips] : o.pingPong)
      runPingPong(o, port, connections, trips, out);
    if (o.bulkMiB > 0) runBulk(o, port, out);
  }
  gServer = nullptr;
  int status = 0;
  if (server && (status = server->stop()) != 0)
    std::cerr << "echo_loadgen: the " << o.impl << " server exited with status " << status
              << "\n";
  if (!o.out.empty() && !out.write(o.out, o.impl)) {
    std::cerr << "echo_loadgen: cannot write " << o.out << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace torsion::bench

int main(int argc, char** argv) { return torsion::bench::main(argc, argv); }
