#include "net/uring/shutdown_list.h"

#include <utility>

namespace torsion::net::internal {

std::shared_ptr<ShutdownList> ShutdownList::of(Reactor& reactor, IoUringPort& port) {
  std::shared_ptr<void>& slot = port.transportState();
  if (slot) return std::static_pointer_cast<ShutdownList>(slot);
  auto list = std::make_shared<ShutdownList>();
  slot = list;
  // The trigger goes with the reactor; the list may outlive it.
  reactor.addSystemEventTrigger(Phase::kDuring, "shutdown",
                                [weak = std::weak_ptr<ShutdownList>(list)] {
                                  if (auto l = weak.lock()) l->disconnectAll();
                                });
  return list;
}

void ShutdownList::join(Member& m) noexcept {
  if (m.joined_) return;
  m.joined_ = true;
  m.prev_ = nullptr;
  m.next_ = head_;
  if (head_ != nullptr) head_->prev_ = &m;
  head_ = &m;
}

void ShutdownList::leave(Member& m) noexcept {
  if (!m.joined_) return;
  m.joined_ = false;
  if (m.prev_ != nullptr) {
    m.prev_->next_ = m.next_;
  } else {
    head_ = m.next_;
  }
  if (m.next_ != nullptr) m.next_->prev_ = m.prev_;
  m.prev_ = m.next_ = nullptr;
}

void ShutdownList::disconnectAll() {
  // Each member leaves before it hears of it; what it does (closing, a
  // protocol's connectionLost) may make others leave or join.
  while (head_ != nullptr) {
    Member& m = *head_;
    leave(m);
    m.reactorShutdown();
  }
}

}  // namespace torsion::net::internal
