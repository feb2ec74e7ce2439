// FD_SETSIZE must be set before <winsock2.h> sizes fd_set (default 64).
#define FD_SETSIZE 1024

#include "backends/win_select_backend.h"

#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/system_error.h"

namespace torsion {
namespace {

static_assert(WinSelectBackend::kMaxSockets + 1 <= FD_SETSIZE);

SOCKET asSocket(int fd) { return static_cast<SOCKET>(static_cast<unsigned>(fd)); }

absl::Status wsaError(std::string_view call) {
  return statusFromWin32Error(WSAGetLastError(), call);
}

// A connected, non-blocking loopback TCP pair: Twisted's _SocketWaker.
absl::Status makeWakerPair(SOCKET& reader, SOCKET& writer) {
  SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (listener == INVALID_SOCKET) return wsaError("socket(waker listener)");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int len = sizeof addr;
  absl::Status status;
  reader = writer = INVALID_SOCKET;
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    status = wsaError("bind(waker listener, 127.0.0.1:0)");
  } else if (listen(listener, 1) != 0) {
    status = wsaError("listen(waker listener)");
  } else if (getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    status = wsaError("getsockname(waker listener)");
  } else if ((writer = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)) == INVALID_SOCKET) {
    status = wsaError("socket(waker)");
  } else if (connect(writer, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    status = wsaError("connect(waker, loopback)");
  } else if ((reader = accept(listener, nullptr, nullptr)) == INVALID_SOCKET) {
    status = wsaError("accept(waker)");
  }
  closesocket(listener);
  if (status.ok()) {
    u_long on = 1;
    const int one = 1;
    if (ioctlsocket(reader, FIONBIO, &on) != 0 ||
        ioctlsocket(writer, FIONBIO, &on) != 0) {
      status = wsaError("ioctlsocket(waker, FIONBIO)");
    } else {
      // One-byte wake-ups must not wait for Nagle.
      setsockopt(writer, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one),
                 sizeof one);
    }
  }
  if (!status.ok()) {
    if (reader != INVALID_SOCKET) closesocket(reader);
    if (writer != INVALID_SOCKET) closesocket(writer);
  }
  return status;
}

// Whether `s` is still an open socket (used after WSAENOTSOCK).
bool isOpenSocket(SOCKET s) {
  int type = 0;
  int len = sizeof type;
  return getsockopt(s, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len) == 0;
}

// select()'s timeval (winsock takes it non-const): microseconds rounded
// up so a timer never fires early.
timeval* toTimeval(std::optional<std::chrono::nanoseconds> timeout, timeval& storage) {
  if (!timeout.has_value()) return nullptr;
  std::int64_t ns = timeout->count() < 0 ? 0 : timeout->count();
  std::int64_t us = ns / 1000 + (ns % 1000 != 0 ? 1 : 0);
  constexpr std::int64_t kMaxSeconds = 100'000'000;  // winsock's own limit
  if (us / 1'000'000 > kMaxSeconds) us = kMaxSeconds * 1'000'000;
  storage.tv_sec = static_cast<long>(us / 1'000'000);
  storage.tv_usec = static_cast<long>(us % 1'000'000);
  return &storage;
}

// What the win_select backend can do (BackendFeatures in backends/backend.h).
constexpr BackendFeatures kWinSelectFeatures{
    .fdReadiness = true,
    .completionModel = false,
    .constantTimePerEvent = false,
    .regularFilesAlwaysReady = false,  // winsock select takes sockets only
    .needsReinitAfterFork = false,
    .maxFd = -1,  // winsock's limit is a count, not a value
    .maxWatched = WinSelectBackend::kMaxSockets,
};
}  // namespace

WinSelectBackend::WinSelectBackend(std::uintptr_t wakeRead, std::uintptr_t wakeWrite)
    : Backend("select", kWinSelectFeatures), wakeRead_(wakeRead), wakeWrite_(wakeWrite) {}

absl::StatusOr<std::unique_ptr<Backend>> WinSelectBackend::create() {
  WSADATA data;
  if (const int err = WSAStartup(MAKEWORD(2, 2), &data); err != 0) {
    return statusFromWin32Error(err, "WSAStartup(2.2)");
  }
  SOCKET reader, writer;
  if (absl::Status s = makeWakerPair(reader, writer); !s.ok()) {
    WSACleanup();
    return s;
  }
  return std::unique_ptr<Backend>(new WinSelectBackend(reader, writer));
}

WinSelectBackend::~WinSelectBackend() {
  closesocket(wakeRead_);
  closesocket(wakeWrite_);
  WSACleanup();
}

absl::Status WinSelectBackend::setInterest(int fd, Interest previous, Interest wanted) {
  (void)previous;
  if (fd < 0 || asSocket(fd) == wakeRead_ || asSocket(fd) == wakeWrite_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "select: setInterest(fd=", fd, ") refused: not a socket this backend may watch"));
  }
  if (wanted == Interest::kNone) {
    fds_.erase(fd);
    return absl::OkStatus();
  }
  auto it = fds_.find(fd);
  if (it == fds_.end()) {
    if (static_cast<int>(fds_.size()) >= kMaxSockets) {
      return absl::ResourceExhaustedError(
          absl::StrCat("select: setInterest(fd=", fd, ") refused: already watching ",
                       kMaxSockets, " sockets, winsock select's FD_SETSIZE limit here"));
    }
    if (!isOpenSocket(asSocket(fd))) {
      return statusFromWin32Error(
          WSAGetLastError(), absl::StrCat("select: getsockopt(fd=", fd, ", SO_TYPE)"));
    }
    fds_.emplace(fd, wanted);
  } else {
    it->second = wanted;
  }
  forgottenThisRound_.erase(fd);
  return absl::OkStatus();
}

void WinSelectBackend::forget(int fd) noexcept {
  fds_.erase(fd);
  forgottenThisRound_.insert(fd);
}

void WinSelectBackend::wakeUp() const noexcept {
  // A full send buffer already means "awake"; any error is ignored.
  const int savedError = WSAGetLastError();
  const char byte = 'x';
  send(wakeWrite_, &byte, 1, 0);
  WSASetLastError(savedError);
}

void WinSelectBackend::drainWaker() noexcept {
  char buffer[256];
  while (recv(wakeRead_, buffer, sizeof buffer, 0) > 0) {
  }
}

int WinSelectBackend::reportInvalid(ReadinessSink& sink) {
  std::vector<int> dead;
  for (const auto& [fd, interest] : fds_) {
    if (!isOpenSocket(asSocket(fd))) dead.push_back(fd);
  }
  int reported = 0;
  for (int fd : dead) {
    if (forgottenThisRound_.count(fd) != 0 || fds_.count(fd) == 0) continue;
    sink.onReady(fd, kInvalid);
    ++reported;
  }
  return reported;
}

absl::StatusOr<int> WinSelectBackend::poll(
    std::optional<std::chrono::nanoseconds> timeout, ReadinessSink& sink) {
  // Three 1024-socket fd_sets are 8 KiB each: thread_local keeps them off
  // the stack without allocating per poll.
  thread_local fd_set readSet, writeSet, exceptSet;
  FD_ZERO(&readSet);
  FD_ZERO(&writeSet);
  FD_ZERO(&exceptSet);
  FD_SET(wakeRead_, &readSet);
  for (const auto& [fd, interest] : fds_) {
    if (hasInterest(interest, Interest::kRead)) FD_SET(asSocket(fd), &readSet);
    if (hasInterest(interest, Interest::kWrite)) {
      FD_SET(asSocket(fd), &writeSet);
      FD_SET(asSocket(fd), &exceptSet);  // a failed connect shows up here
    }
  }
  timeval storage;
  forgottenThisRound_.clear();
  const int n = select(0, &readSet, &writeSet, &exceptSet, toTimeval(timeout, storage));
  if (n == SOCKET_ERROR) {
    const int err = WSAGetLastError();
    if (err == WSAEINTR) return 0;
    if (err == WSAENOTSOCK) return reportInvalid(sink);
    return statusFromWin32Error(err, "select");
  }
  if (n == 0) return 0;
  if (FD_ISSET(wakeRead_, &readSet)) drainWaker();
  // Collect first: the sink may change registrations while we report.
  std::vector<std::pair<int, std::uint8_t>> ready;
  for (const auto& [fd, interest] : fds_) {
    std::uint8_t events = 0;
    const SOCKET s = asSocket(fd);
    if (FD_ISSET(s, &readSet)) events |= kReadable;
    if (FD_ISSET(s, &writeSet)) events |= kWritable;
    if (FD_ISSET(s, &exceptSet)) events |= kError;
    if (events != 0) ready.emplace_back(fd, events);
  }
  int reported = 0;
  for (const auto& [fd, events] : ready) {
    if (forgottenThisRound_.count(fd) != 0 || fds_.count(fd) == 0) continue;
    sink.onReady(fd, events);
    ++reported;
  }
  return reported;
}

}  // namespace torsion
