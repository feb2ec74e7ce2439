// torsion/net/unix.h: Unix-domain stream servers and clients.
//
// Mirrors twisted.internet.interfaces.IReactorUNIX (listenUNIX,
// connectUNIX) for SOCK_STREAM sockets: the same Protocol, Factory,
// Transport and Connector as TCP, with UNIXAddress (Address::unixSocket)
// for getHost/getPeer. The socket file is removed when the port stops.
//
//   auto port = torsion::net::listenUNIX(reactor, "/tmp/echo.sock", factory);
//   auto connector = torsion::net::connectUNIX(reactor, "/tmp/echo.sock",
//                                              clientFactory);
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_UNIX_H_
#define TORSION_NET_UNIX_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/reactor_time.h"
#include "core/reactor.h"
#include "net/errors.h"
#include "net/port.h"
#include "net/protocol.h"

namespace torsion::net {

struct UnixListenOptions {
  int backlog = 50;
  // Permissions of the socket file (Twisted's mode=0o666).
  unsigned mode = 0666;
  // Also hold the lock "<path>.lock" (net/filesystem_lock.h) while
  // listening: listening fails while a live process holds it, and a socket
  // file left by a server that died holding it is removed first.
  bool wantPID = false;
};

// Listens on the socket file `path`. An existing file makes it fail
// (EADDRINUSE) unless wantPID found it abandoned. Errors name the path and
// the cause ("CannotListenError: couldn't listen on /tmp/x.sock:0: ...";
// "... Cannot acquire lock" with FailedPrecondition for a held lock;
// InvalidArgument for a path holding a NUL byte, on every platform).
// Otherwise, on Windows: always Unimplemented ("not supported on
// Windows").
absl::StatusOr<std::shared_ptr<ListeningPort>> listenUNIX(
    Reactor& reactor, std::string_view path, std::shared_ptr<Factory> factory,
    UnixListenOptions options = {});

struct UnixConnectOptions {
  std::optional<Seconds> timeout = Seconds(30);
  // Connect only if a live process holds "<path>.lock" (a server started
  // with wantPID); otherwise the attempt fails with BadFileError.
  bool checkPID = false;
};

// Connects to the socket file `path`; outcomes reach the factory as for
// connectTCP (a missing file is a ConnectError, ENOENT; so is a path
// holding a NUL byte, which is never tried). On Windows the
// factory's clientConnectionFailed gets a ConnectError saying Unix sockets
// are not supported there.
std::shared_ptr<Connector> connectUNIX(Reactor& reactor, std::string_view path,
                                       std::shared_ptr<ClientFactory> factory,
                                       UnixConnectOptions options = {});

}  // namespace torsion::net

#endif  // TORSION_NET_UNIX_H_
