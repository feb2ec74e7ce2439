// The cost ledger's allocation count (ledger.h): this binary's own malloc,
// calloc, realloc and aligned allocators, each counting one allocation for
// the calling thread and handing the work to glibc's allocator
// (__libc_malloc and friends). Defining them in the executable replaces
// glibc's for every library loaded with it (libstdc++'s operator new, the
// peers' C allocations, abseil), as glibc documents for a replacement
// malloc; free and malloc_usable_size still work because the memory is
// glibc's.
//
// Linked only into the manual benchmark binaries (BUILD: :alloc_counter):
// sanitizer builds replace malloc themselves.
#include <errno.h>
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
}  // namespace

extern "C" {

std::int64_t torsionLedgerAllocations() { return tAllocations; }

void* malloc(size_t size) {
  ++tAllocations;
  return __libc_malloc(size);
}

void* calloc(size_t count, size_t size) {
  ++tAllocations;
  return __libc_calloc(count, size);
}

// A realloc that moves or grows a block is an allocation; realloc(p, 0) a
// free (glibc), which is not counted.
void* realloc(void* p, size_t size) {
  if (p == nullptr || size != 0) ++tAllocations;
  return __libc_realloc(p, size);
}

void free(void* p) { __libc_free(p); }

void* memalign(size_t alignment, size_t size) {
  ++tAllocations;
  return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) {
  ++tAllocations;
  return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  ++tAllocations;
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr && size != 0) return ENOMEM;
  *out = p;
  return 0;
}

void* valloc(size_t size) {
  ++tAllocations;
  return __libc_valloc(size);
}

void* pvalloc(size_t size) {
  ++tAllocations;
  return __libc_pvalloc(size);
}

}  // extern "C"
