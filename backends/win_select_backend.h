// torsion/backends/win_select_backend.h: the select() backend for Windows
// (winsock).
//
// Mirrors twisted.internet.selectreactor as it runs on Windows (Twisted's
// win32 select path and its _SocketWaker). Descriptors are SOCKETs passed
// as int (winsock handles are small multiples of 4 and fit). Winsock's
// fd_set is a counted array, not a bitmap, so the limit is how many sockets
// are watched, not their values: FD_SETSIZE is defined as kMaxSockets + 1
// before <winsock2.h> (winsock's default is 64), and setInterest refuses
// the (kMaxSockets+1)-th socket with ResourceExhausted. The waker is a
// connected loopback TCP pair (Windows has no pipes that select() accepts).
// Winsock select() has no hang-up bit: a closed peer reads as readable
// (EOF); a failed connect is in the except set and is reported as kError.
// A socket closed while registered makes select fail with WSAENOTSOCK; the
// backend then finds it and reports kInvalid, as Twisted's
// _preenDescriptors does.
//
//   absl::StatusOr<std::unique_ptr<Backend>> b = createBackend("select");
//   (*b)->setInterest(static_cast<int>(sock), Interest::kNone, Interest::kRead);
//
// Windows only (mingw-w64; tested under Wine 8.0, not on Windows). Linking
// //backends:win_select registers it as "select", after iocp
// (backends/backend_order.bzl). create() calls WSAStartup; the destructor WSACleanup.
//
// Thread-safety: as Backend: only wakeUp() may be called from other threads.
#ifndef TORSION_BACKENDS_WIN_SELECT_BACKEND_H_
#define TORSION_BACKENDS_WIN_SELECT_BACKEND_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>

#include "absl/status/statusor.h"
#include "backends/backend.h"

namespace torsion {

class WinSelectBackend final : public Backend {
 public:
  // How many sockets (besides the waker) one backend can watch.
  static constexpr int kMaxSockets = 1023;

  // Starts winsock and makes the waker pair. Errors name the failing call.
  static absl::StatusOr<std::unique_ptr<Backend>> create();
  ~WinSelectBackend() override;

  absl::Status setInterest(int fd, Interest previous, Interest wanted) override;
  void forget(int fd) noexcept override;
  absl::StatusOr<int> poll(std::optional<std::chrono::nanoseconds> timeout,
                           ReadinessSink& sink) override;
  void wakeUp() const noexcept override;

 private:
  WinSelectBackend(std::uintptr_t wakeRead, std::uintptr_t wakeWrite);
  void drainWaker() noexcept;
  int reportInvalid(ReadinessSink& sink);

  std::uintptr_t wakeRead_;   // SOCKET watched for readability
  std::uintptr_t wakeWrite_;  // SOCKET wakeUp() sends one byte on
  std::map<int, Interest> fds_;
  // Forgotten while poll() reports: their gathered events are dropped.
  std::set<int> forgottenThisRound_;
};

}  // namespace torsion

#endif  // TORSION_BACKENDS_WIN_SELECT_BACKEND_H_
