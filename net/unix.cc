#include "net/unix.h"

#ifndef _WIN32
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include <stdexcept>
#include <string>
#include <utility>

#ifndef _WIN32
#include "net/filesystem_lock.h"
#endif
#include "net/listen_socket.h"
#include "net/socket_address.h"
#include "net/socket_ops.h"
#include "net/stream_connection_for.h"
#include "net/stream_connector.h"

namespace torsion::net {

#ifndef _WIN32
namespace {

// listenUNIX's wantPID (twisted.internet.unix.Port.startListening): hold
// "<path>.lock"; if it had to be taken from a dead process, that process's
// socket file is in the way, so remove it (only if it is a socket). Null
// without wantPID.
absl::StatusOr<std::shared_ptr<FilesystemLock>> lockSocketFile(const std::string& path,
                                                               bool wantPID) {
  if (!wantPID) return nullptr;
  auto lock = std::make_shared<FilesystemLock>(path + ".lock");
  absl::StatusOr<bool> got = lock->lock();
  if (!got.ok()) {
    return absl::Status(
        got.status().code(),
        CannotListenError(path, 0, std::string(got.status().message())).what());
  }
  if (!*got) {
    return absl::FailedPreconditionError(
        CannotListenError(path, 0, "Cannot acquire lock " + lock->name()).what());
  }
  struct stat st;
  if (!lock->clean() && ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    ::unlink(path.c_str());
  }
  return lock;
}

}  // namespace
#endif

absl::StatusOr<std::shared_ptr<ListeningPort>> listenUNIX(
    Reactor& reactor, std::string_view path, std::shared_ptr<Factory> factory,
    UnixListenOptions options) {
  if (!factory) return absl::InvalidArgumentError("listenUNIX: null factory");
  // Before anything uses it: cut at a NUL, the path (and its "<path>.lock")
  // would name another file.
  if (absl::Status s = internal::checkListenName("Unix socket path", path, 0); !s.ok()) {
    return s;
  }
  const std::string p(path);
#ifdef _WIN32
  // AF_UNIX exists on Windows 10 but not under select()/Wine, and Twisted's
  // IReactorUNIX is POSIX-only: refuse clearly instead.
  (void)reactor;
  (void)options;
  return absl::UnimplementedError(
      CannotListenError(p, 0, "Unix sockets are not supported on Windows").what());
#else
  absl::StatusOr<internal::SockAddr> address = internal::unixPath(path);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        CannotListenError(p, 0, std::string(address.status().message())).what());
  }
  absl::StatusOr<std::shared_ptr<FilesystemLock>> lock =
      lockSocketFile(p, options.wantPID);
  if (!lock.ok()) return lock.status();
  absl::StatusOr<int> fd = internal::bindSocket(*address, SOCK_STREAM, p, 0, false);
  if (!fd.ok()) return fd.status();
  if (::chmod(p.c_str(), options.mode) != 0) {
    const int e = errno;
    internal::closeSocket(*fd);
    ::unlink(p.c_str());
    return internal::cannotListen(e, p, 0, "chmod(): " + internal::socketErrorText(e));
  }
  if (absl::Status s = internal::listenSocket(*fd, options.backlog, p, 0); !s.ok()) {
    ::unlink(p.c_str());
    return s;
  }
  absl::StatusOr<std::shared_ptr<ListeningPort>> port = internal::startStreamPort(
      reactor, *fd, std::move(factory), internal::StreamKind::kUnix, p, std::move(*lock));
  if (!port.ok()) {
    return internal::cannotListen(EINVAL, p, 0, std::string(port.status().message()));
  }
  return port;
#endif
}

std::shared_ptr<Connector> connectUNIX(Reactor& reactor, std::string_view path,
                                       std::shared_ptr<ClientFactory> factory,
                                       UnixConnectOptions options) {
  if (!factory) throw std::invalid_argument("connectUNIX: null factory");
  internal::ConnectTarget target;
  target.kind = internal::StreamKind::kUnix;
  target.path = std::string(path);
  target.checkPID = options.checkPID;
  auto c = std::make_shared<internal::StreamConnector>(
      reactor, std::move(target), std::move(factory), options.timeout);
  c->connect();
  return c;
}

}  // namespace torsion::net
