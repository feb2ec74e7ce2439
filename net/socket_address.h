// torsion/net/socket_address.h: sockaddr plumbing shared by TCP, UDP and
// Unix sockets (internal).
//
// Converts between the OS's sockaddr structures and torsion's Address, and
// parses IP literals without ever touching DNS. Nothing here mirrors a
// public Twisted API: it is the part of twisted.internet.tcp / udp / unix
// that deals with socket addresses.
//
//   absl::StatusOr<internal::SockAddr> a = internal::ipLiteral("::1", 80);
//   if (a.ok()) ::connect(fd, a->get(), a->len);
//
// Thread-safety: pure functions; any thread.
#ifndef TORSION_NET_SOCKET_ADDRESS_H_
#define TORSION_NET_SOCKET_ADDRESS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "net/address.h"
#include "net/socket_ops.h"

namespace torsion::net::internal {

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;

  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
};

// True for "1.2.3.4" / "::1" (and "fe80::1%lo"): an IP literal that needs
// no resolution. False for anything holding a NUL byte.
bool isIPv4Literal(std::string_view host);
bool isIPv6Literal(std::string_view host);
inline bool isIPLiteral(std::string_view host) {
  return isIPv4Literal(host) || isIPv6Literal(host);
}

// The sockaddr for an IP literal. "" means IPv4 any (Twisted's default
// interface). InvalidArgument if `host` is not a literal or holds a NUL
// byte (net/nul_check.h).
absl::StatusOr<SockAddr> ipLiteral(std::string_view host, std::uint16_t port);

// A Unix socket address. InvalidArgument if the path does not fit or holds
// a NUL byte; otherwise Unimplemented on Windows (net/unix.h is
// POSIX-only).
absl::StatusOr<SockAddr> unixPath(std::string_view path);

// The Address for a sockaddr; `type` is "TCP" or "UDP" for IP families.
Address toAddress(const sockaddr* sa, socklen_t len, const char* type);

// getsockname / getpeername as Addresses (an empty Address on error).
Address localAddress(int fd, const char* type);
Address peerAddress(int fd, const char* type);

// The text of a socket error (lastSocketError()), thread-safely:
// base/system_error.h's socketErrorText on POSIX ("Connection refused"),
// win32ErrorText on Windows.
std::string socketErrorText(int error);

// getaddrinfo's error `rc` in words: gai_strerror on POSIX; on Windows,
// where getaddrinfo's codes are WSA errors and gai_strerror is not
// thread-safe, socketErrorText.
std::string resolverErrorText(int rc);

// A Status for a socket error: the code base/system_error.h gives `error`
// (on Windows, a CRT errno below WSABASEERR maps as absl::ErrnoToStatusCode
// maps it) and the message "message: <socketErrorText(error)>", as
// absl::ErrnoToStatus writes it on POSIX.
absl::StatusCode socketErrorCode(int error);
absl::Status socketErrorStatus(int error, std::string_view message);

// "127.0.0.1:80", "[::1]:80", "example.com:80" or the path: for error
// messages.
std::string describe(const Address& address);

}  // namespace torsion::net::internal

#endif  // TORSION_NET_SOCKET_ADDRESS_H_
