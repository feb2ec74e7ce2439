// torsion/base/thread_block_cache.h: a bounded per-thread free list of
// fixed-size memory blocks (internal).
//
// For objects made and dropped at a high rate on the reactor thread
// (deferred/'s ChainState, net/'s write-buffer blocks): malloc and free
// were half the cost of creating a Deferred, and a write buffer that fills
// and drains over and over made glibc trim and regrow the heap, faulting
// its pages in again (docs/deferred.md, docs/echo-performance.md). Only
// memory is kept, never objects: constructors and destructors run exactly
// as without the cache.
//
//   using Blocks = internal::ThreadBlockCache<sizeof(Thing), 256>;
//   Thing* t = ::new (Blocks::take()) Thing();
//   t->~Thing();
//   Blocks::give(t);
//
// Thread-safety: each thread has its own list per instantiation; a block
// may be given back on another thread than the one it was taken on. A
// thread's list is freed when the thread exits, and gives after that free
// at once. Off under AddressSanitizer (take/give are then ::operator
// new/delete), so that it still reports use after free.
#ifndef TORSION_BASE_THREAD_BLOCK_CACHE_H_
#define TORSION_BASE_THREAD_BLOCK_CACHE_H_

#include <cstddef>
#include <new>

namespace torsion::internal {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kThreadBlockCacheEnabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kThreadBlockCacheEnabled = false;
#else
inline constexpr bool kThreadBlockCacheEnabled = true;
#endif
#else
inline constexpr bool kThreadBlockCacheEnabled = true;
#endif

// Blocks of kBlockSize bytes (from ::operator new); at most kLimit freed
// ones are kept per thread.
template <std::size_t kBlockSize, std::size_t kLimit>
class ThreadBlockCache {
  static_assert(kBlockSize >= sizeof(void*), "a free block holds the list's link");

 public:
  static constexpr std::size_t kBlockBytes = kBlockSize;
  static constexpr std::size_t kMaxCached = kLimit;

  // A cached block of this thread, else a new one. Throws std::bad_alloc.
  static void* take() {
    if constexpr (kThreadBlockCacheEnabled) {
      State& s = state_;
      if (FreeBlock* block = s.head) {
        s.head = block->next;
        --s.count;
        return block;
      }
    }
    return ::operator new(kBlockSize);
  }

  // Keeps `block` (from take(), on any thread) for this thread, or frees it
  // when the list is full. nullptr is ignored.
  static void give(void* block) noexcept {
    if (block == nullptr) return;
    if constexpr (kThreadBlockCacheEnabled) {
      State& s = state_;
      if (s.count < kLimit && !s.closed) {
        if (!s.drainerRegistered) {
          s.drainerRegistered = true;
          // Registers the thread-exit drain on this thread's first give.
          thread_local Drainer drainer;
          (void)drainer;
        }
        s.head = ::new (block) FreeBlock{s.head};
        ++s.count;
        return;
      }
    }
    ::operator delete(block);
  }

  // Frees this thread's cached blocks (tests that count allocations).
  static void trim() noexcept { drain(state_); }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  struct State {
    FreeBlock* head;
    std::size_t count;
    bool drainerRegistered;
    bool closed;  // the thread is exiting: free at once from now on
  };
  struct Drainer {
    ~Drainer() {
      state_.closed = true;
      drain(state_);
    }
  };

  static void drain(State& s) noexcept {
    while (FreeBlock* block = s.head) {
      s.head = block->next;
      ::operator delete(block);
    }
    s.count = 0;
  }

  // Constant-initialised and trivially destructible: no TLS guard on
  // access, and still valid while the thread's other thread_locals (which
  // may hold blocks) are destroyed.
  static inline thread_local State state_{};
};

}  // namespace torsion::internal

#endif  // TORSION_BASE_THREAD_BLOCK_CACHE_H_
