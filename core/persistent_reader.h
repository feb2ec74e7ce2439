// torsion/core/persistent_reader.h: a reader that outlives reactor
// shutdown (internal).
//
// Reactor shutdown disconnects every registered descriptor (Twisted's
// disconnectAll). Connections should end then; a few readers should not:
// the self-pipe of a signal watch (core/signals.h), a child's pidfd
// (net/process_reaper.h). Twisted keeps such readers out of disconnectAll
// (its _internalReaders); torsion's reactor has no such list, so these
// readers take the disconnection as a pause and register again when the
// reactor next runs. What arrived meanwhile waits in the descriptor.
//
//   class Watch final : public PersistentReader {
//     ~Watch() override { stopWatching(); ::close(fd_); }
//     int fileno() const override { return fd_; }
//     LostReason doRead() override { ...; return nullptr; }
//   };
//   watch.startWatching();
//
// A subclass must call stopWatching() in its destructor (the reactor may
// still hold it) and must not outlive the reactor. Thread-safety: reactor
// thread only.
#ifndef TORSION_CORE_PERSISTENT_READER_H_
#define TORSION_CORE_PERSISTENT_READER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "core/file_descriptor.h"
#include "core/reactor.h"

namespace torsion::internal {

class PersistentReader : public FileDescriptor {
 public:
  explicit PersistentReader(Reactor& reactor) : reactor_(reactor) {}
  PersistentReader(const PersistentReader&) = delete;
  PersistentReader& operator=(const PersistentReader&) = delete;

  // Reactor shutdown: register again when the reactor next runs (unless
  // fileno() is -1 by then).
  void connectionLost(const LostReason& reason) final;

 protected:
  ~PersistentReader() override = default;

  // addReader's status.
  absl::Status startWatching();
  // Unregisters and forgets a pending re-registration. Idempotent.
  void stopWatching();

  Reactor& reactor_;

 private:
  bool registered_ = false;
  std::optional<TriggerId> rearm_;
  // Expires with this object, so a pending re-registration does nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace torsion::internal

#endif  // TORSION_CORE_PERSISTENT_READER_H_
