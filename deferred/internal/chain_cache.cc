#include "deferred/internal/chain_cache.h"

#include <cstdint>
#include <new>

namespace torsion::internal {
namespace {

struct FreeBlock {
  FreeBlock* next;
};

struct Cache {
  FreeBlock* head;
  std::uint32_t count;
  bool drainerRegistered;
  bool closed;  // the thread is exiting: free at once from now on
};

// Constant-initialised and trivially destructible: no TLS guard on access,
// and still valid while the thread's other thread_locals (which may hold
// Deferreds) are destroyed.
thread_local Cache tCache{};

void drain(Cache& cache) noexcept {
  while (FreeBlock* block = cache.head) {
    cache.head = block->next;
    ::operator delete(block);
  }
  cache.count = 0;
}

struct Drainer {
  ~Drainer() {
    tCache.closed = true;
    drain(tCache);
  }
};

}  // namespace

void* takeChainBlock(std::size_t size) {
  if constexpr (kChainCacheEnabled) {
    Cache& cache = tCache;
    if (FreeBlock* block = cache.head) {
      cache.head = block->next;
      --cache.count;
      return block;
    }
  }
  return ::operator new(size);
}

void giveChainBlock(void* block) noexcept {
  if constexpr (kChainCacheEnabled) {
    Cache& cache = tCache;
    if (cache.count < kChainCacheLimit && !cache.closed) {
      if (!cache.drainerRegistered) {
        cache.drainerRegistered = true;
        // Registers the thread-exit drain on this thread's first give.
        thread_local Drainer drainer;
        (void)drainer;
      }
      auto* node = ::new (block) FreeBlock{cache.head};
      cache.head = node;
      ++cache.count;
      return;
    }
  }
  ::operator delete(block);
}

void trimChainCache() noexcept { drain(tCache); }

}  // namespace torsion::internal
