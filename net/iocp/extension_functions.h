// torsion/net/iocp/extension_functions.h: the winsock extension functions
// the IOCP transports need (internal): AcceptEx, GetAcceptExSockaddrs and
// ConnectEx, looked up once per process with WSAIoctl
// (SIO_GET_EXTENSION_FUNCTION_POINTER).
//
// Mirrors what twisted.internet.iocpreactor.iocpsupport does at import
// (initWinsockPointers).
//
//   absl::StatusOr<const internal::WinsockExtensions*> ext =
//       internal::winsockExtensions();
//   if (ext.ok()) (*ext)->connectEx(s, addr, len, nullptr, 0, nullptr, o);
//
// Windows only. Thread-safety: any thread (loaded once, then read-only).
#ifndef TORSION_NET_IOCP_EXTENSION_FUNCTIONS_H_
#define TORSION_NET_IOCP_EXTENSION_FUNCTIONS_H_

#include <mswsock.h>
#include <winsock2.h>
#include <ws2tcpip.h>

#include "absl/status/statusor.h"

namespace torsion::net::internal {

struct WinsockExtensions {
  LPFN_ACCEPTEX acceptEx = nullptr;
  LPFN_GETACCEPTEXSOCKADDRS getAcceptExSockaddrs = nullptr;
  LPFN_CONNECTEX connectEx = nullptr;
};

// The pointers, loaded on first call through a throw-away TCP socket (the
// Microsoft provider serves IPv4 and IPv6 alike). The error names the
// function that could not be loaded and why; it is remembered.
absl::StatusOr<const WinsockExtensions*> winsockExtensions();

}  // namespace torsion::net::internal

#endif  // TORSION_NET_IOCP_EXTENSION_FUNCTIONS_H_
