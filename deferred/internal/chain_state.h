// torsion/deferred/internal/chain_state.h: the type-erased callback chain
// behind every Deferred<T> handle. Private to deferred/: use deferred.h.
//
// One ChainState is one Twisted Deferred: a result slot (a value of any type,
// or a Failure), a list of steps, and the paused / waiting / called flags.
// Deferred<T> handles are typed views on it; they hold one intrusive
// reference each. All the typing happens in the templates of deferred.h,
// which wrap user callables into Steps; this file only moves results along.
//
// Costs, by design: one heap allocation per chain (this object). The first
// step, a value of up to 32 bytes and a callable of up to 48 bytes live
// inline; no std::function, no shared_ptr, no per-step allocation for small
// callables.
//
// Thread-safety: none. A chain and all handles to it belong to one thread at
// a time (the reference count is not atomic).
#ifndef TORSION_DEFERRED_INTERNAL_CHAIN_STATE_H_
#define TORSION_DEFERRED_INTERNAL_CHAIN_STATE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/functional/any_invocable.h"
#include "base/thread_block_cache.h"
#include "deferred/failure.h"

namespace torsion::internal {

inline constexpr std::size_t kBoxSize = 32;
inline constexpr std::size_t kBoxAlign = alignof(std::max_align_t);

template <typename T>
inline constexpr bool kFitsInline =
    sizeof(T) <= kBoxSize &&
    alignof(T) <= kBoxAlign&& std::is_nothrow_move_constructible_v<T>;

// What the chain knows about a result type: its name (for messages) and how
// to destroy and relocate a boxed value. One constant per type, so the
// address is the type's identity and a type check is one pointer compare.
struct TypeInfo {
  const std::type_info& (*type)();
  void (*destroy)(void* storage) noexcept;
  void (*relocate)(void* dst, void* src) noexcept;  // src is left destroyed
  bool trivial;  // inline and trivially copyable: memcpy, no destructor
};

template <typename T>
inline constexpr bool kTrivialBox = kFitsInline<T>&& std::is_trivially_copyable_v<T>;

template <typename T>
struct TypeTag {
  static const std::type_info& type() { return typeid(T); }
  static void destroy(void* p) noexcept {
    if constexpr (kFitsInline<T>) {
      static_cast<T*>(p)->~T();
    } else {
      delete *static_cast<T**>(p);
    }
  }
  static void relocate(void* dst, void* src) noexcept {
    if constexpr (kFitsInline<T>) {
      ::new (dst) T(std::move(*static_cast<T*>(src)));
      static_cast<T*>(src)->~T();
    } else {
      *static_cast<T**>(dst) = *static_cast<T**>(src);
    }
  }
  static constexpr TypeInfo info{&type, &destroy, &relocate, kTrivialBox<T>};
};

template <>
struct TypeTag<void> {
  static const std::type_info& type() { return typeid(void); }
  static constexpr TypeInfo info{&type, nullptr, nullptr, true};
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
  ~ValueBox() { reset(); }

  bool hasValue() const { return type_ != nullptr; }

  template <typename T, typename... A>
  void emplace(A&&... args) {
    reset();
    if constexpr (!std::is_void_v<T>) {
      if constexpr (kFitsInline<T>) {
        ::new (static_cast<void*>(buf_)) T(std::forward<A>(args)...);
      } else {
        *reinterpret_cast<T**>(buf_) = new T(std::forward<A>(args)...);
      }
      type_ = typeOf<T>();
    }
  }

  // Moves the value out, leaving the box empty. The caller guarantees the
  // type (the chain's type checks do); a mismatch is an internal bug.
  template <typename T>
  T take() {
    if constexpr (std::is_void_v<T>) {
      reset();
    } else {
      if (type_ != typeOf<T>()) wrongType(typeOf<T>());
      T* p = kFitsInline<T> ? std::launder(reinterpret_cast<T*>(buf_))
                            : *reinterpret_cast<T**>(buf_);
      T value(std::move(*p));
      type_ = nullptr;
      // The type is known here: destroy without the indirect call.
      if constexpr (!kTrivialBox<T>) TypeTag<T>::destroy(buf_);
      return value;
    }
  }

  // The value, left in place. Same contract as take().
  template <typename T>
  const T& peek() const {
    if (type_ != typeOf<T>()) wrongType(typeOf<T>());
    if constexpr (kFitsInline<T>) {
      return *std::launder(reinterpret_cast<const T*>(buf_));
    } else {
      return **reinterpret_cast<T* const*>(buf_);
    }
  }
  const TypeInfo* type() const { return type_; }

  void reset() noexcept {
    if (type_ != nullptr) {
      const TypeInfo* t = type_;
      type_ = nullptr;
      if (!t->trivial) t->destroy(buf_);
    }
  }

  void moveFrom(ValueBox& other) noexcept {
    reset();
    if (other.type_ != nullptr) {
      if (other.type_->trivial) {
        std::memcpy(buf_, other.buf_, kBoxSize);
      } else {
        other.type_->relocate(buf_, other.buf_);
      }
      type_ = std::exchange(other.type_, nullptr);
    }
  }

 private:
  [[noreturn]] void wrongType(const TypeInfo* wanted) const;

  alignas(kBoxAlign) unsigned char buf_[kBoxSize];
  const TypeInfo* type_ = nullptr;
};

class ChainState;

// Gives `chain` the exception being handled as its Failure (for the catch
// block of a step).
void failWithCurrentException(ChainState& chain) noexcept;

// One entry of a callback chain: a type-erased callable
// `ChainState* (ChainState&)` that consumes the chain's current result and
// stores the next one. It returns a referenced ChainState when the user's
// function returned a Deferred (the runner then chains), else null.
class Step {
 public:
  static constexpr std::size_t kInlineSize = 48;

  struct Ops {
    // Never throws: what the callable throws becomes the chain's Failure.
    ChainState* (*invoke)(void* fn, ChainState& chain) noexcept;
    void (*relocate)(void* dst, void* src) noexcept;
    void (*destroy)(void* fn) noexcept;
    bool trivial;  // inline and trivially copyable: memcpy, no destructor
  };

  Step() = default;
  template <typename Fn>
  explicit Step(Fn&& fn) {
    using F = std::decay_t<Fn>;
    if constexpr (fitsInline<F>()) {
      ::new (static_cast<void*>(buf_)) F(std::forward<Fn>(fn));
    } else {
      *reinterpret_cast<F**>(buf_) = new F(std::forward<Fn>(fn));
    }
    ops_ = &kOps<F>;
  }
  Step(Step&& other) noexcept : ops_(other.ops_) {
    if (ops_ != nullptr) {
      moveBuffer(other);
      other.ops_ = nullptr;
    }
  }
  Step& operator=(Step&& other) noexcept {
    if (this != &other) {
      reset();
      if (other.ops_ != nullptr) {
        moveBuffer(other);
        ops_ = std::exchange(other.ops_, nullptr);
      }
    }
    return *this;
  }
  ~Step() { reset(); }

  void reset() noexcept {
    if (ops_ != nullptr) {
      // Clear first: destroying captures may re-enter chain code.
      const Ops* ops = std::exchange(ops_, nullptr);
      if (!ops->trivial) ops->destroy(buf_);
    }
  }

  ChainState* invoke(ChainState& chain) noexcept { return ops_->invoke(buf_, chain); }
  const Ops* ops() const { return ops_; }
  template <typename F>
  F& as() {
    if constexpr (fitsInline<F>()) {
      return *std::launder(reinterpret_cast<F*>(buf_));
    } else {
      return **reinterpret_cast<F**>(buf_);
    }
  }
  template <typename F>
  static const Ops* opsFor() {
    return &kOps<F>;
  }

 private:
  void moveBuffer(Step& other) noexcept {
    if (other.ops_->trivial) {
      std::memcpy(buf_, other.buf_, kInlineSize);
    } else {
      other.ops_->relocate(buf_, other.buf_);
    }
  }
  template <typename F>
  static constexpr bool fitsInline() {
    return sizeof(F) <= kInlineSize && alignof(F) <= alignof(std::max_align_t) &&
           std::is_nothrow_move_constructible_v<F>;
  }
  // The catch sits in the frame the callable is inlined into, not in the
  // runner's: the unwinder then walks one frame, once, with no second
  // landing (_Unwind_Resume) for the step's cleanups (~-9,800 instructions per
  // throwing callback, W5 errback_chain, callgrind).
  template <typename F>
  static ChainState* invokeImpl(void* p, ChainState& chain) noexcept {
    try {
      if constexpr (fitsInline<F>()) {
        return (*std::launder(static_cast<F*>(p)))(chain);
      } else {
        return (**static_cast<F**>(p))(chain);
      }
    } catch (...) {
      failWithCurrentException(chain);
      return nullptr;
    }
  }
  template <typename F>
  static void relocateImpl(void* dst, void* src) noexcept {
    if constexpr (fitsInline<F>()) {
      F* s = std::launder(static_cast<F*>(src));
      ::new (dst) F(std::move(*s));
      s->~F();
    } else {
      *static_cast<F**>(dst) = *static_cast<F**>(src);
    }
  }
  template <typename F>
  static void destroyImpl(void* p) noexcept {
    if constexpr (fitsInline<F>()) {
      std::launder(static_cast<F*>(p))->~F();
    } else {
      delete *static_cast<F**>(p);
    }
  }
  template <typename F>
  static constexpr Ops kOps{&invokeImpl<F>, &relocateImpl<F>, &destroyImpl<F>,
                            fitsInline<F>() && std::is_trivially_copyable_v<F>};

  const Ops* ops_ = nullptr;
  alignas(std::max_align_t) unsigned char buf_[kInlineSize];
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

// The coroutine side of a chain created by a coroutine (coroutine.h): how to
// cancel what the coroutine is awaiting right now.
class CoroutineLink {
 public:
  virtual void cancelAwaited() = 0;

 protected:
  ~CoroutineLink() = default;
};

struct DebugInfo {
  std::string creator;  // stack at creation
  std::string invoker;  // stack at the first callback()/errback()
};

class ChainState {
 public:
  // A new unfired chain whose callback() takes `created`; holds one
  // reference, adopted by the first handle.
  static ChainState* create(const TypeInfo* created);

  void ref() noexcept { ++refs_; }
  void unref() noexcept {
    if (--refs_ == 0) destroy(this);
  }

  // --- firing -------------------------------------------------------------
  // Checks that a result may be stored now: false means "swallow it" (the
  // one late result after a canceller-less cancel, D18); throws
  // AlreadyCalledError when already fired.
  // The unfired case inline: out of line it cost ~25 instructions a fire
  // (prologue and stack protector of the error path), callgrind.
  bool beginFire() { return !called_ || beginFireAgain(); }
  // Marks fired (debug stacks, drops the canceller) and runs the chain.
  void endFire();
  void fireFailure(Failure failure);

  // --- chain --------------------------------------------------------------
  // Appends a step, and runs the chain at once if it has a result and is not
  // paused, waiting or already running (D9).
  void addStep(Step step);
  // Appends the step of chainDeferred(target) (D14), adopting one reference
  // to `target`, and runs the chain if it can run now. The runner fires
  // `target` without recursing (see Handoff).
  void addChainedDeferred(ChainState* target);
  // Whether a returned or awaited chain gives its result at once (D13a,
  // Twisted's _runCallbacks): it has one and is neither paused nor waiting.
  // Unlike Twisted, not while one of its own steps is running: that step
  // holds the result (moved into its argument). A chain handing its result
  // to the Deferred chainDeferred() fires is not such a step: it holds None.
  bool resultReady() const {
    return called_ && paused_ == 0 && !waiting_ && (!running_ || handingOff_);
  }
  // The type a returned or awaited handle must have: what the chain gives
  // at once when resultReady(), else what it will give at the end of its
  // steps (tail_). The first is tail_ too, unless steps are still queued:
  // then the chain is on a runner's stack below the chain it handed its
  // result to (resume or chainDeferred), and holds None.
  const TypeInfo* handOverType() const {
    return head_ != steps_.size() && resultReady() ? typeOf<void>() : tail_;
  }
  // Takes `other`'s result (value or Failure); `other` is left with None.
  void takeResultFrom(ChainState& other) noexcept;
  void setFailure(Failure failure) noexcept {
    value_.reset();
    failure_ = std::move(failure);
    isFailure_ = true;
    failureConsumed_ = false;
  }
  // Moves the Failure out: this chain no longer holds an unhandled error.
  Failure takeFailure() noexcept {
    isFailure_ = false;
    return std::move(failure_);
  }

  void pause() { ++paused_; }
  void unpause();
  void cancel();

  // Throws DeferredTypeError for a handle of type `handle` adding to this
  // chain (`firing` false) or firing it (`firing` true).
  [[noreturn]] void typeMismatch(const TypeInfo* handle, bool firing) const;
  // Throws DeferredTypeError for a handle of type `handle` returned from a
  // callback or awaited, where the chain hands over handOverType().
  [[noreturn]] void handOverMismatch(const TypeInfo* handle) const;

  // --- looking at the result (Deferred::result()) ------------------------
  // Fired, not waiting, and not lent to a step running now.
  bool hasResult() const { return called_ && !waiting_ && (!running_ || handingOff_); }
  // Throws DeferredTypeError unless the value held now (None when empty)
  // is a `handle`.
  void checkResultType(const TypeInfo* handle) const {
    const TypeInfo* held = value_.hasValue() ? value_.type() : typeOf<void>();
    if (held != handle) resultTypeMismatch(handle);
  }
  [[noreturn]] void resultTypeMismatch(const TypeInfo* handle) const;
  // Throws std::logic_error for use of an empty (moved-from) handle.
  [[noreturn]] static void nullHandle();

  // Public for the templates in deferred.h and coroutine.h; not an API.
  const TypeInfo* created_;
  const TypeInfo* tail_;  // what the next added step receives
  ValueBox value_;
  Failure failure_;
  bool isFailure_ = false;
  // The Failure was consumed by a DeferredList with consumeErrors: it goes
  // on to later errbacks, but is not reported as unhandled. Cleared by the
  // next setFailure().
  bool failureConsumed_ = false;
  bool called_ = false;
  // Twisted's _runningCallbacks: a step of this chain is executing, or the
  // Deferred a chainDeferred() step fired is running its callbacks.
  bool running_ = false;
  bool handingOff_ = false;  // the latter: running_ set by the runner (Handoff)
  bool waiting_ = false;     // waiting on a returned Deferred (D13b)
  bool suppressAlreadyCalled_ = false;
  // cancel() only calls the canceller, while unfired, and keeps it for the
  // next cancel(): no CancelledError of its own, no forwarding to a chain
  // it waits on (Twisted's DeferredList.cancel).
  bool cancellerOnly_ = false;
  std::uint32_t paused_ = 0;
  std::uint32_t refs_ = 1;
  ChainState* chainedTo_ = nullptr;  // what we wait on (not owned)
  CoroutineLink* coroutine_ = nullptr;
  StepList steps_;
  std::size_t head_ = 0;  // steps_[0, head_) have run
  absl::AnyInvocable<void(ChainState&)> canceller_;
  std::unique_ptr<DebugInfo> debug_;

 private:
  explicit ChainState(const TypeInfo* created) : created_(created), tail_(created) {}
  ~ChainState();
  bool beginFireAgain();
  // What endFire() does before running the chain.
  void markFired();
  // Whether addStep() may run a step in place: fired, not paused or
  // waiting, no step running and none queued.
  bool idle() const {
    return called_ && paused_ == 0 && !waiting_ && !running_ && head_ == steps_.size();
  }
  static void destroy(ChainState* chain) noexcept;
  static void run(ChainState* start);
  // Runs a fire Handoff of `current` (see Handoff), adopting its reference
  // to `target`. Returns `target` (with that reference) when the runner must
  // run its callbacks before `current`'s next step, else null.
  static ChainState* fireChained(ChainState* current, ChainState* target);
  // Handles a Deferred a step of `current` returned: steals its result
  // (D13a) or makes `current` wait on it (D13b). Consumes `returned`'s
  // reference. Returns true if `current` now waits.
  static bool absorbReturned(ChainState* current, ChainState* returned);
  void cancelUnfired();
  std::string debugText() const;
  friend struct Handoff;
};

// A step that gives the chain's result to another chain. The runner
// recognises it (by its Ops), moves the result and pushes the other chain
// on its stack instead of calling anything, so that neither kind recurses:
// * resume: appended to a Deferred returned from a callback of `target`
//   (D13b); `target` waits on it and resumes with its result.
// * fire: chainDeferred(target) (D14); `target` is fired with the result,
//   and this chain counts as running until `target`'s callbacks are done.
// Either way this chain is left with None.
struct Handoff {
  ChainState* target;  // owned reference
  // resume: the chain this step sits in (not owned); fire: null. Two
  // pointers, no kind field: a 24-byte step cost 4 instructions more per
  // relocation (W5 chained_not_fired, callgrind).
  ChainState* source;

  static Handoff resume(ChainState* outer, ChainState* inner) {
    return Handoff(outer, inner);
  }
  static Handoff fire(ChainState* target) { return Handoff(target, nullptr); }
  bool resumes() const { return source != nullptr; }
  Handoff(Handoff&& other) noexcept
      : target(std::exchange(other.target, nullptr)), source(other.source) {}
  ~Handoff();
  ChainState* operator()(ChainState&) { return nullptr; }  // never invoked

 private:
  Handoff(ChainState* t, ChainState* s) : target(t), source(s) {}
};

// The memory of destroyed ChainStates, kept per thread for the next one:
// malloc + free were ~140 of the 291 instructions of creating and dropping
// a Deferred (callgrind, W5 instantiate). 256 blocks of ~250 bytes: ~64 KiB.
using ChainBlocks = ThreadBlockCache<sizeof(ChainState), 256>;

}  // namespace torsion::internal

#endif  // TORSION_DEFERRED_INTERNAL_CHAIN_STATE_H_
