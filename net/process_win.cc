// Windows version of net/process.h, chosen by net/BUILD.bazel's select():
// processes are not available on Windows yet (Twisted's _dumbwin32proc, with
// its named pipes and job objects, has no counterpart here).
#include "net/process.h"

namespace torsion::net {

absl::StatusOr<std::shared_ptr<ProcessTransport>> spawnProcess(
    Reactor&, std::shared_ptr<ProcessProtocol>, std::string, std::vector<std::string>,
    std::optional<Environment>, std::string, std::optional<ChildFDs>) {
  return absl::UnimplementedError("spawnProcess: processes are not available on Windows");
}

}  // namespace torsion::net
