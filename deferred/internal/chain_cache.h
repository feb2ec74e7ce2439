// torsion/deferred/internal/chain_cache.h: per-thread reuse of the memory of
// destroyed ChainStates. Private to deferred/.
//
// Every Deferred costs one ChainState allocation; malloc + free were ~140 of
// the 291 instructions of creating and dropping one (callgrind, W5
// instantiate). Freed blocks go to a bounded list of the destroying thread
// and the next ChainState on that thread takes one. The objects themselves
// are still constructed and destroyed exactly as before: only the memory is
// kept. Off under AddressSanitizer, so that it still sees use after free.
#ifndef TORSION_DEFERRED_INTERNAL_CHAIN_CACHE_H_
#define TORSION_DEFERRED_INTERNAL_CHAIN_CACHE_H_

#include <cstddef>

namespace torsion::internal {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kChainCacheEnabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kChainCacheEnabled = false;
#else
inline constexpr bool kChainCacheEnabled = true;
#endif
#else
inline constexpr bool kChainCacheEnabled = true;
#endif

// At most this many blocks per thread (with ~250-byte blocks, ~64 KiB).
inline constexpr std::size_t kChainCacheLimit = 256;

// Memory for one object of `size` bytes (always the same size: the
// ChainState's): a cached block of this thread, else ::operator new.
void* takeChainBlock(std::size_t size);
// Gives back a block from takeChainBlock(size), on any thread.
void giveChainBlock(void* block) noexcept;
// Frees this thread's cached blocks (tests that count allocations).
void trimChainCache() noexcept;

}  // namespace torsion::internal

#endif  // TORSION_DEFERRED_INTERNAL_CHAIN_CACHE_H_
