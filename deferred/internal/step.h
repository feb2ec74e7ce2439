// torsion/deferred/internal/step.h: one entry of a callback chain and the
// list of them. Private to deferred/.
#ifndef TORSION_DEFERRED_INTERNAL_STEP_H_
#define TORSION_DEFERRED_INTERNAL_STEP_H_

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#include "deferred/internal/inline_box.h"

namespace torsion::internal {

class ChainState;

// Gives `chain` the exception being handled as its Failure (for the catch
// block of a step).
void failWithCurrentException(ChainState& chain) noexcept;

// What a Step knows about its callable's type: how to move and destroy it,
// and how to call it.
struct StepOps : BoxOps {
  // Never throws: what the callable throws becomes the chain's Failure.
  ChainState* (*invoke)(void* fn, ChainState& chain) noexcept;
};

// One entry of a callback chain: a type-erased callable
// `ChainState* (ChainState&)` that consumes the chain's current result and
// stores the next one. It returns a referenced ChainState when the user's
// function returned a Deferred (the runner then chains), else null.
class Step {
 public:
  static constexpr std::size_t kInlineSize = 48;
  using Ops = StepOps;

  Step() = default;
  template <typename Fn>
  explicit Step(Fn&& fn) {
    box_.template emplace<std::decay_t<Fn>>(&kOps<std::decay_t<Fn>>,
                                            std::forward<Fn>(fn));
  }

  // Destroys the callable (and so releases its captures) now.
  void reset() noexcept { box_.reset(); }

  ChainState* invoke(ChainState& chain) noexcept {
    return box_.info()->invoke(box_.storage(), chain);
  }
  const Ops* ops() const { return box_.info(); }
  // The callable, which the caller knows to be an F (see opsFor).
  template <typename F>
  F& as() {
    return box_.template get<F>();
  }
  template <typename F>
  static const Ops* opsFor() {
    return &kOps<F>;
  }

 private:
  // The catch sits in the frame the callable is inlined into, not in the
  // runner's: the unwinder then walks one frame, once, with no second
  // landing (_Unwind_Resume) for the step's cleanups (~-9,800 instructions per
  // throwing callback, W5 errback_chain, callgrind).
  template <typename F>
  static ChainState* invokeImpl(void* p, ChainState& chain) noexcept {
    try {
      return (*BoxedAs<F, kInlineSize>::object(p))(chain);
    } catch (...) {
      failWithCurrentException(chain);
      return nullptr;
    }
  }
  template <typename F>
  static constexpr Ops kOps{BoxedAs<F, kInlineSize>::kOps, &invokeImpl<F>};

  InlineBox<kInlineSize, Ops> box_;
};

// The steps of one chain: a vector with room for one step inline (so a
// Deferred with one callback costs no allocation beyond its ChainState).
// Hand-written because absl::InlinedVector's growth path for a non-trivial
// element type dominated a 100-callback chain in profiles.
class StepList {
 public:
  StepList() = default;
  StepList(const StepList&) = delete;
  StepList& operator=(const StepList&) = delete;
  ~StepList() {
    clear();
    if (data_ != inlineSlot()) ::operator delete(data_);
  }

  std::size_t size() const { return size_; }
  Step& operator[](std::size_t i) { return data_[i]; }
  void push_back(Step&& step) {
    if (size_ == capacity_) grow();
    ::new (static_cast<void*>(data_ + size_)) Step(std::move(step));
    ++size_;
  }
  // Destroys every step; keeps the capacity.
  void clear() noexcept {
    // size_ first: destroying a step may re-enter code that looks at us.
    std::size_t n = std::exchange(size_, 0);
    for (std::size_t i = 0; i < n; ++i) data_[i].~Step();
  }

 private:
  Step* inlineSlot() { return std::launder(reinterpret_cast<Step*>(inline_)); }
  // Out of line so that push_back's common case inlines into addStep.
  [[gnu::noinline]] void grow() {
    // From the inline slot straight to 8, then doubling: 1 -> 2 -> 4 -> 8
    // cost three more allocations and copies, ~20 instructions per step of
    // W5 chain/100 (callgrind).
    std::size_t capacity = capacity_ == 1 ? 8 : capacity_ * 2;
    Step* fresh = static_cast<Step*>(::operator new(capacity * sizeof(Step)));
    for (std::size_t i = 0; i < size_; ++i) {
      Step& old = data_[i];
      if (old.ops() == nullptr || old.ops()->trivial) {
        // Nothing to run on a move: the bytes are the step.
        std::memcpy(static_cast<void*>(fresh + i), static_cast<void*>(&old),
                    sizeof(Step));
        continue;
      }
      ::new (static_cast<void*>(fresh + i)) Step(std::move(old));
      old.~Step();
    }
    if (data_ != inlineSlot()) ::operator delete(data_);
    data_ = fresh;
    capacity_ = capacity;
  }

  alignas(Step) unsigned char inline_[sizeof(Step)];
  Step* data_ = inlineSlot();
  std::size_t size_ = 0;
  std::size_t capacity_ = 1;
};

}  // namespace torsion::internal

#endif  // TORSION_DEFERRED_INTERNAL_STEP_H_
