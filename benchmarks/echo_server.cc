#include "benchmarks/echo_server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <utility>

#include "benchmarks/ledger.h"
#include "benchmarks/pipe_ring.h"

namespace torsion::bench {
namespace {

std::map<std::string, EchoServerFactory>& registry() {
  static auto* servers = new std::map<std::string, EchoServerFactory>();
  return *servers;
}

void signalStop(int fd) {
  const char byte = 's';
  while (write(fd, &byte, 1) < 0 && errno == EINTR) {
  }
}

}  // namespace

bool registerEchoServer(const std::string& impl, EchoServerFactory factory) {
  registry()[impl] = std::move(factory);
  return true;
}

const EchoServerFactory* findEchoServer(const std::string& impl) {
  auto it = registry().find(impl);
  return it == registry().end() ? nullptr : &it->second;
}

std::vector<std::string> echoServers() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : registry()) names.push_back(name);
  return names;
}

absl::StatusOr<std::unique_ptr<EchoServerThread>> EchoServerThread::start(
    const std::string& impl) {
  const EchoServerFactory* factory = findEchoServer(impl);
  if (factory == nullptr) return absl::NotFoundError("no echo server named " + impl);
  std::unique_ptr<EchoServerThread> self(new EchoServerThread());
  if (pipe2(self->stopPipe_, O_CLOEXEC) != 0)
    return absl::InternalError(std::string("pipe2() failed: ") + std::strerror(errno));
  auto server = (*factory)(self->stopPipe_[0]);
  if (!server.ok()) return server.status();
  self->port_ = (*server)->port();
  self->thread_ = std::thread([raw = self.get(), s = std::move(*server)]() mutable {
    raw->served_ = s->serve();
    s.reset();  // destroyed on the thread that served
  });
  return self;
}

absl::Status EchoServerThread::stop() {
  if (thread_.joinable()) {
    signalStop(stopPipe_[1]);
    thread_.join();
  }
  for (int& fd : stopPipe_) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  return served_;
}

EchoServerThread::~EchoServerThread() { (void)stop(); }

int echoServerMain(int argc, char** argv) {
  std::string impl;
  double maxSeconds = 300;
  for (int i = 1; i < argc; ++i) {
    const bool hasValue = i + 1 < argc;
    if (std::strcmp(argv[i], "--impl") == 0 && hasValue) {
      impl = argv[++i];
    } else if (std::strcmp(argv[i], "--max_seconds") == 0 && hasValue) {
      maxSeconds = std::atof(argv[++i]);
    } else {
      impl.clear();
      break;
    }
  }
  const EchoServerFactory* factory = impl.empty() ? nullptr : findEchoServer(impl);
  if (factory == nullptr || maxSeconds <= 0) {
    std::fprintf(stderr, "usage: %s --impl {", argv[0]);
    for (const std::string& name : echoServers())
      std::fprintf(stderr, " %s", name.c_str());
    std::fprintf(stderr, " } [--max_seconds S]\n");
    return 2;
  }
  raiseFdLimit(4096);
  int stopPipe[2];
  if (pipe2(stopPipe, O_CLOEXEC) != 0) {
    std::perror("pipe2");
    return 1;
  }
  auto server = (*factory)(stopPipe[0]);
  if (!server.ok()) {
    std::fprintf(stderr, "%s: %s\n", impl.c_str(), server.status().ToString().c_str());
    return 1;
  }
  std::printf("PORT %d\n", (*server)->port());
  std::fflush(stdout);
  // The watchdog: stdin's EOF or the deadline, whichever comes first, stops
  // the server, so no run outlives its load generator or its time bound.
  std::atomic<bool> served{false};
  std::thread watchdog([&] {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(maxSeconds));
    char sink[256];
    while (!served.load()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd in{STDIN_FILENO, POLLIN, 0};
      const int ready =
          poll(&in, 1, static_cast<int>(std::min<long>(left.count(), 1000)));
      if (ready > 0 && read(STDIN_FILENO, sink, sizeof sink) <= 0) break;
    }
    signalStop(stopPipe[1]);
  });
  // The cost ledger counts the whole of serve() on this thread; tools/ledger.py
  // subtracts two runs of different lengths to get the cost per round trip.
  const std::string ledgerName = "W3_serve/" + impl + "/0";
  ledger::begin();
  const absl::Status status = (*server)->serve();
  ledger::end(ledgerName, "process", 0);
  served = true;
  watchdog.join();
  server->reset();
  close(stopPipe[0]);
  close(stopPipe[1]);
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", impl.c_str(), status.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace torsion::bench
