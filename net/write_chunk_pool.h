// torsion/net/write_chunk_pool.h: the fixed-size blocks a WriteBuffer
// stores pending bytes in, with a small per-thread cache (internal).
//
// Why a cache: a connection whose peer reads slower than it writes fills
// and drains its buffer over and over. Allocating each chunk with malloc
// and freeing it on drain made glibc trim and regrow the heap (brk) and
// fault every page in again: 60-100 page faults per MiB echoed instead of
// ~3 (docs/echo-performance.md). Blocks taken from and given back to this
// cache are reused while still mapped. The cache is bounded
// (kWriteChunkCacheBlocks per thread), and an idle connection still owns
// no block.
//
//   char* block = internal::takeWriteChunk();  // kWriteChunkSize bytes
//   ...
//   internal::giveWriteChunk(block);
//
// Thread-safety: each thread has its own cache; a block may be given back
// on another thread than the one it was taken on.
#ifndef TORSION_NET_WRITE_CHUNK_POOL_H_
#define TORSION_NET_WRITE_CHUNK_POOL_H_

#include <cstddef>

namespace torsion::net::internal {

// 16 KiB: small writes are packed into one block; a 64 KiB read echoed back
// spans four.
inline constexpr std::size_t kWriteChunkSize = 16 * 1024;
// At most 256 KiB cached per thread: four times the default high-water mark
// (WriteBufferLimits), enough for a paused producer's cycle to never reach
// malloc.
inline constexpr std::size_t kWriteChunkCacheBlocks = 16;

// A block of kWriteChunkSize bytes. Throws std::bad_alloc.
char* takeWriteChunk();
// Returns a block from takeWriteChunk() (nullptr is ignored).
void giveWriteChunk(char* block) noexcept;

}  // namespace torsion::net::internal

#endif  // TORSION_NET_WRITE_CHUNK_POOL_H_
