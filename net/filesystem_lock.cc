#include "net/filesystem_lock.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <string_view>

#include "net/nul_check.h"

namespace torsion::net {
namespace {

absl::Status errnoStatus(int e, std::string_view what, const std::string& name) {
  const auto code = e == EACCES || e == EPERM     ? absl::StatusCode::kPermissionDenied
                    : e == ENOENT || e == ENOTDIR ? absl::StatusCode::kNotFound
                                                  : absl::StatusCode::kInternal;
  return absl::Status(code, "FilesystemLock(" + name + "): " + std::string(what) + ": " +
                                std::strerror(e));
}

// The process id the link at `name` names; ENOENT when it vanished.
absl::StatusOr<pid_t> readOwner(const std::string& name, int& error) {
  char target[64];
  const ssize_t n = ::readlink(name.c_str(), target, sizeof target);
  if (n < 0) {
    error = errno;
    return errnoStatus(error, "readlink", name);
  }
  error = 0;
  pid_t pid = 0;
  const std::string_view text(target, static_cast<std::size_t>(n));
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc() || end != text.data() + text.size() || pid <= 0) {
    return absl::FailedPreconditionError("FilesystemLock(" + name +
                                         "): the link names '" + std::string(text) +
                                         "', not a process id");
  }
  return pid;
}

}  // namespace

FilesystemLock::~FilesystemLock() {
  if (locked_) unlock().IgnoreError();
}

absl::StatusOr<bool> FilesystemLock::lock() {
  // symlink() would lock the name cut at its NUL: another file's lock.
  if (absl::Status s = internal::checkNoNul("lock path", name_); !s.ok()) return s;
  const std::string self = std::to_string(::getpid());
  bool clean = true;
  for (;;) {
    if (::symlink(self.c_str(), name_.c_str()) == 0) break;
    if (errno != EEXIST) return errnoStatus(errno, "symlink", name_);
    int error = 0;
    absl::StatusOr<pid_t> owner = readOwner(name_, error);
    if (error == ENOENT) continue;  // released meanwhile: try again
    if (!owner.ok()) return owner.status();
    // Signal 0 only asks whether the process exists. EPERM: it does, under
    // another user (Twisted lets that error escape; held is the answer).
    if (::kill(*owner, 0) == 0 || errno == EPERM) return false;
    if (errno != ESRCH) return errnoStatus(errno, "kill(owner, 0)", name_);
    // The holder died without unlocking: remove its link and try again.
    if (::unlink(name_.c_str()) != 0 && errno != ENOENT) {
      return errnoStatus(errno, "unlink(stale lock)", name_);
    }
    clean = false;
  }
  locked_ = true;
  clean_ = clean;
  return true;
}

absl::Status FilesystemLock::unlock() {
  if (absl::Status s = internal::checkNoNul("lock path", name_); !s.ok()) return s;
  int error = 0;
  absl::StatusOr<pid_t> owner = readOwner(name_, error);
  if (!owner.ok() || *owner != ::getpid()) {
    const std::string why = owner.ok() ? "held by " + std::to_string(*owner)
                                       : std::string(owner.status().message());
    return absl::FailedPreconditionError("FilesystemLock(" + name_ +
                                         "): not held by this process (" + why + ")");
  }
  if (::unlink(name_.c_str()) != 0) return errnoStatus(errno, "unlink", name_);
  locked_ = false;
  return absl::OkStatus();
}

absl::StatusOr<bool> isLocked(const std::string& name) {
  FilesystemLock probe(name);
  absl::StatusOr<bool> got = probe.lock();
  if (!got.ok()) return got.status();
  return !*got;  // the probe releases what it took
}

}  // namespace torsion::net
