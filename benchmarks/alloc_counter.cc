// The cost ledger's allocation count (ledger.h): this binary's own malloc,
// calloc, realloc and aligned allocators, each counting one allocation for
// the calling thread and handing the work to glibc's allocator
// (__libc_malloc and friends). Defining them in the executable replaces
// glibc's for every library loaded with it (libstdc++'s operator new, the
// peers' C allocations, abseil), as glibc documents for a replacement
// malloc; free and malloc_usable_size still work because the memory is
// glibc's.
//
// While a thread asks for it (torsionHeapBytesTracking), it also counts the
// thread's net heap growth in bytes: what each allocation holds
// (malloc_usable_size, the request rounded up to the allocator's chunk)
// minus what each free gives back, for the memory a pending timer costs
// (drivers.h, W2_memory). Off, it costs one thread-local test per call.
//
// Linked only into the benchmark binaries and alloc_counter_test (BUILD:
// :alloc_counter). AddressSanitizer and ThreadSanitizer replace malloc
// themselves, and memory from their interceptors (strdup...) must not reach
// glibc's free: built with either, this file defines nothing, and the
// ledger sees no counting hook.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#include <errno.h>
#include <malloc.h>
#include <stddef.h>

#include <cstdint>

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* p, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void* __libc_valloc(size_t size);
void* __libc_pvalloc(size_t size);
void __libc_free(void* p);
}

namespace {
// Initial-exec TLS of the executable: reading it never allocates, so the
// counter is safe inside malloc itself.
thread_local std::int64_t tAllocations = 0;
thread_local bool tTrackBytes = false;
thread_local std::int64_t tHeapBytes = 0;

// Counts one allocation, and its bytes while tracking; returns p.
void* allocated(void* p) {
  ++tAllocations;
  if (tTrackBytes && p != nullptr)
    tHeapBytes += static_cast<std::int64_t>(malloc_usable_size(p));
  return p;
}

std::int64_t heldBy(void* p) {
  return tTrackBytes && p != nullptr ? static_cast<std::int64_t>(malloc_usable_size(p))
                                     : 0;
}

}  // namespace

extern "C" {

std::int64_t torsionLedgerAllocations() { return tAllocations; }

// on != 0: starts counting this thread's heap bytes from zero; 0: stops.
void torsionHeapBytesTracking(int on) {
  tTrackBytes = on != 0;
  if (tTrackBytes) tHeapBytes = 0;
}

std::int64_t torsionHeapBytes() { return tHeapBytes; }

void* malloc(size_t size) { return allocated(__libc_malloc(size)); }

void* calloc(size_t count, size_t size) { return allocated(__libc_calloc(count, size)); }

// A realloc that moves or grows a block is an allocation; realloc(p, 0) a
// free (glibc), which is not counted as one. A failed realloc keeps p.
void* realloc(void* p, size_t size) {
  if (p == nullptr || size != 0) ++tAllocations;
  const std::int64_t before = heldBy(p);
  void* moved = __libc_realloc(p, size);
  if (moved != nullptr || size == 0) tHeapBytes += heldBy(moved) - before;
  return moved;
}

void free(void* p) {
  tHeapBytes -= heldBy(p);
  __libc_free(p);
}

void* memalign(size_t alignment, size_t size) {
  return allocated(__libc_memalign(alignment, size));
}

void* aligned_alloc(size_t alignment, size_t size) {
  return allocated(__libc_memalign(alignment, size));
}

int posix_memalign(void** out, size_t alignment, size_t size) {
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* p = allocated(__libc_memalign(alignment, size));
  if (p == nullptr && size != 0) return ENOMEM;
  *out = p;
  return 0;
}

void* valloc(size_t size) { return allocated(__libc_valloc(size)); }

void* pvalloc(size_t size) { return allocated(__libc_pvalloc(size)); }

}  // extern "C"

#endif  // !__SANITIZE_ADDRESS__ && !__SANITIZE_THREAD__
