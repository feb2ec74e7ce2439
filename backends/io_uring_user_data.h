// torsion/backends/io_uring_user_data.h: what the io_uring backend stores in
// each submission's 64-bit user_data, and how it reads it back from a CQE.
//
// Internal to backends/. No Twisted counterpart: Twisted has no io_uring
// reactor. Every request the backend submits names its kind, its fd and the
// fd's generation, so that a completion from an old request (a poll that was
// cancelled, then the fd closed and its number reused) is recognised as stale
// and never reported for the new file.
//
//   const std::uint64_t ud = internal::makeUserData(UserDataKind::kPoll, epoch, fd, gen);
//   ...
//   if (internal::userDataKind(cqe->user_data) == UserDataKind::kPoll &&
//       internal::userDataGen(cqe->user_data) == slot.gen) { ...current... }
//
// A ring outlives its backend (io_uring_ring.h keeps released rings for reuse),
// so user_data also carries the ring's epoch: a CQE that arrives late for the
// previous owner is stale for the next one.
//
// An operation of the completion port (io_uring_port.h) uses the same layout
// with its slot in the backend's operation table in place of the fd.
//
// Layout: bits 63-61 kind, 60-53 ring epoch, 52-32 generation (21 bits, wraps),
// 31-0 the fd (or slot). Thread-safety: pure functions.
#ifndef TORSION_BACKENDS_IO_URING_USER_DATA_H_
#define TORSION_BACKENDS_IO_URING_USER_DATA_H_

#include <cstdint>

namespace torsion::internal {

enum class UserDataKind : std::uint8_t {
  kPoll = 0,       // a multishot POLL_ADD: its CQEs carry readiness
  kModify = 1,     // a POLL_UPDATE: a CQE only when it failed
  kCancel = 2,     // an ASYNC_CANCEL: a CQE only when it failed
  kWaker = 3,      // the waker's POLL_ADD
  kOperation = 4,  // a completion port operation (send, recv): fd = its slot
};

// Generations wrap at 2^21: a stale CQE would have to survive two million
// re-registrations of one fd number to be mistaken for a current one.
inline constexpr std::uint32_t kGenerationMask = (1u << 21) - 1;

constexpr std::uint64_t makeUserData(UserDataKind kind, std::uint8_t epoch, int fd,
                                     std::uint32_t gen) {
  return (static_cast<std::uint64_t>(kind) << 61) |
         (static_cast<std::uint64_t>(epoch) << 53) |
         (static_cast<std::uint64_t>(gen & kGenerationMask) << 32) |
         static_cast<std::uint32_t>(fd);
}

constexpr UserDataKind userDataKind(std::uint64_t userData) {
  return static_cast<UserDataKind>(userData >> 61);
}

constexpr std::uint8_t userDataEpoch(std::uint64_t userData) {
  return static_cast<std::uint8_t>(userData >> 53);
}

constexpr int userDataFd(std::uint64_t userData) {
  return static_cast<int>(static_cast<std::uint32_t>(userData));
}

constexpr std::uint32_t userDataGen(std::uint64_t userData) {
  return static_cast<std::uint32_t>(userData >> 32) & kGenerationMask;
}

// The generation after `gen`, wrapping within the mask.
constexpr std::uint32_t nextGeneration(std::uint32_t gen) {
  return (gen + 1) & kGenerationMask;
}

}  // namespace torsion::internal

#endif  // TORSION_BACKENDS_IO_URING_USER_DATA_H_
