#include "core/file_descriptor.h"

#include <stdexcept>

namespace torsion {

// Disconnecting beats spinning: a descriptor registered for a direction it
// cannot handle would otherwise be reported ready forever.
LostReason FileDescriptor::doRead() {
  return std::make_exception_ptr(
      std::logic_error(logPrefix() + ": registered as a reader but doRead() is not "
                                     "implemented"));
}

LostReason FileDescriptor::doWrite() {
  return std::make_exception_ptr(
      std::logic_error(logPrefix() + ": registered as a writer but doWrite() is not "
                                     "implemented"));
}

}  // namespace torsion
