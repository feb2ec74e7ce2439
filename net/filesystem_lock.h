// torsion/net/filesystem_lock.h: a lock on a path that dies with the
// process holding it (POSIX only).
//
// Mirrors twisted.python.lockfile (FilesystemLock, isLocked). The lock is a
// symbolic link at `name` whose target is the holder's process id: creating
// a symlink is atomic, so two processes cannot both take it, and a link
// naming a process that no longer exists is stale and is replaced. It
// guards listenUNIX(wantPID) ("<path>.lock") and connectUNIX(checkPID).
//
//   FilesystemLock lock("/tmp/app.sock.lock");
//   absl::StatusOr<bool> got = lock.lock();
//   if (got.ok() && *got) { ... }   // released by unlock() or the destructor
//
// Like Twisted's, it excludes processes, not threads, and two processes that
// replace the same stale lock at once may both believe they hold it.
// Thread-safety: none.
#ifndef TORSION_NET_FILESYSTEM_LOCK_H_
#define TORSION_NET_FILESYSTEM_LOCK_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace torsion::net {

class FilesystemLock {
 public:
  explicit FilesystemLock(std::string name) : name_(std::move(name)) {}
  // Releases the lock if this object holds it (errors are ignored).
  ~FilesystemLock();
  FilesystemLock(const FilesystemLock&) = delete;
  FilesystemLock& operator=(const FilesystemLock&) = delete;

  // Takes the lock: true when this object now holds it, false when a live
  // process holds it (this one included, through another object). A lock
  // left by a dead process is removed first; clean() then says false.
  // Other failures (no such directory, permission denied, a link that
  // names no process id) are errors naming the path and the cause; a name
  // holding a NUL byte is InvalidArgument (net/nul_check.h).
  absl::StatusOr<bool> lock();

  // Releases the lock. FailedPrecondition, with nothing removed, when the
  // link does not name this process (never taken, or taken over).
  absl::Status unlock();

  bool locked() const { return locked_; }
  // False when lock() had to replace a lock left by a dead process.
  bool clean() const { return clean_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  bool locked_ = false;
  bool clean_ = true;
};

// True when a live process holds the lock at `name` (twisted's isLocked);
// it takes and releases the lock to find out. Errors as lock().
absl::StatusOr<bool> isLocked(const std::string& name);

}  // namespace torsion::net

#endif  // TORSION_NET_FILESYSTEM_LOCK_H_
