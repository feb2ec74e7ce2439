#include "deferred/deferred_list_inputs.h"

#include <exception>

#include "core/log.h"

namespace torsion::internal {

void InputSet::cancelAll(std::size_t except) {
  for (std::size_t i = 0; i < chains_.size(); ++i) {
    ChainState* chain = chains_[i];
    if (chain == nullptr || i == except) continue;
    // Our own reference: cancelling may run (and release) the step that
    // was the last thing keeping the input alive.
    chain->ref();
    try {
      chain->cancel();
    } catch (...) {
      Failure f = Failure::current();
      log::err("deferred",
               "Exception raised from user supplied canceller\n" + f.getBriefTraceback(),
               f.exception());
    }
    chain->unref();
  }
}

}  // namespace torsion::internal
