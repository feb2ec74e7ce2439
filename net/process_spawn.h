// torsion/net/process_spawn.h: fork and exec one child with its descriptors
// in place (internal, POSIX).
//
// The part of twisted.internet.process.Process that runs in the child
// (_setupChild, _execChild), with the failure of any step reported back to
// the parent through a close-on-exec pipe instead of the child's stderr:
// spawnProcess returns it as a Status. Everything the child needs is built
// in the parent; between fork and exec the child calls only
// async-signal-safe functions, so threads of the parent cannot deadlock it.
//
//   internal::SpawnRequest r{.file = "/bin/cat", .args = {"cat"}, ...};
//   r.fds = {{0, pipeReadEnd}, {1, pipeWriteEnd}};
//   absl::StatusOr<int> pid = internal::forkExec(r);
//
// Thread-safety: any thread.
#ifndef TORSION_NET_PROCESS_SPAWN_H_
#define TORSION_NET_PROCESS_SPAWN_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace torsion::net::internal {

struct SpawnRequest {
  // A path to execve (resolveExecutable's result).
  std::string file;
  std::vector<std::string> args;
  // "NAME=value" strings.
  std::vector<std::string> env;
  // The child's working directory; empty: ours.
  std::string path;
  // Child fd -> a descriptor of ours it becomes (dup2); every other
  // descriptor is closed in the child.
  struct Mapping {
    int childFD;
    int parentFD;
  };
  std::vector<Mapping> fds;
};

// `executable` if it holds a '/', else the first executable file named so
// in `pathVariable`'s directories (":"-separated; empty: /bin:/usr/bin).
// NotFound naming both when there is none.
absl::StatusOr<std::string> resolveExecutable(
    const std::string& executable, const std::optional<std::string>& pathVariable);

// Starts the child; its pid, or the failing step ("chdir(/x)", "execve(...)")
// with errno's status once the child reported it (the child is reaped then).
absl::StatusOr<int> forkExec(const SpawnRequest& request);

}  // namespace torsion::net::internal

#endif  // TORSION_NET_PROCESS_SPAWN_H_
