// torsion/deferred/first_error.h: FirstError, the failure of a DeferredList
// with fireOnOneErrback (and so of gatherResults).
//
// Mirrors twisted.internet.defer.FirstError: it wraps the Failure of the
// first input that failed (subFailure) and that input's position (index).
//
//   gatherResults(ds).addErrback([](torsion::Failure f) -> std::vector<int> {
//     const auto* first = f.value<torsion::FirstError>();
//     log(first->index, first->subFailure.getErrorMessage());
//     return {};
//   });
//
// Thread-safety: an immutable value, like Failure.
#ifndef TORSION_DEFERRED_FIRST_ERROR_H_
#define TORSION_DEFERRED_FIRST_ERROR_H_

#include <cstddef>
#include <stdexcept>
#include <string>

#include "deferred/failure.h"

namespace torsion {

// An outcome, not a misuse, hence a std::runtime_error. what() is
// "FirstError[#<index>, <type>: <message>]"; repr() and str() are
// Twisted's two forms.
class FirstError : public std::runtime_error {
 public:
  // Throws std::invalid_argument if `subFailure` is empty.
  FirstError(Failure subFailure, std::size_t index);

  Failure subFailure;
  std::size_t index;

  // Twisted's repr(): the index and the repr of the sub-failure's exception,
  // its short type name and the quoted message:
  // "FirstError[#3, invalid_argument('some text')]".
  std::string repr() const;
  // Twisted's str(): "FirstError[#<index>, " + subFailure.str() + "]".
  std::string str() const;

  // Twisted's FE2: equal iff same index and the same sub-failure (the same
  // exception object).
  friend bool operator==(const FirstError& a, const FirstError& b) {
    return a.index == b.index && a.subFailure == b.subFailure;
  }
};

}  // namespace torsion

#endif  // TORSION_DEFERRED_FIRST_ERROR_H_
