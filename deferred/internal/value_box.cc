#include "deferred/internal/value_box.h"

#include <stdexcept>

#include "deferred/internal/demangle.h"

namespace torsion::internal {

std::string deferredName(const TypeInfo* type) {
  return "Deferred<" + demangle(type->type()) + ">";
}

void ValueBox::wrongType(const TypeInfo* wanted) const {
  throw std::logic_error("torsion internal error: chain result is " +
                         (type() ? demangle(type()->type()) : std::string("empty")) +
                         ", a step expected " + demangle(wanted->type()));
}

}  // namespace torsion::internal
