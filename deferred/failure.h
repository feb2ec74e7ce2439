// torsion/deferred/failure.h: Failure, the error value a Deferred carries.
//
// Mirrors twisted.python.failure.Failure. A Failure wraps a
// std::exception_ptr, so it can hold anything C++ can throw (`throw 42`
// included) and keeps the identity of the exception object: an errback that
// passes a Failure on, or a trap() that does not match, hands the very same
// exception to the next errback. absl::Status travels as a StatusError.
//
//   d.addErrback([](torsion::Failure f) -> int {
//     f.trap<std::out_of_range>();  // anything else goes on unchanged
//     std::cerr << f.getErrorMessage() << "\n";
//     return 0;                     // recovered
//   });
//
//   torsion::Failure f = torsion::Failure::fromStatus(absl::NotFoundError("x"));
//   f.status();                     // NOT_FOUND: x
//
// Thread-safety: a Failure is an immutable value; copies may be used on
// different threads. (The exception object itself is shared by all copies.)
#ifndef TORSION_DEFERRED_FAILURE_H_
#define TORSION_DEFERRED_FAILURE_H_

#include <concepts>
#include <cstddef>
#include <exception>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "absl/status/status.h"

namespace torsion {

namespace internal {
// Whether the type tests below can read the thrown object's type and address
// from the exception_ptr (libstdc++, also under mingw) instead of rethrowing.
#if defined(__GLIBCXX__)
inline constexpr bool kCatchWithoutRethrow = true;
#else
inline constexpr bool kCatchWithoutRethrow = false;
#endif

// What `catch (const H&)` with typeid(H) == `handler` would do with the
// exception in `e` (non-null): true if it catches it, with *caught set to
// the address the handler would bind to (adjusted to the base for a class
// type). The C++ runtime's own matching rule, asked directly: a rethrow and
// catch cost ~18,000 instructions (two unwinder passes), this ~100.
// Only when kCatchWithoutRethrow.
bool catchesWithoutRethrow(const std::exception_ptr& e, const std::type_info& handler,
                           void** caught) noexcept;
}  // namespace internal

// An exception that carries an absl::Status, so that Status-returning code
// can fail a Deferred and errbacks can get the Status back
// (Failure::status()). what() is status().ToString().
class StatusError : public std::runtime_error {
 public:
  // Throws std::invalid_argument if `status` is OK: an OK status is no error.
  explicit StatusError(absl::Status status);
  const absl::Status& status() const { return status_; }

 private:
  absl::Status status_;
};

class Failure {
 public:
  // An empty Failure, holding no exception: only a placeholder to assign to.
  // Every accessor on it throws std::logic_error, except empty().
  Failure() = default;

  // Wraps an exception already caught. Throws std::invalid_argument if `e`
  // is null.
  explicit Failure(std::exception_ptr e);

  // Wraps an exception object: Failure(std::runtime_error("boom")).
  template <typename E>
  requires std::derived_from<std::decay_t<E>, std::exception> &&
      (!std::same_as<std::decay_t<E>, Failure>)
          Failure(E&& exception)  // NOLINT: implicit, like errback(ValueError())
      : Failure(std::make_exception_ptr(std::forward<E>(exception))) {}

  // Wraps any value as if it had been thrown: Failure::of(42) is what
  // `throw 42` caught by catch (...) would give.
  template <typename V>
  static Failure of(V&& value) {
    return Failure(std::make_exception_ptr(std::forward<V>(value)));
  }

  // The exception currently being handled (call inside a catch block), like
  // Twisted's Failure(). Throws NoCurrentExceptionError outside one.
  static Failure current();

  // A Failure holding StatusError(status). Throws std::invalid_argument if
  // `status` is OK.
  static Failure fromStatus(absl::Status status);

  bool empty() const { return exception_ == nullptr; }

  // The wrapped exception (never null for a non-empty Failure).
  const std::exception_ptr& exception() const;

  // Rethrows the original exception object (Twisted's raiseException).
  [[noreturn]] void raiseException() const;

  // The demangled type of the thrown object, e.g. "std::runtime_error",
  // "int".
  std::string typeName() const;

  // The type's own name, without namespaces or enclosing classes (Twisted's
  // failure.type.__name__): "runtime_error" for std::runtime_error. Template
  // arguments are kept as typeName() spells them.
  std::string shortTypeName() const;

  // The exception's message: what() for std::exception, the text for a
  // thrown string, the number for a thrown arithmetic value, else
  // "<exception of type T>". Never throws for a non-empty Failure.
  std::string getErrorMessage() const;

  // Twisted's frameless brief form:
  // "Traceback (failure with no frames): <type>: <message>\n".
  std::string getBriefTraceback() const;

  // Twisted's str(failure): "[Failure instance: " + getBriefTraceback() +
  // "]". Never throws: an empty Failure gives "[Failure instance: empty]".
  // operator<< prints the same.
  std::string str() const;

  // The Status this Failure stands for: a StatusError's own status, or
  // UNKNOWN with "<type>: <message>" for any other exception.
  absl::Status status() const;

  // True if the exception is an E (or derived from it) for any E listed.
  template <typename... E>
  bool check() const {
    static_assert(sizeof...(E) > 0, "check<E...>() needs at least one type");
    return matchIndex<E...>() != kNoMatch;
  }

  // Returns the index (in the list) of the first E the exception is; if it
  // is none of them, rethrows the ORIGINAL exception, so that in an errback
  // the next errback sees the same exception object (Twisted's trap).
  template <typename... E>
  std::size_t trap() const {
    static_assert(sizeof...(E) > 0, "trap<E...>() needs at least one type");
    std::size_t i = matchIndex<E...>();
    if (i == kNoMatch) raiseException();
    return i;
  }

  // The exception object if it is an E (or derived from it), else nullptr.
  // The pointer stays valid while any copy of this Failure lives.
  template <typename E>
  const E* value() const {
    exception();  // an empty Failure throws here
    if constexpr (internal::kCatchWithoutRethrow && std::is_class_v<E>) {
      void* caught = nullptr;
      if (!internal::catchesWithoutRethrow(exception_, typeid(E), &caught))
        return nullptr;
      return static_cast<const E*>(caught);
    }
    try {
      raiseException();
    } catch (const E& e) {
      return &e;
    } catch (...) {
    }
    return nullptr;
  }

  // Same exception object.
  friend bool operator==(const Failure& a, const Failure& b) {
    return a.exception_ == b.exception_;
  }

 private:
  static constexpr std::size_t kNoMatch = static_cast<std::size_t>(-1);

  template <typename... E>
  std::size_t matchIndex() const {
    exception();  // an empty Failure throws here
    std::size_t result = kNoMatch;
    std::size_t i = 0;
    // One rethrow per candidate: catch clauses give exactly C++'s own
    // "is-a" rule (public bases, pointers, ...), which typeid cannot.
    ((result == kNoMatch && matches<E>() ? (result = i) : 0, ++i), ...);
    return result;
  }

  template <typename E>
  bool matches() const {
    if constexpr (internal::kCatchWithoutRethrow) {
      void* caught = nullptr;
      return internal::catchesWithoutRethrow(exception_, typeid(E), &caught);
    }
    try {
      raiseException();
    } catch (const E&) {
      return true;
    } catch (...) {
    }
    return false;
  }

  std::exception_ptr exception_;
};

// Prints f.str().
std::ostream& operator<<(std::ostream& out, const Failure& f);

// Logs `f` as an error through torsion::log::err and returns it unchanged,
// so it can be used as a pass-through errback (Twisted's defer.logError).
Failure logError(Failure f);

}  // namespace torsion

#endif  // TORSION_DEFERRED_FAILURE_H_
