// torsion/deferred/deferred_list_inputs.h: weak references from a
// composition (DeferredList, gatherResults, race) to its input Deferreds.
// Private to deferred/: use deferred_list.h, gather.h or race.h.
//
// Why weak: the composite Deferred must be able to cancel its inputs, and
// each input must be able to fire the composite. If both directions held
// strong handles, an input that never fires and the composite would keep
// each other alive after every user handle is gone (Python's GC collects
// that cycle; we have none). So the inputs own the composite (through the
// step added to each of them) and the composite only knows the inputs by
// raw pointer, cleared by the step's destructor when the step has run or
// its chain died unfired.
//
// Thread-safety: none (like Deferred).
#ifndef TORSION_DEFERRED_DEFERRED_LIST_INPUTS_H_
#define TORSION_DEFERRED_DEFERRED_LIST_INPUTS_H_

#include <algorithm>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "deferred/deferred.h"

namespace torsion::internal {

// Throws what adding a step through `d` would (empty or stale handle), so
// that a composition can refuse bad input before touching any input.
template <typename T>
void checkInput(const Deferred<T>& d) {
  ChainState* s = Access::state(d);
  if (s == nullptr) ChainState::nullHandle();
  s->checkAdding(typeOf<T>());
}

// Throws std::invalid_argument if two of `chains` are the same chain: a
// composition that takes its inputs' results cannot take one twice.
// `what` names the composition for the message.
void checkDistinct(std::vector<ChainState*> chains, const char* what);

// The input chains of one composition, by position; null once gone.
class InputSet {
 public:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  explicit InputSet(std::size_t n) : chains_(n, nullptr) {}
  InputSet(const InputSet&) = delete;
  InputSet& operator=(const InputSet&) = delete;

  template <typename T>
  void set(std::size_t i, const Deferred<T>& d) {
    chains_[i] = Access::state(d);
  }
  void forget(std::size_t i) noexcept { chains_[i] = nullptr; }
  std::size_t size() const { return chains_.size(); }

  // cancel() on every input still alive except `except`, in input order,
  // calling gone(i) instead for an input no longer alive. A canceller that
  // throws is logged ("Exception raised from user supplied canceller",
  // Twisted's wording) and the others are still cancelled. The caller must
  // keep the object owning this set alive across the call: cancelling can
  // run the steps that hold the last references to it.
  void cancelAll(
      std::size_t except = kNone,
      absl::FunctionRef<void(std::size_t)> gone = [](std::size_t) {});

 private:
  std::vector<ChainState*> chains_;
};

// What the step added to input `index` captures: shared ownership of the
// composition's state, and the duty to forget the input when the step is
// destroyed. State must have a member `InputSet inputs`.
template <typename State>
class InputSlot {
 public:
  InputSlot(std::shared_ptr<State> state, std::size_t index)
      : state_(std::move(state)), index_(index) {}
  InputSlot(InputSlot&& other) noexcept
      : state_(std::move(other.state_)), index_(other.index_) {}
  InputSlot(const InputSlot&) = delete;
  InputSlot& operator=(const InputSlot&) = delete;
  InputSlot& operator=(InputSlot&&) = delete;
  ~InputSlot() {
    if (state_) state_->inputs.forget(index_);
  }

  State& state() const { return *state_; }
  std::size_t index() const { return index_; }
  // Keeps the state alive while a step runs code that may drop other slots.
  std::shared_ptr<State> share() const { return state_; }

 private:
  std::shared_ptr<State> state_;
  std::size_t index_;
};

}  // namespace torsion::internal

#endif  // TORSION_DEFERRED_DEFERRED_LIST_INPUTS_H_
