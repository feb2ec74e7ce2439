// Windows version of core/signal_handlers.h, chosen by core/BUILD.bazel's
// select(). The CRT has no sigaction; signal() gives SIGINT (Ctrl+C via the
// console control handler) and SIGTERM (raise() only). The CRT resets a
// handler to SIG_DFL before calling it, so the handler re-installs itself.
#include <atomic>
#include <cerrno>
#include <csignal>

#include "core/signal_handlers.h"

namespace torsion::internal {
namespace {

std::atomic<int> pendingSignal{0};
std::atomic<const Backend*> owner{nullptr};
void (*savedInt)(int) = SIG_DFL;
void (*savedTerm)(int) = SIG_DFL;

extern "C" void onStopSignal(int signo) {
  const int savedErrno = errno;
  std::signal(signo, onStopSignal);
  pendingSignal.store(signo, std::memory_order_relaxed);
  if (const Backend* b = owner.load(std::memory_order_acquire)) b->wakeUp();
  errno = savedErrno;
}

}  // namespace

bool installStopSignalHandlers(const Backend* backend) {
  const Backend* expected = nullptr;
  if (!owner.compare_exchange_strong(expected, backend)) return false;
  savedInt = std::signal(SIGINT, onStopSignal);
  savedTerm = std::signal(SIGTERM, onStopSignal);
  return true;
}

void uninstallStopSignalHandlers(const Backend* backend) {
  if (owner.load() != backend) return;
  std::signal(SIGINT, savedInt == SIG_ERR ? SIG_DFL : savedInt);
  std::signal(SIGTERM, savedTerm == SIG_ERR ? SIG_DFL : savedTerm);
  owner.store(nullptr, std::memory_order_release);
}

int takePendingStopSignal() {
  return pendingSignal.exchange(0, std::memory_order_relaxed);
}

bool stopSignalPending() { return pendingSignal.load(std::memory_order_relaxed) != 0; }

}  // namespace torsion::internal
