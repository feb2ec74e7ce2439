#include "deferred/first_error.h"

#include <utility>

namespace torsion {
namespace {

std::string describe(const Failure& f, std::size_t index) {
  if (f.empty()) throw std::invalid_argument("FirstError: the sub-failure is empty");
  return "FirstError[#" + std::to_string(index) + ", " + f.typeName() + ": " +
         f.getErrorMessage() + "]";
}

}  // namespace

FirstError::FirstError(Failure sub, std::size_t i)
    : std::runtime_error(describe(sub, i)), subFailure(std::move(sub)), index(i) {}

}  // namespace torsion
