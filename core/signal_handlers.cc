#include "core/signal_handlers.h"

#include <signal.h>

#include <atomic>
#include <cerrno>

namespace torsion::internal {
namespace {

static_assert(std::atomic<int>::is_always_lock_free);
static_assert(std::atomic<const Backend*>::is_always_lock_free);

std::atomic<int> pendingSignal{0};
std::atomic<const Backend*> owner{nullptr};
struct sigaction savedInt;
struct sigaction savedTerm;

extern "C" void onStopSignal(int signo) {
  const int savedErrno = errno;
  pendingSignal.store(signo, std::memory_order_relaxed);
  if (const Backend* b = owner.load(std::memory_order_acquire)) b->wakeUp();
  errno = savedErrno;
}

}  // namespace

bool installStopSignalHandlers(const Backend* backend) {
  const Backend* expected = nullptr;
  if (!owner.compare_exchange_strong(expected, backend)) return false;
  struct sigaction sa = {};
  sa.sa_handler = onStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &savedInt);
  sigaction(SIGTERM, &sa, &savedTerm);
  return true;
}

void uninstallStopSignalHandlers(const Backend* backend) {
  if (owner.load() != backend) return;
  sigaction(SIGINT, &savedInt, nullptr);
  sigaction(SIGTERM, &savedTerm, nullptr);
  owner.store(nullptr, std::memory_order_release);
}

int takePendingStopSignal() {
  return pendingSignal.exchange(0, std::memory_order_relaxed);
}

bool stopSignalPending() { return pendingSignal.load(std::memory_order_relaxed) != 0; }

}  // namespace torsion::internal
