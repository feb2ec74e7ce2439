// Windows side of net/socket_ops.h: WSAGetLastError, WSASocket without
// handle inheritance, FIONBIO, WSASend of a WSABUF array, SD_SEND.
#include <mutex>

#include "net/socket_ops.h"

namespace torsion::net::internal {
namespace {

SOCKET asSocket(int fd) { return static_cast<SOCKET>(static_cast<unsigned>(fd)); }

// A new socket `s` as a non-blocking descriptor; -1 if it cannot be made
// non-blocking, with `s` closed and WSAGetLastError() still saying why.
int nonBlockingOrClosed(SOCKET s) {
  const int fd = static_cast<int>(s);
  if (!setNonBlocking(fd)) {
    const int e = WSAGetLastError();
    closesocket(s);
    WSASetLastError(e);
    return -1;
  }
  return fd;
}

}  // namespace

void ensureSocketsInitialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    WSADATA data;
    // A failure shows up as WSANOTINITIALISED from the first socket call,
    // which then names what failed.
    (void)WSAStartup(MAKEWORD(2, 2), &data);
  });
}

int lastSocketError() { return WSAGetLastError(); }

int openSocket(int family, int type) {
  ensureSocketsInitialized();
  SOCKET s = WSASocketW(family, type, 0, nullptr, 0,
                        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  // Systems before Windows 7 SP1 refuse the flag: inheritable is better
  // than no socket.
  if (s == INVALID_SOCKET && WSAGetLastError() == WSAEINVAL) {
    s = WSASocketW(family, type, 0, nullptr, 0, WSA_FLAG_OVERLAPPED);
  }
  if (s == INVALID_SOCKET) return -1;
  return nonBlockingOrClosed(s);
}

int acceptSocket(int listener, sockaddr* address, socklen_t* length) {
  const SOCKET s = ::accept(asSocket(listener), address, length);
  if (s == INVALID_SOCKET) return -1;
  // The accepted socket inherits the listener's non-blocking mode; say so
  // anyway rather than rely on it.
  return nonBlockingOrClosed(s);
}

int closeSocket(int fd) { return closesocket(asSocket(fd)) == 0 ? 0 : -1; }

bool setNonBlocking(int fd) {
  u_long on = 1;
  return ioctlsocket(asSocket(fd), FIONBIO, &on) == 0;
}

std::ptrdiff_t sendIoVec(int fd, IoVec* pieces, int count) {
  DWORD sent = 0;
  if (WSASend(asSocket(fd), pieces, static_cast<DWORD>(count), &sent, 0, nullptr,
              nullptr) != 0) {
    return -1;
  }
  return static_cast<std::ptrdiff_t>(sent);
}

int shutdownWrite(int fd) { return ::shutdown(asSocket(fd), SD_SEND) == 0 ? 0 : -1; }

bool peerResetAtEof(int fd) {
  WSAPOLLFD p{};
  p.fd = asSocket(fd);
  p.events = POLLRDNORM;
  // A graceful close leaves POLLHUP only; a reset adds POLLERR.
  return WSAPoll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0;
}

int pendingSocketError(int fd) {
  int error = 0;
  int len = sizeof error;
  if (::getsockopt(asSocket(fd), SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&error),
                   &len) != 0) {
    return 0;
  }
  return error;
}

bool isWouldBlock(int error) { return error == WSAEWOULDBLOCK || error == WSAEINTR; }

bool isConnectInProgress(int error) {
  return error == WSAEWOULDBLOCK || error == WSAEINPROGRESS || error == WSAEINTR;
}

bool isTransientAcceptError(int error) {
  return error == WSAEINTR || error == WSAECONNRESET || error == WSAECONNABORTED;
}

bool isOutOfResources(int error) { return error == WSAEMFILE || error == WSAENOBUFS; }

}  // namespace torsion::net::internal
