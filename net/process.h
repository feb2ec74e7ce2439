// torsion/net/process.h: spawnProcess, Twisted's IReactorProcess (POSIX).
//
// Mirrors twisted.internet.process.Process as reactor.spawnProcess makes it:
// the child runs `executable` with `args` (args[0] is the name it sees),
// `env` and the working directory `path`; its file descriptors are wired as
// `childFDs` says, by default stdin "w", stdout "r", stderr "r" (pipes the
// parent writes to / reads from); every other descriptor is closed in the
// child, as in Twisted.
//
//   auto protocol = std::make_shared<Collect>();   // a ProcessProtocol
//   absl::StatusOr<std::shared_ptr<torsion::net::ProcessTransport>> t =
//       torsion::net::spawnProcess(reactor, protocol, "sh", {"sh", "-c", "ls"});
//   if (!t.ok()) std::cerr << t.status();   // e.g. NotFound: no such executable
//
//   // Twisted's childFDs={0: 0, 1: "r", 2: 1}: inherit our stdin, read its
//   // stdout, and send its stderr to our stdout.
//   torsion::net::spawnProcess(reactor, protocol, "/bin/ls", {"ls"}, std::nullopt,
//                              "", torsion::net::ChildFDs{{0, 0}, {1, "r"}, {2, 1}});
//
// Differences from Twisted 22.4, on purpose (docs/process.md):
//   * A child that cannot be started (missing or non-executable file, bad
//     working directory) is an error Status from spawnProcess, and no
//     protocol callback runs. Twisted's fork path starts the child anyway,
//     which prints a traceback on its stderr and exits with code 1; newer
//     Twisted's posix_spawnp path raises, as here.
//   * env std::nullopt passes this process's environment on (newer
//     Twisted's None); an empty map gives the child an empty one.
//   * An executable without a '/' is searched in the PATH of the child's
//     environment (Python's execvpe), else in /bin:/usr/bin.
//
// Reaping: with pidfd_open (Linux 5.3+) each child's pidfd is watched as a
// descriptor; without it, one SIGCHLD watch per reactor (core/signals.h)
// calls waitpid on that reactor's own children only, never waitpid(-1), so
// other code's children and other reactors are left alone. See
// docs/process.md.
//
// Errors: InvalidArgument for a null protocol, a NUL byte in a string, an
// '=' in an environment name, a negative child fd or a parent fd that is not
// open; the failing step and errno otherwise (NotFound for a missing
// executable). On Windows: Unimplemented ("not available on Windows").
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_PROCESS_H_
#define TORSION_NET_PROCESS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/reactor.h"
#include "net/process_errors.h"
#include "net/process_protocol.h"

namespace torsion::net {

// What one of the child's descriptors is (a value of Twisted's childFDs).
class ChildFD {
 public:
  enum class Kind {
    kRead,     // "r": a pipe the parent reads from (the child writes)
    kWrite,    // "w": a pipe the parent writes to (the child reads)
    kInherit,  // a descriptor of this process, shared with the child
  };
  // "r" or "w"; anything else throws std::invalid_argument.
  ChildFD(const char* mode);  // NOLINT: implicit, reads like Twisted's dict
  // The parent's descriptor `parentFD`.
  ChildFD(int parentFD);  // NOLINT: implicit, as above

  Kind kind() const { return kind_; }
  int parentFD() const { return parentFD_; }

 private:
  Kind kind_;
  int parentFD_ = -1;
};

// Child fd number -> what it is.
using ChildFDs = std::map<int, ChildFD>;
using Environment = std::map<std::string, std::string>;

// Starts `executable` and connects `protocol` to it (makeConnection runs
// before this returns). The transport keeps itself alive until processEnded.
absl::StatusOr<std::shared_ptr<ProcessTransport>> spawnProcess(
    Reactor& reactor, std::shared_ptr<ProcessProtocol> protocol, std::string executable,
    std::vector<std::string> args, std::optional<Environment> env = std::nullopt,
    std::string path = {}, std::optional<ChildFDs> childFDs = std::nullopt);

}  // namespace torsion::net

#endif  // TORSION_NET_PROCESS_H_
