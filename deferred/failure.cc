#include "deferred/failure.h"

#include <cxxabi.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <ostream>
#include <typeinfo>

#include "base/log.h"
#include "deferred/errors.h"
#include "deferred/internal/demangle.h"

namespace torsion {

namespace internal {

#if defined(__GLIBCXX__)
bool catchesWithoutRethrow(const std::exception_ptr& e, const std::type_info& handler,
                           void** caught) noexcept {
  const std::type_info* thrown = e.__cxa_exception_type();
  // libstdc++'s exception_ptr is the address of the thrown object.
  static_assert(sizeof(std::exception_ptr) == sizeof(void*));
  void* object;
  std::memcpy(&object, static_cast<const void*>(&e), sizeof object);
  // As the personality routine does (get_adjusted_ptr): a thrown pointer is
  // matched by its value, a class object by its address.
  if (thrown->__is_pointer_p()) object = *static_cast<void**>(object);
  if (!handler.__do_catch(thrown, &object, 1)) return false;
  *caught = object;
  return true;
}
#else
bool catchesWithoutRethrow(const std::exception_ptr&, const std::type_info&,
                           void**) noexcept {
  return false;  // never called: kCatchWithoutRethrow is false
}
#endif

}  // namespace internal

StatusError::StatusError(absl::Status status)
    : std::runtime_error(status.ok() ? std::string("OK") : status.ToString()),
      status_(std::move(status)) {
  if (status_.ok()) {
    throw std::invalid_argument("StatusError: an OK absl::Status is not an error");
  }
}

Failure::Failure(std::exception_ptr e) : exception_(std::move(e)) {
  if (exception_ == nullptr) {
    throw std::invalid_argument("Failure: the exception_ptr is null");
  }
}

Failure Failure::current() {
  std::exception_ptr e = std::current_exception();
  if (e == nullptr) {
    throw NoCurrentExceptionError(
        "NoCurrentExceptionError: Failure::current() or errback() without a "
        "Failure was called outside a catch block");
  }
  return Failure(std::move(e));
}

Failure Failure::fromStatus(absl::Status status) {
  return Failure(std::make_exception_ptr(StatusError(std::move(status))));
}

const std::exception_ptr& Failure::exception() const {
  if (exception_ == nullptr) {
    throw std::logic_error("Failure: this Failure is empty (default-constructed)");
  }
  return exception_;
}

void Failure::raiseException() const { std::rethrow_exception(exception()); }

std::string Failure::typeName() const {
  exception();  // an empty Failure throws here, not inside the try
#if defined(__GLIBCXX__)
  // No rethrow needed to learn the type (see catchesWithoutRethrow).
  if (const std::type_info* type = exception_.__cxa_exception_type()) {
    return internal::demangle(*type);
  }
#endif
  try {
    raiseException();
  } catch (...) {
    // Works for every thrown type, std::exception or not.
    const std::type_info* type = abi::__cxa_current_exception_type();
    return type ? internal::demangle(*type) : std::string("<unknown>");
  }
}

std::string Failure::shortTypeName() const {
  std::string name = typeName();
  // Cut after the last "::" outside template arguments and parentheses
  // ("(anonymous namespace)"): what is left is the type's own name.
  std::size_t start = 0;
  int depth = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '<' || c == '(') {
      ++depth;
    } else if (c == '>' || c == ')') {
      --depth;
    } else if (depth == 0 && c == ':' && i + 1 < name.size() && name[i + 1] == ':') {
      start = i + 2;
      ++i;
    }
  }
  return name.substr(start);
}

std::string Failure::getErrorMessage() const {
  exception();
  try {
    raiseException();
  } catch (const std::exception& e) {
    return e.what();
  } catch (const char* s) {
    return s ? s : "";
  } catch (const std::string& s) {
    return s;
  } catch (long long v) {
    return std::to_string(v);
  } catch (long v) {
    return std::to_string(v);
  } catch (int v) {
    return std::to_string(v);
  } catch (unsigned long long v) {
    return std::to_string(v);
  } catch (unsigned long v) {
    return std::to_string(v);
  } catch (unsigned v) {
    return std::to_string(v);
  } catch (double v) {
    return std::to_string(v);
  } catch (...) {
  }
  return "<exception of type " + typeName() + ">";
}

std::string Failure::getBriefTraceback() const {
  return "Traceback (failure with no frames): " + typeName() + ": " + getErrorMessage() +
         "\n";
}

std::string Failure::str() const {
  if (empty()) return "[Failure instance: empty]";
  return "[Failure instance: " + getBriefTraceback() + "]";
}

std::ostream& operator<<(std::ostream& out, const Failure& f) { return out << f.str(); }

absl::Status Failure::status() const {
  if (const StatusError* e = value<StatusError>()) return e->status();
  return absl::UnknownError(typeName() + ": " + getErrorMessage());
}

Failure logError(Failure f) {
  log::err("deferred", "Unhandled Error\n" + f.getBriefTraceback(), f.exception());
  return f;
}

}  // namespace torsion
