// torsion/net/socket_ops.h: the socket primitives that differ between POSIX
// and winsock (internal), and the one place that includes the platform's
// socket headers.
//
// torsion keeps `int` for sockets everywhere; on Windows a SOCKET is cast to
// int and back at the call, as CPython's socket.fileno() does. Errors are
// plain ints: errno on POSIX, WSAGetLastError() on Windows; compare them
// with the k* constants and is*() predicates below, never with E* macros.
// Mirrors what twisted.internet.tcp / udp take from the `errno` module and
// from platformType checks (EWOULDBLOCK vs WSAEWOULDBLOCK, SD_SEND, ...).
//
//   internal::ensureSocketsInitialized();
//   int fd = internal::openSocket(AF_INET, SOCK_STREAM);
//   if (fd < 0) return internal::socketErrorText(internal::lastSocketError());
//   if (::connect(fd, a.get(), a.len) != 0 &&
//       !internal::isConnectInProgress(internal::lastSocketError())) { ... }
//
// Implementations: socket_ops_posix.cc and socket_ops_win.cc, one chosen
// per platform by select() in net/BUILD.bazel.
//
// Thread-safety: every function may be called from any thread.
#ifndef TORSION_NET_SOCKET_OPS_H_
#define TORSION_NET_SOCKET_OPS_H_

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#endif

#include <climits>
#include <cstddef>

namespace torsion::net::internal {

#ifdef _WIN32
// One gathered piece for sendIoVec(): WSABUF, so WSASend takes the array.
using IoVec = WSABUF;
inline void setIoVec(IoVec& v, const char* data, std::size_t size) {
  v.buf = const_cast<char*>(data);
  // WSABUF holds a ULONG; a stream send may take less than offered anyway.
  v.len = static_cast<ULONG>(size > INT_MAX ? INT_MAX : size);
}
inline std::size_t ioVecSize(const IoVec& v) { return v.len; }
inline const char* ioVecData(const IoVec& v) { return v.buf; }

inline constexpr int kConnectionRefused = WSAECONNREFUSED;
inline constexpr int kConnectionReset = WSAECONNRESET;
inline constexpr int kMessageTooLong = WSAEMSGSIZE;
inline constexpr int kTimedOut = WSAETIMEDOUT;
inline constexpr int kHostUnreachable = WSAEHOSTUNREACH;
inline constexpr int kNetworkUnreachable = WSAENETUNREACH;
inline constexpr int kAddressInUse = WSAEADDRINUSE;
inline constexpr int kTooManyFiles = WSAEMFILE;
inline constexpr int kInterrupted = WSAEINTR;
#else
// One gathered piece for sendIoVec(): POSIX's iovec.
using IoVec = iovec;
inline void setIoVec(IoVec& v, const char* data, std::size_t size) {
  v.iov_base = const_cast<char*>(data);
  v.iov_len = size;
}
inline std::size_t ioVecSize(const IoVec& v) { return v.iov_len; }
inline const char* ioVecData(const IoVec& v) {
  return static_cast<const char*>(v.iov_base);
}

inline constexpr int kConnectionRefused = ECONNREFUSED;
inline constexpr int kConnectionReset = ECONNRESET;
inline constexpr int kMessageTooLong = EMSGSIZE;
inline constexpr int kTimedOut = ETIMEDOUT;
inline constexpr int kHostUnreachable = EHOSTUNREACH;
inline constexpr int kNetworkUnreachable = ENETUNREACH;
inline constexpr int kAddressInUse = EADDRINUSE;
inline constexpr int kTooManyFiles = EMFILE;
inline constexpr int kInterrupted = EINTR;
#endif

// WSAStartup(2.2) once per process (never cleaned up: sockets may outlive
// any one reactor). A no-op on POSIX. Every function here that creates a
// socket or resolves calls it; call it yourself before other winsock use.
void ensureSocketsInitialized();

// The error of the last failed socket call on this thread.
int lastSocketError();

// A non-blocking socket that child processes do not inherit
// (SOCK_NONBLOCK | SOCK_CLOEXEC; WSA_FLAG_NO_HANDLE_INHERIT + FIONBIO), or
// -1 with lastSocketError() set.
int openSocket(int family, int type);

// accept() of a non-blocking, non-inherited socket (accept4 on POSIX), or
// -1 with lastSocketError() set.
int acceptSocket(int listener, sockaddr* address, socklen_t* length);

// close() / closesocket(); 0 or -1.
int closeSocket(int fd);

// Non-blocking mode on; false with lastSocketError() set on error.
bool setNonBlocking(int fd);

// send() of the pieces in order, never blocking and never raising SIGPIPE:
// the bytes sent, or -1 with lastSocketError() set.
std::ptrdiff_t sendIoVec(int fd, IoVec* pieces, int count);

// shutdown(SHUT_WR / SD_SEND); 0 or -1.
int shutdownWrite(int fd);

// After recv() returned 0: whether the peer reset the connection (RST)
// rather than closing it. Always false on POSIX, where recv() itself fails
// with ECONNRESET. On Windows, Wine reports a reset as end-of-file while
// WSAPoll still shows POLLERR; real Windows fails recv() with
// WSAECONNRESET first, so the check is harmless there.
bool peerResetAtEof(int fd);

// The socket's pending error (getsockopt SO_ERROR; reading it may clear
// it), or 0 if none or the call failed.
int pendingSocketError(int fd);

// The call would block (EAGAIN, EWOULDBLOCK, EINTR; WSAEWOULDBLOCK,
// WSAEINTR): try again on the next readiness event.
bool isWouldBlock(int error);

// A non-blocking connect() goes on in the background (EINPROGRESS or
// EINTR; WSAEWOULDBLOCK on Windows, which Twisted's tcp.py checks too).
bool isConnectInProgress(int error);

// accept() failed for this one connection only (it was aborted before we
// took it): accept the next.
bool isTransientAcceptError(int error);

// accept() failed for lack of descriptors or memory (EMFILE, ENFILE,
// ENOBUFS, ENOMEM; WSAEMFILE, WSAENOBUFS): back off and retry later.
bool isOutOfResources(int error);

}  // namespace torsion::net::internal

#endif  // TORSION_NET_SOCKET_OPS_H_
