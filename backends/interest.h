// torsion/backends/interest.h: helpers every backend's setInterest/poll share.
//
// Internal to backends/. Keeps the argument checks and their error messages
// identical across select, poll and epoll, and gives the one mask that drops
// readiness the reactor no longer wants (Twisted's _doReadOrWrite checks
// `fd in self._reads` for the same reason).
//
//   if (absl::Status s = checkSetInterest("poll", fd, previous, wanted, recorded);
//       !s.ok())
//     return s;
//   std::uint8_t bits = kernelBits & reportMask(current);
//
// Thread-safety: pure functions.
#ifndef TORSION_BACKENDS_INTEREST_H_
#define TORSION_BACKENDS_INTEREST_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "backends/backend.h"

namespace torsion::internal {

// Interest::kRead and kWrite have the values of kReadable and kWritable, so
// the mask is the interest itself plus the bits poll(2) reports regardless of
// interest; nothing at all for a descriptor that is not watched.
static_assert(static_cast<std::uint8_t>(Interest::kRead) == kReadable);
static_assert(static_cast<std::uint8_t>(Interest::kWrite) == kWritable);
constexpr std::uint8_t reportMask(Interest interest) {
  return interest == Interest::kNone
             ? 0
             : static_cast<std::uint8_t>(static_cast<std::uint8_t>(interest) | kHangup |
                                         kError | kInvalid);
}

// "none", "read", "write" or "read|write", for error messages.
std::string_view interestName(Interest interest);

// OK when `fd` is non-negative, `previous` and `wanted` are valid Interest
// values and `previous` is what the backend has recorded for `fd`;
// otherwise InvalidArgument (negative fd, out-of-range interest) or
// FailedPrecondition (the caller's idea of the registration is stale), with
// a message naming the backend, the fd and the interests.
absl::Status checkSetInterest(std::string_view backend, int fd, Interest previous,
                              Interest wanted, Interest recorded);

// OK when `fd` is an open descriptor. poll(2) and select(2) only notice a
// closed one at the next wait; backends without a registration system call
// check here so that every backend refuses a closed fd in setInterest().
// The error names the backend, the fd and the failed fcntl(F_GETFD).
absl::Status checkDescriptorOpen(std::string_view backend, int fd);

}  // namespace torsion::internal

#endif  // TORSION_BACKENDS_INTEREST_H_
