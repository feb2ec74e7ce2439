// torsion/deferred/internal/demangle.h: readable C++ type names for error
// messages (DeferredTypeError, Failure::typeName). Private to deferred/.
#ifndef TORSION_DEFERRED_INTERNAL_DEMANGLE_H_
#define TORSION_DEFERRED_INTERNAL_DEMANGLE_H_

#include <string>
#include <typeinfo>

namespace torsion::internal {

// The demangled name of `type`, with std::string spelled "std::string";
// falls back to the mangled name if the ABI cannot demangle it.
std::string demangle(const std::type_info& type);

}  // namespace torsion::internal

#endif  // TORSION_DEFERRED_INTERNAL_DEMANGLE_H_
