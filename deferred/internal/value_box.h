// torsion/deferred/internal/value_box.h: a chain's result value, of a type
// known only at run time, and the descriptors that name those types. Private
// to deferred/.
#ifndef TORSION_DEFERRED_INTERNAL_VALUE_BOX_H_
#define TORSION_DEFERRED_INTERNAL_VALUE_BOX_H_

#include <cstddef>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "deferred/internal/inline_box.h"

namespace torsion::internal {

// Values up to this size live inside the chain, larger ones on the heap.
inline constexpr std::size_t kValueBoxSize = 32;

// What the chain knows about a result type: how to move and destroy a boxed
// value, and its name (for messages). One constant per type, so the address
// is the type's identity and a type check is one pointer compare.
struct TypeInfo : BoxOps {
  const std::type_info& (*type)();
};

template <typename T>
struct TypeTag {
  static const std::type_info& type() { return typeid(T); }
  static constexpr TypeInfo info{BoxedAs<T, kValueBoxSize>::kOps, &type};
};

// void (Twisted's None) is never boxed: a chain carrying it holds nothing.
template <>
struct TypeTag<void> {
  static const std::type_info& type() { return typeid(void); }
  static constexpr TypeInfo info{{nullptr, nullptr, true}, &type};
};

template <typename T>
constexpr const TypeInfo* typeOf() {
  return &TypeTag<T>::info;
}

// "Deferred<int>"-style name of a chain type, for messages.
std::string deferredName(const TypeInfo* type);

// A value of any type, small ones stored inline. Empty = Twisted's None.
class ValueBox {
 public:
  ValueBox() = default;
  ValueBox(const ValueBox&) = delete;
  ValueBox& operator=(const ValueBox&) = delete;

  bool hasValue() const { return !box_.empty(); }
  // The type of the value held; null when empty.
  const TypeInfo* type() const { return box_.info(); }

  // Holds a T built from `args`; for T = void, holds nothing.
  template <typename T, typename... A>
  void emplace(A&&... args) {
    if constexpr (std::is_void_v<T>) {
      reset();
    } else {
      box_.template emplace<T>(typeOf<T>(), std::forward<A>(args)...);
    }
  }

  // Moves the value out, leaving the box empty. The caller guarantees the
  // type (the chain's type checks do); a mismatch is an internal bug, which
  // builds with assertions (tests, fuzzing, sanitizers) report. Without them
  // (NDEBUG) the check goes: its possible throw gave every callback's step a
  // stack frame; an int step is 7 instructions without it, 17 with it (W5
  // chain/100, callgrind).
  template <typename T>
  T take() {
    if constexpr (std::is_void_v<T>) {
      reset();
    } else {
#ifndef NDEBUG
      if (type() != typeOf<T>()) wrongType(typeOf<T>());
#endif
      return box_.template take<T>();
    }
  }

  // The value, left in place. Same contract as take().
  template <typename T>
  const T& peek() const {
    if (type() != typeOf<T>()) wrongType(typeOf<T>());
    return box_.template get<T>();
  }

  void reset() noexcept { box_.reset(); }
  // Takes `other`'s value; `other` is left empty.
  void moveFrom(ValueBox& other) noexcept { box_.moveFrom(other.box_); }

 private:
  [[noreturn]] void wrongType(const TypeInfo* wanted) const;

  InlineBox<kValueBoxSize, TypeInfo> box_;
};

}  // namespace torsion::internal

#endif  // TORSION_DEFERRED_INTERNAL_VALUE_BOX_H_
