#include "core/signal_table.h"

#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

namespace torsion::internal {
namespace {

constexpr int kSlots = 128;

// A slot is live when signo != 0; the handler reads signo, then fd.
struct Slot {
  std::atomic<int> signo{0};
  std::atomic<int> fd{-1};
};

static_assert(std::atomic<int>::is_always_lock_free);
static_assert(std::atomic<SignalHook>::is_always_lock_free);

std::array<Slot, kSlots> slots;
// Handlers currently running: removeSubscriber waits for zero so that a
// handler never writes to an fd its owner has closed (or reused).
std::atomic<int> handlersRunning{0};
std::atomic<SignalHook> stopHook{nullptr};

std::mutex tableMutex;
struct Disposition {
  int users = 0;
  struct sigaction saved;
};
std::array<Disposition, NSIG> dispositions;  // guarded by tableMutex

extern "C" void onSignal(int signo) {
  const int savedErrno = errno;
  handlersRunning.fetch_add(1);
  const char byte = static_cast<char>(signo);
  for (Slot& slot : slots) {
    if (slot.signo.load() != signo) continue;
    const int fd = slot.fd.load();
    // A full pipe already holds a wake-up: dropping this byte loses nothing
    // (signals coalesce in the kernel too).
    if (fd >= 0) (void)!::write(fd, &byte, 1);
  }
  if (SignalHook hook = stopHook.load()) hook(signo);
  handlersRunning.fetch_sub(1);
  errno = savedErrno;
}

}  // namespace

absl::Status acquireSignal(int signo) {
  if (signo <= 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP) {
    return absl::InvalidArgumentError("signal " + std::to_string(signo) +
                                      " cannot be caught");
  }
  std::lock_guard<std::mutex> lock(tableMutex);
  Disposition& d = dispositions[signo];
  if (d.users == 0) {
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    // SA_NOCLDSTOP: a stopped or continued child is not an exit.
    sa.sa_flags = SA_RESTART | (signo == SIGCHLD ? SA_NOCLDSTOP : 0);
    if (::sigaction(signo, &sa, &d.saved) != 0) {
      const int e = errno;
      return absl::InternalError("sigaction(" + std::to_string(signo) +
                                 "): " + std::strerror(e));
    }
  }
  ++d.users;
  return absl::OkStatus();
}

void releaseSignal(int signo) {
  if (signo <= 0 || signo >= NSIG) return;
  std::lock_guard<std::mutex> lock(tableMutex);
  Disposition& d = dispositions[signo];
  if (d.users == 0) return;
  if (--d.users == 0) ::sigaction(signo, &d.saved, nullptr);
}

int addSubscriber(int signo, int writeFd) {
  std::lock_guard<std::mutex> lock(tableMutex);
  for (int i = 0; i < kSlots; ++i) {
    if (slots[i].signo.load() != 0) continue;
    slots[i].fd.store(writeFd);
    slots[i].signo.store(signo);
    return i;
  }
  return -1;
}

void removeSubscriber(int slot) {
  if (slot < 0 || slot >= kSlots) return;
  {
    std::lock_guard<std::mutex> lock(tableMutex);
    slots[slot].signo.store(0);
    slots[slot].fd.store(-1);
  }
  // A handler that started before the slot was cleared may still hold the
  // fd; handlers are short (a few writes), so yielding until none runs is
  // cheap. One that starts now sees the cleared slot.
  while (handlersRunning.load() != 0) ::sched_yield();
}

void setStopHook(SignalHook hook) { stopHook.store(hook); }

}  // namespace torsion::internal
