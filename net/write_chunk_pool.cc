#include "net/write_chunk_pool.h"

namespace torsion::net::internal {
namespace {

struct ChunkCache {
  char* blocks[kWriteChunkCacheBlocks];
  std::size_t count = 0;
  ~ChunkCache();
};

// Set once this thread's cache is destroyed (thread exit): a WriteBuffer
// released later on this thread frees its blocks instead. A plain bool has
// no destructor, so it stays readable until the thread is gone.
thread_local bool cacheGone = false;
thread_local ChunkCache cache;

ChunkCache::~ChunkCache() {
  cacheGone = true;
  for (std::size_t i = 0; i < count; ++i) delete[] blocks[i];
  count = 0;
}

}  // namespace

char* takeWriteChunk() {
  if (!cacheGone && cache.count > 0) return cache.blocks[--cache.count];
  return new char[kWriteChunkSize];
}

void giveWriteChunk(char* block) noexcept {
  if (block == nullptr) return;
  if (!cacheGone && cache.count < kWriteChunkCacheBlocks) {
    cache.blocks[cache.count++] = block;
    return;
  }
  delete[] block;
}

}  // namespace torsion::net::internal
