// torsion/backends/io_uring_ring.h: sets up the io_uring rings the io_uring
// backend runs on, checks the kernel features it needs, and keeps released
// rings for reuse.
//
// Internal to backends/. No Twisted counterpart. Why reuse: closing a ring
// that a thread submitted to makes the kernel's ring-exit work send that
// thread a task_work notification 10-30 ms later, which ends whatever the
// thread is then blocked in with EINTR (measured: an epoll_wait of another
// backend returned early). A released ring has no requests left, so keeping
// it open costs a few pages and no kernel work; the next backend reuses it
// under a new epoch (see io_uring_user_data.h) instead of setting one up.
//
//   absl::StatusOr<internal::PooledRing> r = internal::acquireRing(256, 4096);
//   ... io_uring_* calls on r->ring, user_data tagged with r->epoch ...
//   internal::releaseRing(r->ring, 256, 4096);  // every request cancelled, CQ reaped
//
// Thread-safety: acquireRing/releaseRing may be called from any thread.
#ifndef TORSION_BACKENDS_IO_URING_RING_H_
#define TORSION_BACKENDS_IO_URING_RING_H_

#include <liburing.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace torsion::internal {

struct PooledRing {
  io_uring ring;
  std::uint8_t epoch = 0;  // bumped on every reuse
};

// Sets up a ring with these queue sizes (or reuses a released one), with
// IORING_SETUP_SUBMIT_ALL and COOP_TASKRUN where the kernel has them. Errors:
// the failing io_uring_queue_init_params with the kernel's reason (an EPERM
// names kernel.io_uring_disabled when that sysctl is set), or Unavailable
// naming the missing feature (NODROP, EXT_ARG, CQE_SKIP: Linux 5.17+).
absl::StatusOr<PooledRing> acquireRing(unsigned sqEntries, unsigned cqEntries);

// Takes back a ring from acquireRing whose requests are all cancelled and
// whose CQEs are reaped. Keeps a few for reuse and closes the rest. A ring
// inherited across fork() must not be passed here (its queues are shared
// with the parent): close it with io_uring_queue_exit.
void releaseRing(const PooledRing& ring, unsigned sqEntries, unsigned cqEntries) noexcept;

// OK when a ring with every needed feature can be set up here. Sets up and
// closes a small ring, never submitting to it (so no exit work reaches us).
absl::Status probeRing();

}  // namespace torsion::internal

#endif  // TORSION_BACKENDS_IO_URING_RING_H_
