#include "core/fd_dispatch.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/base/attributes.h"
#include "base/log.h"
#include "core/errors.h"

namespace torsion::internal {
namespace {

std::string describe(const char* call, int fd) {
  return std::string(call) + "(fd=" + std::to_string(fd) + ")";
}

bool isConnectionDone(const LostReason& why) {
  try {
    std::rethrow_exception(why);
  } catch (const ConnectionDone&) {
    return true;
  } catch (...) {
    return false;
  }
}

LostReason fileDescriptorWentAway() {
  return std::make_exception_ptr(
      ConnectionLost("ConnectionLost: file descriptor went away"));
}

}  // namespace

FdDispatcher::FdDispatcher(Backend& backend)
    : backend_(backend), direct_(backend.features().sinkMayReenter) {}

absl::Status FdDispatcher::addReader(FileDescriptor* d) {
  return add(d, Interest::kRead);
}

absl::Status FdDispatcher::addWriter(FileDescriptor* d) {
  return add(d, Interest::kWrite);
}

absl::Status FdDispatcher::add(FileDescriptor* d, Interest bit) {
  const bool reading = bit == Interest::kRead;
  const char* call = reading ? "addReader" : "addWriter";
  if (d == nullptr) {
    return absl::InvalidArgumentError(std::string(call) + ": null descriptor");
  }
  auto known = byDescriptor_.find(d);
  if (known != byDescriptor_.end() &&
      (reading ? known->second.reading : known->second.writing)) {
    return absl::OkStatus();  // a set: adding twice is adding once
  }
  // A descriptor already registered the other way keeps the fd it had.
  const int fd = known != byDescriptor_.end() ? known->second.fd : d->fileno();
  if (fd < 0) {
    return absl::InvalidArgumentError(std::string(call) + ": fileno() returned " +
                                      std::to_string(fd) + " (the descriptor is closed)");
  }
  const int maxFd = backend_.features().maxFd;
  if (maxFd >= 0 && fd >= maxFd) {
    return absl::OutOfRangeError(
        describe(call, fd) + ": the " + std::string(backend_.name()) +
        " backend only handles descriptors below " + std::to_string(maxFd));
  }
  if (static_cast<std::size_t>(fd) >= slots_.size()) {
    slots_.resize(std::max<std::size_t>(fd + 1, slots_.size() * 2));
  }
  Slot& slot = slots_[static_cast<std::size_t>(fd)];
  FileDescriptor* current = reading ? slot.reader : slot.writer;
  if (current != nullptr && current != d) {
    return absl::AlreadyExistsError(describe(call, fd) +
                                    ": another descriptor is already " +
                                    (reading ? "reading" : "writing") +
                                    " this fd (was it closed without being removed?)");
  }
  const Interest wanted = slot.interest | bit;
  absl::Status status = backend_.setInterest(fd, slot.interest, wanted);
  if (!status.ok()) return status;
  slot.interest = wanted;
  if (reading) {
    slot.reader = d;
    slot.readerPass = pass_;
  } else {
    slot.writer = d;
    slot.writerPass = pass_;
  }
  Registration& reg = byDescriptor_.try_emplace(d, Registration{fd}).first->second;
  (reading ? reg.reading : reg.writing) = true;
  return absl::OkStatus();
}

void FdDispatcher::removeReader(FileDescriptor* d) { remove(d, Interest::kRead); }

void FdDispatcher::removeWriter(FileDescriptor* d) { remove(d, Interest::kWrite); }

void FdDispatcher::remove(FileDescriptor* d, Interest bit) {
  const bool reading = bit == Interest::kRead;
  auto it = byDescriptor_.find(d);
  if (it == byDescriptor_.end()) return;
  Registration& reg = it->second;
  if (!(reading ? reg.reading : reg.writing)) return;
  const int fd = reg.fd;
  (reading ? reg.reading : reg.writing) = false;
  if (!reg.reading && !reg.writing) byDescriptor_.erase(it);

  Slot& slot = slots_[static_cast<std::size_t>(fd)];
  (reading ? slot.reader : slot.writer) = nullptr;
  const Interest wanted = slot.interest & ~bit;
  absl::Status status = backend_.setInterest(fd, slot.interest, wanted);
  if (status.ok()) {
    slot.interest = wanted;
    return;
  }
  // Removal cannot fail from the caller's point of view: the usual cause is
  // an fd that was closed while registered (EBADF), which the kernel
  // already dropped. Forget it entirely; a remaining registration the other
  // way on this dead fd could not fire anyway.
  log::msg("reactor", describe(reading ? "removeReader" : "removeWriter", fd) + ": " +
                          std::string(status.message()) + "; forgetting the fd");
  backend_.forget(fd);
  slot.interest = Interest::kNone;
}

std::vector<FileDescriptor*> FdDispatcher::removeAll() {
  std::vector<std::pair<int, FileDescriptor*>> all;
  all.reserve(byDescriptor_.size());
  for (const auto& [d, reg] : byDescriptor_) all.emplace_back(reg.fd, d);
  std::sort(all.begin(), all.end());
  std::vector<FileDescriptor*> removed;
  removed.reserve(all.size());
  for (const auto& [fd, d] : all) {
    removeReader(d);
    removeWriter(d);
    removed.push_back(d);
  }
  return removed;
}

void FdDispatcher::disconnectAll() {
  for (FileDescriptor* d : removeAll()) {
    try {
      d->connectionLost(std::make_exception_ptr(ConnectionLost()));
    } catch (...) {
      log::err("reactor", d->logPrefix() + ": unhandled error in connectionLost",
               std::current_exception());
    }
  }
}

std::vector<FileDescriptor*> FdDispatcher::getReaders() const {
  std::vector<FileDescriptor*> out;
  for (const auto& [d, reg] : byDescriptor_) {
    if (reg.reading) out.push_back(d);
  }
  return out;
}

std::vector<FileDescriptor*> FdDispatcher::getWriters() const {
  std::vector<FileDescriptor*> out;
  for (const auto& [d, reg] : byDescriptor_) {
    if (reg.writing) out.push_back(d);
  }
  return out;
}

// Inlined into onReady: a call and a prologue fewer per event (measured:
// ~20 instructions of W1's per-event cost).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void FdDispatcher::dispatch(int fd,
                                                                std::uint8_t events) {
  Slot* slot = slotFor(fd);
  if (slot == nullptr) return;
  FileDescriptor* reader = slot->readerPass != pass_ ? slot->reader : nullptr;
  if (events != kReadable || reader == nullptr) [[unlikely]] {
    dispatchSlow(fd, events, reader, slot->writerPass != pass_ ? slot->writer : nullptr);
    return;
  }
  // The common case, a plain readable event for its reader: one slot lookup
  // and no writer logic (measured: W1, docs/performance.md).
  if (LostReason why = readFrom(reader)) [[unlikely]] {
    disconnect(reader, why, true);
  }
}

LostReason FdDispatcher::readFrom(FileDescriptor* reader) noexcept {
  try {
    if (reader->fileno() == -1) return fileDescriptorWentAway();
    return reader->doRead();
  } catch (...) {
    LostReason why = std::current_exception();
    try {
      log::err("reactor", reader->logPrefix() + ": unhandled error in doRead", why);
    } catch (...) {  // logging failed (bad_alloc): the disconnect matters more
    }
    return why;
  }
}

void FdDispatcher::restamp() {
  for (Slot& slot : slots_) slot.readerPass = slot.writerPass = 0;
  pass_ = 1;
}

absl::StatusOr<int> FdDispatcher::gatherAndDispatch(
    std::optional<std::chrono::nanoseconds> timeout) {
  // Gather first, dispatch after: user code then never runs inside a
  // backend's poll that could not survive it.
  ready_.clear();
  absl::StatusOr<int> n = backend_.poll(timeout, *this);
  if (ready_.empty()) return n;  // nothing to dispatch (a timer-only pass)
  std::vector<Ready> ready;
  ready.swap(ready_);
  for (const Ready& r : ready) dispatch(r.fd, r.events);
  ready.clear();
  if (ready_.empty()) ready_.swap(ready);  // keep the capacity
  return n;
}

FileDescriptor* FdDispatcher::currentWriter(int fd) {
  Slot* slot = slotFor(fd);
  return slot != nullptr && slot->writerPass != pass_ ? slot->writer : nullptr;
}

void FdDispatcher::onReady(int fd, std::uint8_t readyEvents) {
  // Dispatching at once saves gathering and re-reading the round (measured:
  // ~40 of W1's instructions per event, docs/performance.md).
  if (direct_) {
    dispatch(fd, readyEvents);
    return;
  }
  ready_.push_back(Ready{fd, readyEvents});
}

void FdDispatcher::dispatchSlow(int fd, std::uint8_t events, FileDescriptor* reader,
                                FileDescriptor* writer) {
  if (reader == nullptr && writer == nullptr) return;  // removed since

  if (events & kInvalid) {
    // Closed while registered: the kernel has nothing more for us.
    LostReason why = fileDescriptorWentAway();
    if (reader != nullptr) disconnect(reader, why, false);
    if (writer != nullptr && currentWriter(fd) == writer) {
      disconnect(writer, why, false);
    }
    return;
  }

  if ((events & (kHangup | kError)) && !(events & kReadable)) {
    // Disconnected, and no input is left to deliver: a reader has read
    // everything, so this is a clean close for it; a writer lost its peer.
    if (reader != nullptr) {
      disconnect(reader, std::make_exception_ptr(ConnectionDone()), true);
    }
    if (writer != nullptr && currentWriter(fd) == writer) {
      disconnect(writer, std::make_exception_ptr(ConnectionLost()), false);
    }
    return;
  }

  FileDescriptor* target = nullptr;
  LostReason why;
  bool inRead = false;
  try {
    if (reader != nullptr && (events & kReadable)) {
      target = reader;
      inRead = true;
      why = reader->fileno() == -1 ? fileDescriptorWentAway() : reader->doRead();
    }
    // doRead may have removed the writer, or everything: look again.
    writer = currentWriter(fd);
    if (!why && writer != nullptr && (events & kWritable)) {
      target = writer;
      inRead = false;
      why = writer->fileno() == -1 ? fileDescriptorWentAway() : writer->doWrite();
    }
  } catch (...) {
    why = std::current_exception();
    log::err(
        "reactor",
        target->logPrefix() + ": unhandled error in " + (inRead ? "doRead" : "doWrite"),
        why);
  }
  if (why) disconnect(target, why, inRead);
}

void FdDispatcher::disconnect(FileDescriptor* d, const LostReason& why, bool inRead) {
  try {
    if (inRead && d->halfCloseable() && isConnectionDone(why)) {
      removeReader(d);
      d->readConnectionLost(why);
    } else {
      removeReader(d);
      removeWriter(d);
      d->connectionLost(why);
    }
  } catch (...) {
    log::err("reactor", "unhandled error in connectionLost", std::current_exception());
  }
}

}  // namespace torsion::internal
