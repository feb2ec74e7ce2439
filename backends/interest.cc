#include "backends/interest.h"

#include <errno.h>
#include <fcntl.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/system_error.h"

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
                              Interest wanted, Interest recorded) {
  const absl::string_view name(backend.data(), backend.size());
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(name, " backend: setInterest(fd=", fd,
                                                   "): a descriptor cannot be negative"));
  }
  for (Interest i : {previous, wanted}) {
    if (static_cast<std::uint8_t>(i) > static_cast<std::uint8_t>(Interest::kReadWrite)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " backend: setInterest(fd=", fd, "): ", static_cast<int>(i),
                       " is not an Interest (kNone..kReadWrite)"));
    }
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

absl::Status checkDescriptorOpen(std::string_view backend, int fd) {
  if (::fcntl(fd, F_GETFD) >= 0) return absl::OkStatus();
  return statusFromErrno(
      errno,
      absl::StrCat(absl::string_view(backend.data(), backend.size()),
                   " backend: setInterest(fd=", fd, "): fcntl(F_GETFD, fd=", fd, ")"));
}

}  // namespace torsion::internal
