#include "core/persistent_reader.h"

#include <stdexcept>

#include "base/log.h"

namespace torsion::internal {

absl::Status PersistentReader::startWatching() {
  if (registered_) return absl::OkStatus();
  if (absl::Status s = reactor_.addReader(this); !s.ok()) return s;
  registered_ = true;
  return absl::OkStatus();
}

void PersistentReader::stopWatching() {
  if (registered_) reactor_.removeReader(this);
  registered_ = false;
  if (rearm_) {
    try {
      reactor_.removeSystemEventTrigger(*rearm_);
    } catch (const std::invalid_argument&) {
      // It ran already.
    }
    rearm_.reset();
  }
}

void PersistentReader::connectionLost(const LostReason&) {
  registered_ = false;
  if (fileno() < 0) return;
  rearm_ = reactor_.callWhenRunning([this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    rearm_.reset();
    if (fileno() < 0) return;
    if (absl::Status s = startWatching(); !s.ok()) {
      log::err("reactor",
               logPrefix() + ": cannot watch again: " + std::string(s.message()));
    }
  });
}

}  // namespace torsion::internal
