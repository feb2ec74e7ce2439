// torsion/backends/always_ready_list.h: descriptors that a readiness kernel
// refuses to watch and that are therefore reported ready on every poll
// (internal; shared by the epoll and kqueue backends).
//
// epoll refuses regular files and directories with EPERM, and kqueue has no
// useful filter for them, yet poll(2) and select(2) call such files always
// readable and writable, and so does Twisted's epollreactor. A backend keeps
// those descriptors here instead of in the kernel and reports them after
// each poll. Adding and removing are O(1): each backend slot records where
// its descriptor sits in the list.
//
//   internal::AlwaysReadyList list;
//   list.add(fds_, fd, Interest::kRead);      // fds_[fd] must exist
//   reported += list.report(fds_, round_, sink);
//   list.remove(fds_, fd);
//
// `Slot` is the backend's per-descriptor record, with the members
// `Interest interest`, `std::uint8_t mask`, `bool alwaysReady`,
// `std::uint32_t alwaysReadyIndex` and `std::uint64_t forgottenInRound`.
//
// Thread-safety: the backend's thread only.
#ifndef TORSION_BACKENDS_ALWAYS_READY_LIST_H_
#define TORSION_BACKENDS_ALWAYS_READY_LIST_H_

#include <cstdint>
#include <vector>

#include "backends/backend.h"
#include "backends/interest.h"

namespace torsion::internal {

class AlwaysReadyList {
 public:
  bool empty() const noexcept { return fds_.empty(); }

  // Starts reporting `fd` with `wanted`. May throw std::bad_alloc, before
  // anything changed.
  template <typename Slot>
  void add(std::vector<Slot>& slots, int fd, Interest wanted) {
    fds_.push_back(fd);  // the only step that can throw: first
    Slot& slot = slots[fd];
    slot.alwaysReady = true;
    slot.alwaysReadyIndex = static_cast<std::uint32_t>(fds_.size() - 1);
    slot.interest = wanted;
    slot.mask = reportMask(wanted);
  }

  // Stops reporting `fd` (which must be in the list) and clears its slot.
  template <typename Slot>
  void remove(std::vector<Slot>& slots, int fd) noexcept {
    Slot& slot = slots[fd];
    const std::uint32_t index = slot.alwaysReadyIndex;
    const int last = fds_.back();
    fds_[index] = last;
    slots[last].alwaysReadyIndex = index;
    fds_.pop_back();
    slot.alwaysReady = false;
    slot.interest = Interest::kNone;
    slot.mask = 0;
  }

  // Reports every listed descriptor as ready in the directions it wants,
  // except those forgotten in this `round`; returns how many it reported.
  template <typename Slot>
  int report(const std::vector<Slot>& slots, std::uint64_t round, ReadinessSink& sink) {
    // The sink may add or remove files while we walk them: walk a snapshot
    // (its buffer is reused, so this allocates only when the list grew).
    scratch_.assign(fds_.begin(), fds_.end());
    int reported = 0;
    for (int fd : scratch_) {
      const Slot& slot = slots[fd];
      if (!slot.alwaysReady || slot.forgottenInRound == round) continue;
      const std::uint8_t ready = slot.mask & (kReadable | kWritable);
      if (ready == 0) continue;
      sink.onReady(fd, ready);
      ++reported;
    }
    return reported;
  }

 private:
  std::vector<int> fds_;
  std::vector<int> scratch_;
};

}  // namespace torsion::internal

#endif  // TORSION_BACKENDS_ALWAYS_READY_LIST_H_
