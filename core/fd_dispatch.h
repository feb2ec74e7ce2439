// torsion/core/fd_dispatch.h: the reader/writer sets and the one dispatch
// policy every backend's readiness goes through.
//
// Mirrors Twisted's IReactorFDSet (addReader, addWriter, removeReader,
// removeWriter, removeAll, getReaders, getWriters) and its
// _doReadOrWrite / _disconnectSelectable: readiness from any backend
// becomes doRead / doWrite calls, and errors, hang-ups, descriptors that
// went away and exceptions become removal plus connectionLost. Written once
// here so that select, poll, epoll and the rest behave the same.
//
// Policy, per (fd, events) a poll reported (dispatched inside the backend's
// poll when BackendFeatures::sinkMayReenter, gathered and dispatched after
// it otherwise):
//   1. A descriptor removed (or replaced) since the poll is not called, nor
//      one registered after it (the next-pass rule).
//   2. kInvalid (the fd was closed while registered): connectionLost with
//      ConnectionLost("file descriptor went away").
//   3. Hang-up or error without readable data: the reader gets
//      ConnectionDone (the peer closed and everything was read), a
//      writer-only descriptor ConnectionLost.
//   4. Otherwise doRead if readable, then doWrite if writable, unless doRead
//      asked to disconnect or removed the writer. fileno() == -1 counts as
//      "went away". A reason returned, or an exception thrown (also
//      logged), disconnects: both registrations are removed and
//      connectionLost(reason) runs once — or, for a half-closeable
//      descriptor whose doRead returned ConnectionDone, only the reader is
//      removed and readConnectionLost runs.
//
//   internal::FdDispatcher fds(backend);
//   absl::Status s = fds.addReader(&conn);
//   fds.pollAndDispatch(std::chrono::milliseconds(10));
//
// Thread-safety: none; the reactor thread only.
#ifndef TORSION_CORE_FD_DISPATCH_H_
#define TORSION_CORE_FD_DISPATCH_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/backend.h"
#include "core/file_descriptor.h"

namespace torsion::internal {

class FdDispatcher : private ReadinessSink {
 public:
  explicit FdDispatcher(Backend& backend);
  FdDispatcher(const FdDispatcher&) = delete;
  FdDispatcher& operator=(const FdDispatcher&) = delete;

  // Starts watching `d` for reading / writing. Adding twice is adding once.
  // Errors: InvalidArgument for a null descriptor or fileno() < 0,
  // AlreadyExists when another descriptor reads (writes) that fd,
  // OutOfRange for an fd at or above the backend's maxFd (select's
  // FD_SETSIZE), or the backend's own error; nothing changes on error.
  absl::Status addReader(FileDescriptor* d);
  absl::Status addWriter(FileDescriptor* d);

  // Stops watching. Unknown descriptors are ignored; fileno() is not called.
  void removeReader(FileDescriptor* d);
  void removeWriter(FileDescriptor* d);

  // Removes every descriptor; returns each once, in fd order.
  std::vector<FileDescriptor*> removeAll();

  // removeAll, then connectionLost(ConnectionLost) on each (Twisted's
  // disconnectAll at shutdown); one that throws is logged, the rest still
  // run.
  void disconnectAll();

  std::vector<FileDescriptor*> getReaders() const;
  std::vector<FileDescriptor*> getWriters() const;
  bool empty() const { return byDescriptor_.empty(); }

  // One backend poll, then the dispatch policy over what it reported.
  // Returns the number of events reported, or the backend's error.
  // Inline: one call layer fewer on every pass (measured: ~20 instructions,
  // W4 chain).
  absl::StatusOr<int> pollAndDispatch(std::optional<std::chrono::nanoseconds> timeout) {
    startPass();
    if (direct_) return backend_.poll(timeout, *this);
    return gatherAndDispatch(timeout);
  }

 private:
  // 32 bytes, two to a cache line (it was 40 with two 64-bit generations).
  struct Slot {
    FileDescriptor* reader = nullptr;
    FileDescriptor* writer = nullptr;
    // The pass (pass_) in which the registration was made. An event goes
    // only to a registration older than the poll that reported it: one made
    // during this pass (a descriptor removed and re-added, or a new file on
    // a reused fd) waits for the next poll (policy 1, next-pass rule).
    std::uint32_t readerPass = 0;
    std::uint32_t writerPass = 0;
    Interest interest = Interest::kNone;
  };
  struct Registration {
    int fd;
    bool reading = false;
    bool writing = false;
  };
  struct Ready {
    int fd;
    std::uint8_t events;
  };

  void onReady(int fd, std::uint8_t readyEvents) override;
  absl::Status add(FileDescriptor* d, Interest bit);
  void remove(FileDescriptor* d, Interest bit);
  void startPass() {
    if (++pass_ != 0) [[likely]]
      return;
    restamp();
  }
  // Wrapped after 2**32 passes: every live registration predates this poll,
  // so stamp them all with 0 and start again at 1; pass_ then stays unequal
  // to each stamp until a registration is made in it.
  ABSL_ATTRIBUTE_NOINLINE void restamp();
  // pollAndDispatch for the other backends, out of line so the direct path
  // needs no frame of its own (measured: ~15 instructions a pass, W4 chain).
  ABSL_ATTRIBUTE_NOINLINE absl::StatusOr<int> gatherAndDispatch(
      std::optional<std::chrono::nanoseconds> timeout);
  void dispatch(int fd, std::uint8_t events);
  // doRead, or the reason `reader` went away or threw (the throw is logged).
  static LostReason readFrom(FileDescriptor* reader) noexcept;
  void dispatchSlow(int fd, std::uint8_t events, FileDescriptor* reader,
                    FileDescriptor* writer);
  void disconnect(FileDescriptor* d, const LostReason& why, bool inRead);
  Slot* slotFor(int fd) {
    return fd >= 0 && static_cast<std::size_t>(fd) < slots_.size()
               ? &slots_[static_cast<std::size_t>(fd)]
               : nullptr;
  }
  // The writer of `fd` if it was registered before this pass's poll.
  FileDescriptor* currentWriter(int fd);

  Backend& backend_;
  // Dispatch inside the backend's poll (BackendFeatures::sinkMayReenter)
  // rather than gathering the round first.
  const bool direct_;
  std::vector<Slot> slots_;  // indexed by fd
  absl::flat_hash_map<FileDescriptor*, Registration> byDescriptor_;
  std::vector<Ready> ready_;
  std::uint32_t pass_ = 0;  // pollAndDispatch calls, wrapping (see startPass)
};

}  // namespace torsion::internal

#endif  // TORSION_CORE_FD_DISPATCH_H_
