#include "deferred/deferred_list_inputs.h"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>

#include "base/log.h"

namespace torsion::internal {

void checkDistinct(std::vector<ChainState*> chains, const char* what) {
  std::sort(chains.begin(), chains.end());
  if (std::adjacent_find(chains.begin(), chains.end()) != chains.end()) {
    throw std::invalid_argument(
        std::string(what) +
        ": the same Deferred appears twice among inputs of a move-only type; with "
        "consumeErrors each input's value is taken, which cannot be done twice");
  }
}

void InputSet::cancelAll(std::size_t except, absl::FunctionRef<void(std::size_t)> gone) {
  for (std::size_t i = 0; i < chains_.size(); ++i) {
    if (i == except) continue;
    ChainState* chain = chains_[i];
    if (chain == nullptr) {
      gone(i);
      continue;
    }
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
