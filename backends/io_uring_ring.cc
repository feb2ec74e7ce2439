#include "backends/io_uring_ring.h"

#include <errno.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/system_error.h"

namespace torsion::internal {
namespace {

// Features the backend relies on, with the kernel that brought each: multishot
// poll and POLL_UPDATE came in 5.13, so CQE_SKIP (5.17) implies them too.
struct RequiredFeature {
  unsigned bit;
  const char* what;
};
constexpr std::array<RequiredFeature, 3> kRequiredFeatures = {{
    {IORING_FEAT_NODROP, "IORING_FEAT_NODROP (Linux 5.5)"},
    {IORING_FEAT_EXT_ARG, "IORING_FEAT_EXT_ARG (Linux 5.11)"},
    {IORING_FEAT_CQE_SKIP, "IORING_FEAT_CQE_SKIP (Linux 5.17)"},
}};

// Nice to have: keep submitting after a failed SQE (5.18) and run completion
// work without interrupting the task (5.19). Dropped on EINVAL.
constexpr unsigned kOptionalSetupFlags =
    IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN;

// Enough for tests and programs that create reactors one after another.
constexpr std::size_t kMaxPooled = 4;

// Why io_uring_setup failed, with the sysctl that explains an EPERM.
absl::Status setupError(int err, unsigned entries) {
  std::string call = absl::StrCat("io_uring_queue_init_params(entries=", entries, ")");
  if (err == EPERM) {
    std::ifstream sysctl("/proc/sys/kernel/io_uring_disabled");
    int disabled = 0;
    if (sysctl >> disabled && disabled != 0) {
      absl::StrAppend(&call, " [kernel.io_uring_disabled=", disabled, "]");
    } else {
      absl::StrAppend(&call, " [refused by a seccomp policy or a hardened kernel]");
    }
  }
  return statusFromErrno(err, call);
}

// Sets up a ring with every required feature; on error nothing leaks.
absl::Status initRing(unsigned sqEntries, unsigned cqEntries, io_uring& ring) {
  io_uring_params params{};
  params.flags = IORING_SETUP_CQSIZE | kOptionalSetupFlags;
  params.cq_entries = cqEntries;
  int rc = io_uring_queue_init_params(sqEntries, &ring, &params);
  if (rc == -EINVAL) {  // a kernel before 5.19: try without the optional flags
    params = io_uring_params{};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = cqEntries;
    rc = io_uring_queue_init_params(sqEntries, &ring, &params);
  }
  if (rc < 0) return setupError(-rc, sqEntries);
  for (const RequiredFeature& feature : kRequiredFeatures) {
    if ((ring.features & feature.bit) == 0) {
      io_uring_queue_exit(&ring);
      return absl::UnavailableError(absl::StrCat("io_uring backend: the kernel lacks ",
                                                 feature.what, "; features=0x",
                                                 absl::Hex(ring.features)));
    }
  }
  return absl::OkStatus();
}

struct Entry {
  PooledRing ring;
  unsigned sqEntries;
  unsigned cqEntries;
  pid_t pid;  // rings from before a fork() belong to the parent
};

struct Pool {
  std::mutex mutex;
  std::vector<Entry> entries;
};

Pool& pool() {
  static Pool* const instance = new Pool;  // never destroyed: usable during exit
  return *instance;
}

}  // namespace

absl::StatusOr<PooledRing> acquireRing(unsigned sqEntries, unsigned cqEntries) {
  const pid_t self = ::getpid();
  std::vector<Entry> inherited;
  {
    Pool& p = pool();
    std::lock_guard<std::mutex> lock(p.mutex);
    for (std::size_t i = p.entries.size(); i-- > 0;) {
      Entry& e = p.entries[i];
      if (e.pid != self) {
        inherited.push_back(e);
        p.entries.erase(p.entries.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
    for (std::size_t i = 0; i < p.entries.size(); ++i) {
      Entry& e = p.entries[i];
      if (e.sqEntries == sqEntries && e.cqEntries == cqEntries) {
        PooledRing ring = e.ring;
        ++ring.epoch;
        p.entries.erase(p.entries.begin() + static_cast<std::ptrdiff_t>(i));
        for (Entry& old : inherited) io_uring_queue_exit(&old.ring.ring);
        return ring;
      }
    }
  }
  // The parent's rings: unmap and close our copies without touching them.
  for (Entry& old : inherited) io_uring_queue_exit(&old.ring.ring);
  PooledRing ring;
  if (absl::Status s = initRing(sqEntries, cqEntries, ring.ring); !s.ok()) return s;
  return ring;
}

void releaseRing(const PooledRing& ring, unsigned sqEntries,
                 unsigned cqEntries) noexcept {
  {
    Pool& p = pool();
    std::lock_guard<std::mutex> lock(p.mutex);
    if (p.entries.size() < kMaxPooled) {
      try {
        p.entries.push_back(Entry{ring, sqEntries, cqEntries, ::getpid()});
        return;
      } catch (...) {  // out of memory: close it instead
      }
    }
  }
  io_uring copy = ring.ring;
  io_uring_queue_exit(&copy);
}

absl::Status probeRing() {
  io_uring ring;
  absl::Status status = initRing(2, 4, ring);
  if (status.ok()) io_uring_queue_exit(&ring);
  return status;
}

}  // namespace torsion::internal
