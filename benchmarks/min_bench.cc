// The minimal hand-written loops on epoll, poll and select: the reference
// limit of every workload. See min_loop.h.
#include <sys/select.h>

#include "benchmarks/drivers.h"
#include "benchmarks/min_loop.h"
#include "benchmarks/min_pollers.h"

namespace torsion::bench {
namespace {

const bool kRegistered =
    registerWorkloads("min_epoll", [] { return MinLoop<EpollPoller>::create(); }) &&
    registerWorkloads("min_poll", [] { return MinLoop<PollPoller>::create(); }) &&
    registerWorkloads(
        "min_select", [] { return MinLoop<SelectPoller>::create(); },
        LoopLimits{FD_SETSIZE});

}  // namespace
}  // namespace torsion::bench
