// torsion/net/nul_check.h: refusing names the OS would cut short.
//
// Hosts, interfaces and paths reach the OS as C strings (inet_pton,
// getaddrinfo, sockaddr_un's sun_path, symlink, chmod), and a C string ends
// at its first NUL byte. A std::string_view does not, so without this check
// "127.0.0.1\0evil" would quietly listen on or connect to 127.0.0.1, and
// "/run/app\0x.sock" would bind /run/app. Every net API that takes such a
// name calls checkNoNul() before using it.
//
//   if (absl::Status s = internal::checkNoNul("interface", interface); !s.ok())
//     return s;  // InvalidArgument: interface '127.0.0.1\x00evil' contains ...
//
// Thread-safety: pure functions; any thread.
#ifndef TORSION_NET_NUL_CHECK_H_
#define TORSION_NET_NUL_CHECK_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace torsion::net::internal {

inline bool containsNul(std::string_view value) {
  return value.find('\0') != std::string_view::npos;
}

// OkStatus, or InvalidArgument when `value` holds a NUL byte. `what` names
// the argument ("interface", "host", "Unix socket path"); the message shows
// the value with the NUL escaped and says where it is and what the OS would
// have read instead.
absl::Status checkNoNul(std::string_view what, std::string_view value);

// `value` for an error message: control bytes (NUL included) and DEL as
// \xNN, everything else as it is. A raw NUL would end the message wherever
// it is printed as a C string.
std::string printable(std::string_view value);

}  // namespace torsion::net::internal

#endif  // TORSION_NET_NUL_CHECK_H_
