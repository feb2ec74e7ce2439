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
  requires(!std::is_same_v<std::decay_t<Fn>, Step>)  // a Step moves, never nests
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

// The steps of one chain, in the order added, with the runner's place in
// them. A step never moves once added: the runner calls it where it lies
// while the callback appends to the very same list, so a step is neither
// moved out before its call nor moved by a growth (W5 chain/100 spent ~75
// instructions a step on those moves and the growth's copies, callgrind).
// The first step lives inline (a Deferred with one callback costs no
// allocation beyond its ChainState); the rest go in fixed blocks of
// kBlockSteps, linked, taken from a per-thread cache (StepBlocks) and kept
// for the chain's next steps until it dies.
class StepList {
 public:
  static constexpr std::size_t kBlockSteps = 15;

  StepList() = default;
  StepList(const StepList&) = delete;
  StepList& operator=(const StepList&) = delete;
  ~StepList() {
    // Most chains end with every step run and no block taken.
    if (pending() || blocks_ != nullptr) release();
  }

  // Some step was added and not taken yet. Cursors, no counts: two
  // pointers in different blocks never compare equal (the tail cursor is
  // past a block's first slot whenever it is in that block).
  bool pending() const { return head_ != tail_; }

  // Appends a Step built from `args` in place.
  template <typename... A>
  void emplace_back(A&&... args) {
    Step* slot = tail_;
    if (slot == tailEnd_) slot = spareBlock()->begin();
    ::new (static_cast<void*>(slot)) Step(std::forward<A>(args)...);
    // Only now in the new block: if the Step's constructor threw, the list
    // is as it was.
    if (slot != tail_) enterTailBlock();
    tail_ = slot + 1;
  }
  // The first step not taken yet (pending() must hold), which the runner
  // calls and resets where it lies. Stays valid until the list is emptied.
  Step& next() {
    if (head_ == headEnd_) nextHeadBlock();
    return *head_++;
  }
  // Destroys the steps not taken yet and empties the list; keeps the blocks.
  void clear() noexcept;

 private:
  struct Block {
    Block* next;
    alignas(Step) unsigned char slots[kBlockSteps * sizeof(Step)];
    Step* begin() { return std::launder(reinterpret_cast<Step*>(slots)); }
    Step* end() { return begin() + kBlockSteps; }
  };

  Step* inlineSlot() { return std::launder(reinterpret_cast<Step*>(inline_)); }
  // The destructor's work: the steps not taken, and the blocks.
  void release() noexcept;
  // Out of line so that the common cases inline into their callers.
  // The block after the tail's (linked, taken from the cache if new).
  [[gnu::noinline]] Block* spareBlock();
  void enterTailBlock() {
    tailBlock_ = tailBlock_ == nullptr ? blocks_ : tailBlock_->next;
    tailEnd_ = tailBlock_->end();
  }
  [[gnu::noinline]] void nextHeadBlock();

  alignas(Step) unsigned char inline_[sizeof(Step)];
  Block* blocks_ = nullptr;  // the first block; the others follow its links
  // Where the next step goes: tail_ in [tailBlock_'s slots, tailEnd_), the
  // inline slot while tailBlock_ is null.
  Step* tail_ = inlineSlot();
  Step* tailEnd_ = inlineSlot() + 1;
  Block* tailBlock_ = nullptr;
  // Where the next step to take is, in the same way.
  Step* head_ = inlineSlot();
  Step* headEnd_ = inlineSlot() + 1;
  Block* headBlock_ = nullptr;
};

}  // namespace torsion::internal

#endif  // TORSION_DEFERRED_INTERNAL_STEP_H_
