// The echo server (examples/echo_server.cc) against clients that send and
// never read: its memory must stay bounded. Without backpressure it read
// everything those clients sent into its write buffers, each capped only by
// the transport's 64 MiB hard limit (four of them drove it to 260 MiB).
//
// The test runs the real binary (its path is the first argument), so what
// it measures is what a user who copies the example gets: the server's peak
// resident memory (VmHWM in /proc/PID/status) after four clients have
// pushed until the flow control stopped them. Then the clients read
// everything back and check it, which also shows the server resumes reading
// once its peer drains, and finally close; the server exits after four
// connections (--count 4).
//
// No timing is asserted: "stopped" means no client could send anything for
// a while, and the assertions are on byte counts and memory.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace {

const char* serverBinary = nullptr;

constexpr int kClients = 4;
// Far more than the 64 MiB hard limit, where a server without
// backpressure aborts each connection (after buffering all of it), and than
// what the kernel's socket buffers of one loopback connection hold (18 MiB
// or so; some 72 MiB at most with Linux's largest default limits).
constexpr std::uint64_t kMaxSendPerClient = 256ull << 20;
// The server's own growth allowed while the clients are stuck: generous
// next to what backpressure leaves (a 64 KiB high-water mark per
// connection plus one read), far below what the missing backpressure cost.
constexpr std::uint64_t kGrowthBoundKiB = 32 * 1024;

// The running server: its pid and the port it printed.
struct Server {
  pid_t pid = -1;
  int port = 0;
  FILE* output = nullptr;
};

std::optional<Server> startServer() {
  int out[2];
  if (pipe(out) != 0) return std::nullopt;
  const pid_t pid = fork();
  if (pid < 0) return std::nullopt;
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execl(serverBinary, serverBinary, "--port", "0", "--count",
          std::to_string(kClients).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  Server s{pid, 0, fdopen(out[0], "r")};
  char line[256];
  if (s.output == nullptr || fgets(line, sizeof line, s.output) == nullptr ||
      std::sscanf(line, "listening on 127.0.0.1:%d", &s.port) != 1) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return std::nullopt;
  }
  return s;
}

// A field of /proc/PID/status in KiB ("VmHWM", "VmRSS"); 0 if missing (an
// exited process has none).
std::uint64_t statusKiB(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0)
      return std::stoull(line.substr(field.size() + 1));
  }
  return 0;
}

// The byte at `offset` of the stream client `id` sends: cheap, and a
// misplaced or mixed-up byte shows.
char streamByte(int id, std::uint64_t offset) {
  return static_cast<char>(
      (offset * 131 + offset / 4093 + static_cast<unsigned>(id) * 17) & 0xff);
}

struct Client {
  int fd = -1;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  bool mismatch = false;
  int error = 0;  // errno of a failed send or recv
};

int connectTo(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 &&
      errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends on every client until none can send for `quietRounds` polls of
// 100 ms in a row (the flow control stopped them) or each reached its cap.
// Returns the server's peak resident memory (KiB) seen meanwhile: sampled
// every round, as a server that aborted every connection exits (--count)
// and takes its /proc entry with it.
std::uint64_t sendUntilStopped(pid_t server, std::vector<Client>& clients,
                               int quietRounds) {
  std::string chunk(64 * 1024, '\0');
  std::uint64_t peakKiB = 0;
  for (int quiet = 0; quiet < quietRounds;) {
    peakKiB = std::max(peakKiB, statusKiB(server, "VmHWM"));
    std::vector<pollfd> fds;
    for (Client& c : clients) {
      if (c.error == 0 && c.sent < kMaxSendPerClient) fds.push_back({c.fd, POLLOUT, 0});
    }
    if (fds.empty()) break;
    poll(fds.data(), fds.size(), 100);
    bool progress = false;
    for (int id = 0; id < kClients; ++id) {
      Client& c = clients[id];
      if (c.error != 0 || c.sent >= kMaxSendPerClient) continue;
      // At most 1 MiB per client per round, so the memory is sampled often.
      for (const std::uint64_t roundEnd = c.sent + (1u << 20); c.sent < roundEnd;) {
        const std::size_t n = static_cast<std::size_t>(
            std::min<std::uint64_t>(chunk.size(), kMaxSendPerClient - c.sent));
        if (n == 0) break;
        for (std::size_t i = 0; i < n; ++i) chunk[i] = streamByte(id, c.sent + i);
        const ssize_t w = send(c.fd, chunk.data(), n, MSG_NOSIGNAL);
        if (w > 0) {
          c.sent += static_cast<std::uint64_t>(w);
          progress = true;
          continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
            errno != ENOTCONN) {
          c.error = errno;
        }
        break;
      }
    }
    quiet = progress ? 0 : quiet + 1;
  }
  return std::max(peakKiB, statusKiB(server, "VmHWM"));
}

// Reads back everything each client sent, checking every byte; gives up
// after `quietRounds` polls of 100 ms without a byte arriving.
void readEverythingBack(std::vector<Client>& clients, int quietRounds) {
  std::string buf(256 * 1024, '\0');
  for (int quiet = 0; quiet < quietRounds;) {
    std::vector<pollfd> fds;
    for (Client& c : clients) {
      if (c.error == 0 && c.received < c.sent) fds.push_back({c.fd, POLLIN, 0});
    }
    if (fds.empty()) return;
    poll(fds.data(), fds.size(), 100);
    bool progress = false;
    for (int id = 0; id < kClients; ++id) {
      Client& c = clients[id];
      while (c.error == 0 && c.received < c.sent) {
        const ssize_t r = recv(c.fd, buf.data(), buf.size(), 0);
        if (r > 0) {
          for (ssize_t i = 0; i < r; ++i) {
            c.mismatch = c.mismatch || buf[i] != streamByte(id, c.received + i);
          }
          c.received += static_cast<std::uint64_t>(r);
          progress = true;
          continue;
        }
        if (r == 0) c.error = ECONNRESET;  // closed before echoing everything
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          c.error = errno;
        }
        break;
      }
    }
    quiet = progress ? 0 : quiet + 1;
  }
}

TEST(EchoServerTest, MemoryStaysBoundedWhenClientsNeverRead) {
  ASSERT_NE(serverBinary, nullptr) << "usage: echo_server_test PATH_TO_ECHO_SERVER";
  std::optional<Server> server = startServer();
  ASSERT_TRUE(server.has_value()) << "could not start " << serverBinary;
  const std::uint64_t startKiB = statusKiB(server->pid, "VmRSS");

  std::vector<Client> clients(kClients);
  for (Client& c : clients) {
    c.fd = connectTo(server->port);
    ASSERT_GE(c.fd, 0) << std::strerror(errno);
  }
  const std::uint64_t peakKiB =
      sendUntilStopped(server->pid, clients, /*quietRounds=*/10);
  std::uint64_t sent = 0;
  for (int id = 0; id < kClients; ++id) {
    const Client& c = clients[id];
    SCOPED_TRACE("client " + std::to_string(id));
    // The server stopped reading long before the cap: the kernel's socket
    // buffers filled up and the client could not send more.
    EXPECT_EQ(c.error, 0) << std::strerror(c.error);
    EXPECT_LT(c.sent, kMaxSendPerClient);
    sent += c.sent;
  }
  std::printf("server RSS: %llu KiB at start, peak %llu KiB after %llu bytes sent\n",
              static_cast<unsigned long long>(startKiB),
              static_cast<unsigned long long>(peakKiB),
              static_cast<unsigned long long>(sent));
  EXPECT_LE(peakKiB, startKiB + kGrowthBoundKiB)
      << "server peak RSS " << peakKiB << " KiB (" << startKiB << " KiB at start) after "
      << sent << " bytes sent by " << kClients << " clients that never read";
  // Still serving: no connection was aborted for passing the hard limit.
  ASSERT_EQ(waitpid(server->pid, nullptr, WNOHANG), 0) << "the server exited";

  readEverythingBack(clients, /*quietRounds=*/100);
  for (int id = 0; id < kClients; ++id) {
    const Client& c = clients[id];
    SCOPED_TRACE("client " + std::to_string(id));
    EXPECT_EQ(c.error, 0) << std::strerror(c.error);
    EXPECT_EQ(c.received, c.sent);
    EXPECT_FALSE(c.mismatch);
    close(c.fd);
  }

  // Four connections closed: the server stops by itself.
  int status = 0;
  ASSERT_EQ(waitpid(server->pid, &status, 0), server->pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  std::string rest;
  char line[256];
  while (fgets(line, sizeof line, server->output) != nullptr) rest += line;
  fclose(server->output);
  EXPECT_EQ(rest, "served 4 connection(s)\n");
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc > 1) serverBinary = argv[1];
  return RUN_ALL_TESTS();
}
