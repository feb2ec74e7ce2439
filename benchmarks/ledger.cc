#include "benchmarks/ledger.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define TORSION_LEDGER_TOGGLE() CALLGRIND_TOGGLE_COLLECT
#define TORSION_LEDGER_DUMP(label) CALLGRIND_DUMP_STATS_AT(label)
#else
#define TORSION_LEDGER_TOGGLE() ((void)0)
#define TORSION_LEDGER_DUMP(label) ((void)(label))
#endif

// Defined by benchmarks/alloc_counter.cc in the binaries that link it.
extern "C" std::int64_t torsionLedgerAllocations() __attribute__((weak));
extern "C" void torsionHeapBytesTracking(int on) __attribute__((weak));
extern "C" std::int64_t torsionHeapBytes() __attribute__((weak));

namespace torsion::bench::ledger {
namespace {

int gOut = -1;  // TORSION_LEDGER's file, opened for appending

struct Snapshot {
  std::int64_t allocations = -1;
  long voluntary = 0;
  long involuntary = 0;
};

Snapshot snapshot() {
  Snapshot s;
  s.allocations = allocationsSoFar();
  rusage usage{};
  if (getrusage(RUSAGE_THREAD, &usage) == 0) {
    s.voluntary = usage.ru_nvcsw;
    s.involuntary = usage.ru_nivcsw;
  }
  return s;
}

// One phase at a time per thread: callgrind's collection is a toggle, so an
// unbalanced begin() would invert every later phase.
thread_local bool tInPhase = false;
thread_local Snapshot tAtBegin;

// A system call that fails at once (EBADF) and that strace prints with its
// text, marking a phase boundary in the trace.
void marker(const char* text, int length) {
  (void)syscall(SYS_write, -1, text, static_cast<long>(length));
}

}  // namespace

bool startHeapBytes() {
  if (torsionHeapBytesTracking == nullptr) return false;
  torsionHeapBytesTracking(1);
  return true;
}

std::int64_t stopHeapBytes() {
  if (torsionHeapBytesTracking == nullptr) return -1;
  torsionHeapBytesTracking(0);
  return torsionHeapBytes();
}

std::int64_t allocationsSoFar() {
  return torsionLedgerAllocations != nullptr ? torsionLedgerAllocations() : -1;
}

namespace internal {

bool enabledSlow() {
  const char* path = std::getenv("TORSION_LEDGER");
  if (path != nullptr && *path != '\0') {
    gOut = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (gOut < 0) std::fprintf(stderr, "ledger: cannot open TORSION_LEDGER=%s\n", path);
  }
  gState = gOut >= 0 ? 1 : 0;
  return gState == 1;
}

void beginSlow() {
  if (tInPhase) return;
  tInPhase = true;
  tAtBegin = snapshot();
  static constexpr char kBegin[] = "torsion-ledger begin";
  marker(kBegin, sizeof kBegin - 1);
  TORSION_LEDGER_TOGGLE();
}

void endSlow(std::string_view benchmark, std::string_view op, std::int64_t ops) {
  if (!tInPhase) return;
  TORSION_LEDGER_TOGGLE();
  tInPhase = false;
  // No allocation from here to the snapshot: the label lives on the stack.
  char label[256];
  int length =
      std::snprintf(label, sizeof label, "torsion-ledger %.*s %.*s %lld",
                    static_cast<int>(benchmark.size()), benchmark.data(),
                    static_cast<int>(op.size()), op.data(), static_cast<long long>(ops));
  if (length < 0) return;
  if (length >= static_cast<int>(sizeof label))
    length = static_cast<int>(sizeof label) - 1;
  TORSION_LEDGER_DUMP(label);
  marker(label, length);
  const Snapshot now = snapshot();
  char line[384];
  char allocations[32] = "-";
  if (now.allocations >= 0 && tAtBegin.allocations >= 0)
    std::snprintf(allocations, sizeof allocations, "%lld",
                  static_cast<long long>(now.allocations - tAtBegin.allocations));
  // "torsion-ledger " is the callgrind label's prefix, not part of the line.
  const int prefix = static_cast<int>(sizeof "torsion-ledger ") - 1;
  const int n =
      std::snprintf(line, sizeof line, "%.*s %s %ld %ld\n", length - prefix,
                    label + prefix, allocations, now.voluntary - tAtBegin.voluntary,
                    now.involuntary - tAtBegin.involuntary);
  if (n > 0) (void)!write(gOut, line, static_cast<std::size_t>(std::min(n, 383)));
}

}  // namespace internal
}  // namespace torsion::bench::ledger
