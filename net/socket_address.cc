#include "net/socket_address.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <sys/un.h>
#endif

#include <cstddef>
#include <cstring>
#include <string>

#include "base/system_error.h"
#include "net/nul_check.h"

namespace torsion::net::internal {

bool isIPv4Literal(std::string_view host) {
  // The C string would end at a NUL: "127.0.0.1\0x" is no literal.
  if (containsNul(host)) return false;
  in_addr a;
  return inet_pton(AF_INET, std::string(host).c_str(), &a) == 1;
}

bool isIPv6Literal(std::string_view host) {
  if (host.find(':') == std::string_view::npos || containsNul(host)) return false;
  ensureSocketsInitialized();
  // getaddrinfo with AI_NUMERICHOST accepts scoped literals ("fe80::1%lo")
  // that inet_pton refuses, and never resolves anything.
  addrinfo hints{};
  hints.ai_family = AF_INET6;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  const bool ok = getaddrinfo(std::string(host).c_str(), nullptr, &hints, &res) == 0;
  if (res != nullptr) freeaddrinfo(res);
  return ok;
}

absl::StatusOr<SockAddr> ipLiteral(std::string_view host, std::uint16_t port) {
  if (absl::Status s = checkNoNul("IP address", host); !s.ok()) return s;
  SockAddr out;
  ensureSocketsInitialized();
  if (host.empty()) host = "0.0.0.0";
  const std::string h(host);
  if (isIPv4Literal(host)) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    inet_pton(AF_INET, h.c_str(), &sin->sin_addr);
    out.len = sizeof(sockaddr_in);
    return out;
  }
  addrinfo hints{};
  hints.ai_family = AF_INET6;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  if (host.find(':') != std::string_view::npos &&
      getaddrinfo(h.c_str(), nullptr, &hints, &res) == 0 && res != nullptr) {
    std::memcpy(&out.storage, res->ai_addr, res->ai_addrlen);
    out.len = static_cast<socklen_t>(res->ai_addrlen);
    freeaddrinfo(res);
    reinterpret_cast<sockaddr_in6*>(&out.storage)->sin6_port = htons(port);
    return out;
  }
  if (res != nullptr) freeaddrinfo(res);
  return absl::InvalidArgumentError("'" + printable(h) +
                                    "' is not an IPv4 or IPv6 address literal");
}

absl::StatusOr<SockAddr> unixPath(std::string_view path) {
  if (absl::Status s = checkNoNul("Unix socket path", path); !s.ok()) return s;
#ifdef _WIN32
  return absl::UnimplementedError("Unix socket path '" + std::string(path) +
                                  "': Unix sockets are not supported on Windows");
#else
  SockAddr out;
  auto* sun = reinterpret_cast<sockaddr_un*>(&out.storage);
  if (path.empty() || path.size() >= sizeof(sun->sun_path)) {
    return absl::InvalidArgumentError(
        "Unix socket path '" + std::string(path) + "' is empty or longer than " +
        std::to_string(sizeof(sun->sun_path) - 1) + " bytes");
  }
  sun->sun_family = AF_UNIX;
  std::memcpy(sun->sun_path, path.data(), path.size());
  out.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return out;
#endif
}

Address toAddress(const sockaddr* sa, socklen_t len, const char* type) {
  // Room for a scoped IPv6 literal ("fe80::1%eth0").
  char host[NI_MAXHOST] = {};
  switch (sa->sa_family) {
    case AF_INET: {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(sa);
      inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
      return Address::ipv4(type, host, ntohs(sin->sin_port));
    }
    case AF_INET6: {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(sa);
      // NI_NUMERICHOST keeps a link-local scope ("fe80::1%eth0").
      ensureSocketsInitialized();
      if (getnameinfo(sa, len, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0) {
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
      }
      return Address::ipv6(type, host, ntohs(sin6->sin6_port));
    }
#ifndef _WIN32
    case AF_UNIX: {
      const auto* sun = reinterpret_cast<const sockaddr_un*>(sa);
      const std::size_t offset = offsetof(sockaddr_un, sun_path);
      if (len <= offset) return Address::unixSocket("");
      std::size_t n = static_cast<std::size_t>(len) - offset;
      // Pathname sockets count the trailing NUL; stop at it.
      n = strnlen(sun->sun_path, n);
      return Address::unixSocket(std::string(sun->sun_path, n));
    }
#endif
    default:
      return Address{};
  }
}

Address localAddress(int fd, const char* type) {
  SockAddr a;
  a.len = sizeof a.storage;
  if (getsockname(fd, a.get(), &a.len) != 0) return Address{};
  return toAddress(a.get(), a.len, type);
}

Address peerAddress(int fd, const char* type) {
  SockAddr a;
  a.len = sizeof a.storage;
  if (getpeername(fd, a.get(), &a.len) != 0) return Address{};
  return toAddress(a.get(), a.len, type);
}

std::string socketErrorText(int error) {
#ifdef _WIN32
  return win32ErrorText(static_cast<std::uint32_t>(error));
#else
  return torsion::errnoText(error);
#endif
}

std::string resolverErrorText(int rc) {
#ifdef _WIN32
  return socketErrorText(rc);
#else
  return gai_strerror(rc);
#endif
}

absl::StatusCode socketErrorCode(int error) {
#ifdef _WIN32
  // Below WSABASEERR: a CRT errno (listenTCP passes EINVAL), or 0.
  return error < WSABASEERR ? absl::ErrnoToStatusCode(error)
                            : statusCodeFromWin32Error(static_cast<std::uint32_t>(error));
#else
  return absl::ErrnoToStatusCode(error);
#endif
}

absl::Status socketErrorStatus(int error, std::string_view message) {
#ifdef _WIN32
  return absl::Status(socketErrorCode(error),
                      std::string(message) + ": " + socketErrorText(error));
#else
  return absl::ErrnoToStatus(error, absl::string_view(message.data(), message.size()));
#endif
}

std::string describe(const Address& address) {
  switch (address.kind) {
    case Address::Kind::kIPv4:
      return address.host + ":" + std::to_string(address.port);
    case Address::Kind::kHostname:
      // A HostnameEndpoint may be given an IPv6 literal as its "name".
      if (address.host.find(':') != std::string::npos) {
        return "[" + address.host + "]:" + std::to_string(address.port);
      }
      return address.host + ":" + std::to_string(address.port);
    case Address::Kind::kIPv6:
      return "[" + address.host + "]:" + std::to_string(address.port);
    case Address::Kind::kUnix:
      return address.path;
  }
  return "?";
}

}  // namespace torsion::net::internal
