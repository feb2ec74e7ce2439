// torsion/deferred/outcome.h: Outcome<T>, a value of T or a Failure.
//
// What an addBoth() callback receives (Twisted passes "result or Failure" to
// the same function) and what a callback may return to choose, at run time,
// between going on with a value and switching to the errback path.
//
//   d.addBoth([](torsion::Outcome<int> o) -> torsion::Outcome<int> {
//     if (o.isFailure()) return 0;      // recover
//     if (o.value() < 0) return torsion::Failure(std::range_error("neg"));
//     return o;
//   });
//
// Outcome<void> holds nothing or a Failure.
// Thread-safety: a plain value type.
#ifndef TORSION_DEFERRED_OUTCOME_H_
#define TORSION_DEFERRED_OUTCOME_H_

#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

#include "deferred/failure.h"

namespace torsion {

template <typename T>
class Outcome {
  static_assert(!std::is_reference_v<T>, "Outcome<T&> is not supported");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Failure>,
                "Outcome<Failure> is ambiguous: a Failure is the error side");

 public:
  Outcome(T value) : v_(std::in_place_index<0>, std::move(value)) {}            // NOLINT
  Outcome(Failure failure) : v_(std::in_place_index<1>, std::move(failure)) {}  // NOLINT
  template <typename E>
  requires std::derived_from<std::decay_t<E>, std::exception> Outcome(
      E&& exception)  // NOLINT: Outcome<int> o = std::runtime_error("x");
      : Outcome(Failure(std::forward<E>(exception))) {}

  bool hasValue() const { return v_.index() == 0; }
  bool isFailure() const { return v_.index() == 1; }

  // The value; on a Failure, rethrows its original exception.
  T& value() & {
    throwIfFailure();
    return std::get<0>(v_);
  }
  const T& value() const& {
    throwIfFailure();
    return std::get<0>(v_);
  }
  T&& value() && {
    throwIfFailure();
    return std::get<0>(std::move(v_));
  }

  // The Failure; throws std::logic_error when this holds a value.
  const Failure& failure() const& {
    if (!isFailure()) throw std::logic_error("Outcome::failure(): holds a value");
    return std::get<1>(v_);
  }
  Failure&& failure() && {
    if (!isFailure()) throw std::logic_error("Outcome::failure(): holds a value");
    return std::get<1>(std::move(v_));
  }

 private:
  void throwIfFailure() const {
    if (isFailure()) std::get<1>(v_).raiseException();
  }
  std::variant<T, Failure> v_;
};

template <>
class Outcome<void> {
 public:
  Outcome() = default;
  Outcome(Failure failure) : failure_(std::move(failure)) {}  // NOLINT
  template <typename E>
  requires std::derived_from<std::decay_t<E>, std::exception> Outcome(
      E&& exception)  // NOLINT
      : Outcome(Failure(std::forward<E>(exception))) {}

  bool hasValue() const { return !failure_.has_value(); }
  bool isFailure() const { return failure_.has_value(); }
  // Nothing to return; on a Failure, rethrows its original exception.
  void value() const {
    if (failure_) failure_->raiseException();
  }
  const Failure& failure() const& {
    if (!failure_) throw std::logic_error("Outcome::failure(): holds a value");
    return *failure_;
  }
  Failure&& failure() && {
    if (!failure_) throw std::logic_error("Outcome::failure(): holds a value");
    return std::move(*failure_);
  }

 private:
  std::optional<Failure> failure_;
};

}  // namespace torsion

#endif  // TORSION_DEFERRED_OUTCOME_H_
