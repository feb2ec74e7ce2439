#include "backends/interest.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace torsion::internal {

std::string_view interestName(Interest interest) {
  switch (interest) {
    case Interest::kNone:
      return "none";
    case Interest::kRead:
      return "read";
    case Interest::kWrite:
      return "write";
    case Interest::kReadWrite:
      return "read|write";
  }
  return "invalid";
}

absl::Status checkSetInterest(std::string_view backend, int fd, Interest previous,
                              Interest recorded) {
  const absl::string_view name(backend.data(), backend.size());
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(name, " backend: setInterest(fd=", fd,
                                                   "): a descriptor cannot be negative"));
  }
  if (previous != recorded) {
    const std::string_view p = interestName(previous);
    const std::string_view r = interestName(recorded);
    return absl::FailedPreconditionError(
        absl::StrCat(name, " backend: setInterest(fd=", fd,
                     "): caller says the previous interest is '",
                     absl::string_view(p.data(), p.size()), "' but the backend has '",
                     absl::string_view(r.data(), r.size()),
                     "' recorded; was forget() or a failed setInterest() missed?"));
  }
  return absl::OkStatus();
}

}  // namespace torsion::internal
