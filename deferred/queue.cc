#include "deferred/queue.h"

namespace torsion {

QueueOverflow::QueueOverflow(std::size_t size)
    : std::runtime_error("QueueOverflow: DeferredQueue already holds its maximum of " +
                         std::to_string(size) + " items") {}

QueueUnderflow::QueueUnderflow(std::size_t backlog)
    : std::runtime_error("QueueUnderflow: DeferredQueue already has its maximum of " +
                         std::to_string(backlog) + " waiting get()s") {}

}  // namespace torsion
