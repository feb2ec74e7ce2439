#include "core/signal_handlers.h"

#include <signal.h>

#include <atomic>

#include "core/signal_table.h"

namespace torsion::internal {
namespace {

static_assert(std::atomic<int>::is_always_lock_free);
static_assert(std::atomic<const Backend*>::is_always_lock_free);

std::atomic<int> pendingSignal{0};
std::atomic<const Backend*> owner{nullptr};

// Runs inside the shared handler (core/signal_table.h) for every signal
// torsion catches; only SIGINT and SIGTERM, and only with an owner, stop.
void onStopSignal(int signo) {
  if (signo != SIGINT && signo != SIGTERM) return;
  const Backend* b = owner.load(std::memory_order_acquire);
  if (b == nullptr) return;
  pendingSignal.store(signo, std::memory_order_relaxed);
  b->wakeUp();
}

}  // namespace

bool installStopSignalHandlers(const Backend* backend) {
  const Backend* expected = nullptr;
  if (!owner.compare_exchange_strong(expected, backend)) return false;
  setStopHook(onStopSignal);
  // Both are catchable, so acquiring cannot fail but for sigaction itself.
  (void)acquireSignal(SIGINT);
  (void)acquireSignal(SIGTERM);
  return true;
}

void uninstallStopSignalHandlers(const Backend* backend) {
  if (owner.load() != backend) return;
  releaseSignal(SIGINT);
  releaseSignal(SIGTERM);
  owner.store(nullptr, std::memory_order_release);
}

int takePendingStopSignal() {
  return pendingSignal.exchange(0, std::memory_order_relaxed);
}

bool stopSignalPending() { return pendingSignal.load(std::memory_order_relaxed) != 0; }

}  // namespace torsion::internal
