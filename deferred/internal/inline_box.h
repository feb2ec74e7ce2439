// torsion/deferred/internal/inline_box.h: a move-only holder for one object
// of a type known only at run time, small ones stored inline. Private to
// deferred/: the storage under a chain's result (ValueBox) and under each of
// its steps (Step).
//
// The holder keeps a pointer to a per-type descriptor, `Info`, which derives
// from BoxOps (how to relocate and destroy the object) and adds what its user
// needs: a type name for ValueBox, the call for Step. One constant per type,
// so the descriptor's address is the type's identity: a type check is one
// pointer comparison.
//
// Objects too big for the buffer, over-aligned, or whose move may throw live
// on the heap and the buffer holds their pointer. Trivially copyable inline
// objects move by memcpy and are never destroyed.
//
// Thread-safety: none (one object, one owner).
#ifndef TORSION_DEFERRED_INTERNAL_INLINE_BOX_H_
#define TORSION_DEFERRED_INTERNAL_INLINE_BOX_H_

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace torsion::internal {

// How to move and destroy the object in a box, without knowing its type.
struct BoxOps {
  void (*relocate)(void* dst, void* src) noexcept;  // src is left destroyed
  void (*destroy)(void* storage) noexcept;
  bool trivial;  // inline and trivially copyable: memcpy, no destructor
};

// Whether a T is stored in the `Size` bytes of a box rather than behind a
// pointer. A nothrow move is required: relocating is noexcept.
template <typename T, std::size_t Size>
inline constexpr bool kFitsInlineBox =
    sizeof(T) <= Size &&
    alignof(T) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<T>;

template <typename T, std::size_t Size>
inline constexpr bool kTrivialInlineBox =
    kFitsInlineBox<T, Size>&& std::is_trivially_copyable_v<T>;

// The BoxOps of a T in a box of `Size` bytes, and typed access to it.
template <typename T, std::size_t Size>
struct BoxedAs {
  static constexpr bool kInline = kFitsInlineBox<T, Size>;

  static T* object(void* storage) noexcept {
    if constexpr (kInline) {
      return std::launder(static_cast<T*>(storage));
    } else {
      return *static_cast<T**>(storage);
    }
  }
  static const T* object(const void* storage) noexcept {
    if constexpr (kInline) {
      return std::launder(static_cast<const T*>(storage));
    } else {
      return *static_cast<T* const*>(storage);
    }
  }
  template <typename... A>
  static void construct(void* storage, A&&... args) {
    if constexpr (kInline) {
      ::new (storage) T(std::forward<A>(args)...);
    } else {
      *static_cast<T**>(storage) = new T(std::forward<A>(args)...);
    }
  }
  static void destroy(void* storage) noexcept {
    if constexpr (kInline) {
      object(storage)->~T();
    } else {
      delete *static_cast<T**>(storage);
    }
  }
  static void relocate(void* dst, void* src) noexcept {
    if constexpr (kInline) {
      T* s = object(src);
      ::new (dst) T(std::move(*s));
      s->~T();
    } else {
      *static_cast<T**>(dst) = *static_cast<T**>(src);
    }
  }
  static constexpr BoxOps kOps{&relocate, &destroy, kTrivialInlineBox<T, Size>};
};

// Holds nothing or one object described by an `Info` (a BoxOps with more).
template <std::size_t Size, typename Info>
class InlineBox {
  static_assert(std::is_base_of_v<BoxOps, Info>,
                "InlineBox: Info must derive from BoxOps");

 public:
  static constexpr std::size_t kSize = Size;
  template <typename T>
  using As = BoxedAs<T, Size>;

  InlineBox() = default;
  // The order of the stores below is measured: the source's descriptor is
  // cleared last, so that its destructor, inlined after a move, sees null
  // without reloading it (a step moved into a chain cost 4 to 12
  // instructions more otherwise, W5 chained_not_fired, callgrind).
  InlineBox(InlineBox&& other) noexcept : info_(other.info_) {
    if (info_ != nullptr) {
      moveObject(other);
      other.info_ = nullptr;
    }
  }
  InlineBox& operator=(InlineBox&& other) noexcept {
    if (this != &other) moveFrom(other);
    return *this;
  }
  ~InlineBox() { reset(); }

  bool empty() const { return info_ == nullptr; }
  // The descriptor of what is held; null when empty.
  const Info* info() const { return info_; }

  // Destroys what is held, then holds a T built from `args`, described by
  // `info` (which the caller makes T's).
  template <typename T, typename... A>
  void emplace(const Info* info, A&&... args) {
    reset();
    As<T>::construct(buf_, std::forward<A>(args)...);
    info_ = info;
  }

  // The object, which the caller knows to be a T.
  template <typename T>
  T& get() {
    return *As<T>::object(buf_);
  }
  template <typename T>
  const T& get() const {
    return *As<T>::object(buf_);
  }
  void* storage() { return buf_; }

  // Moves the T held out and leaves the box empty; the type is known, so no
  // indirect call.
  template <typename T>
  T take() {
    T value(std::move(get<T>()));
    info_ = nullptr;
    if constexpr (!kTrivialInlineBox<T, Size>) As<T>::destroy(buf_);
    return value;
  }

  void reset() noexcept {
    if (info_ != nullptr) {
      // Empty first: destroying the object may re-enter code that looks at
      // the box (a step's captures may hold the chain that holds it).
      const Info* info = std::exchange(info_, nullptr);
      if (!info->trivial) info->destroy(buf_);
    }
  }

  // Takes what `other` holds; `other` is left empty.
  void moveFrom(InlineBox& other) noexcept {
    reset();
    if (other.info_ != nullptr) {
      moveObject(other);
      info_ = std::exchange(other.info_, nullptr);
    }
  }

 private:
  // Moves `other`'s object (there is one) into our buffer; the descriptors
  // are the caller's business.
  void moveObject(InlineBox& other) noexcept {
    if (other.info_->trivial) {
      std::memcpy(buf_, other.buf_, Size);
    } else {
      other.info_->relocate(buf_, other.buf_);
    }
  }

  alignas(std::max_align_t) unsigned char buf_[Size];
  const Info* info_ = nullptr;
};

}  // namespace torsion::internal

#endif  // TORSION_DEFERRED_INTERNAL_INLINE_BOX_H_
