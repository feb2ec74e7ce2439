// Windows version of core/signals.h, chosen by core/BUILD.bazel's select():
// the CRT has only SIGINT, SIGTERM (raise() alone), SIGABRT, SIGFPE, SIGILL
// and SIGSEGV, and no way to hand a delivery to another thread safely, so
// user signal watches are not offered there.
#include "core/signals.h"

namespace torsion {
namespace internal {
class SignalWatchReader {};
}  // namespace internal

SignalWatch::SignalWatch(std::shared_ptr<internal::SignalWatchReader> reader)
    : reader_(std::move(reader)) {}
SignalWatch::SignalWatch(SignalWatch&&) noexcept = default;
SignalWatch& SignalWatch::operator=(SignalWatch&& other) noexcept {
  reader_ = std::move(other.reader_);
  return *this;
}
SignalWatch::~SignalWatch() = default;
void SignalWatch::stop() { reader_.reset(); }

absl::StatusOr<SignalWatch> watchSignal(Reactor&, int, absl::AnyInvocable<void(int)>) {
  return absl::UnimplementedError(
      "watchSignal: signal watches are not available on Windows");
}

}  // namespace torsion
