#include "net/iocp/extension_functions.h"

#include <string>

#include "net/iocp/iocp_support.h"
#include "net/socket_ops.h"

namespace torsion::net::internal {
namespace {

// One WSAIoctl lookup; the error names `what`.
absl::Status load(SOCKET s, GUID guid, void* out, std::size_t size, const char* what) {
  DWORD bytes = 0;
  if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, out,
               static_cast<DWORD>(size), &bytes, nullptr, nullptr) != 0) {
    return absl::UnavailableError(
        std::string("WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, ") + what +
        "): " + win32ErrorTextAndNumber(WSAGetLastError()));
  }
  return absl::OkStatus();
}

absl::StatusOr<WinsockExtensions> loadAll() {
  ensureSocketsInitialized();
  SOCKET s =
      WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, WSA_FLAG_OVERLAPPED);
  if (s == INVALID_SOCKET) {
    return absl::UnavailableError("socket() to load the winsock extensions: " +
                                  win32ErrorTextAndNumber(WSAGetLastError()));
  }
  WinsockExtensions ext;
  absl::Status st =
      load(s, WSAID_ACCEPTEX, &ext.acceptEx, sizeof ext.acceptEx, "AcceptEx");
  if (st.ok()) {
    st = load(s, WSAID_GETACCEPTEXSOCKADDRS, &ext.getAcceptExSockaddrs,
              sizeof ext.getAcceptExSockaddrs, "GetAcceptExSockaddrs");
  }
  if (st.ok())
    st = load(s, WSAID_CONNECTEX, &ext.connectEx, sizeof ext.connectEx, "ConnectEx");
  ::closesocket(s);
  if (!st.ok()) return st;
  return ext;
}

}  // namespace

absl::StatusOr<const WinsockExtensions*> winsockExtensions() {
  // C++ guarantees one thread-safe initialisation.
  static const absl::StatusOr<WinsockExtensions> loaded = loadAll();
  if (!loaded.ok()) return loaded.status();
  return &*loaded;
}

}  // namespace torsion::net::internal
