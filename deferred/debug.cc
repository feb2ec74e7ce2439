#include "deferred/debug.h"

#include <atomic>
#include <cstdio>

#include "absl/debugging/stacktrace.h"
#include "absl/debugging/symbolize.h"

namespace torsion {

namespace internal {
std::atomic<bool> gDebugging{false};
}  // namespace internal

void setDebugging(bool on) { internal::gDebugging.store(on, std::memory_order_relaxed); }
bool getDebugging() { return internal::debugging(); }

namespace internal {

std::string captureStack(int skip, const char* indent) {
  constexpr int kMaxFrames = 32;
  void* pcs[kMaxFrames];
  int depth = absl::GetStackTrace(pcs, kMaxFrames, skip + 1);
  std::string out;
  for (int i = 0; i < depth; ++i) {
    char name[512];
    const char* symbol = "(unknown)";
    // Symbolize the return address minus one: it lies inside the call
    // instruction, so inlined or tail code does not show the next function.
    if (absl::Symbolize(static_cast<char*>(pcs[i]) - 1, name, sizeof name)) {
      symbol = name;
    }
    char line[600];
    std::snprintf(line, sizeof line, "%s%p %s\n", indent, pcs[i], symbol);
    out += line;
  }
  if (out.empty()) out = std::string(indent) + "(no frames: the unwinder found none)\n";
  return out;
}

}  // namespace internal
}  // namespace torsion
