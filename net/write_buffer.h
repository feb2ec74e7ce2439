// torsion/net/write_buffer.h: the chunked buffer behind a stream
// transport's write() (internal).
//
// What twisted.internet.abstract.FileDescriptor keeps in _tempDataBuffer /
// dataBuffer: bytes the protocol wrote that the kernel has not taken yet.
// Bytes are copied into fixed blocks of kChunkSize bytes (WriteChunks:
// reused through a per-thread cache, so a buffer that fills and drains over
// and over does not fault fresh heap pages in),
// small writes packed together, large ones spread over several blocks;
// bytes never move once appended. gather() hands the pending pieces to one
// sendIoVec() (sendmsg, or WSASend on Windows) as an IoVec array
// (net/socket_ops.h: iovec on POSIX, WSABUF on Windows). An empty buffer owns no memory,
// so an idle connection costs a few words.
//
//   internal::WriteBuffer b;
//   b.append("hello ");
//   b.append("world");
//   internal::IoVec iov[16];
//   int n = b.gather(iov, 16);
//   long sent = internal::sendIoVec(fd, iov, n);
//   b.consume(sent);
//
// Thread-safety: none (one connection, one thread).
#ifndef TORSION_NET_WRITE_BUFFER_H_
#define TORSION_NET_WRITE_BUFFER_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "base/thread_block_cache.h"
#include "net/socket_ops.h"

namespace torsion::net::internal {

// The blocks every WriteBuffer of a thread stores pending bytes in. 16 KiB:
// small writes are packed into one, a 64 KiB read echoed back spans four.
// At most 16 cached (256 KiB), four times the default high-water mark
// (WriteBufferLimits), so a paused producer's fill-and-drain cycle never
// reaches malloc: without the cache glibc trimmed and regrew the heap and
// faulted its pages in again, 60-100 faults per MiB echoed instead of ~3
// (docs/echo-performance.md).
using WriteChunks = torsion::internal::ThreadBlockCache<16 * 1024, 16>;

class WriteBuffer {
 public:
  static constexpr std::size_t kChunkSize = WriteChunks::kBlockBytes;

  WriteBuffer() = default;
  ~WriteBuffer() { clear(); }
  WriteBuffer(const WriteBuffer&) = delete;
  WriteBuffer& operator=(const WriteBuffer&) = delete;

  bool empty() const { return size_ == 0; }
  // Bytes pending.
  std::size_t size() const { return size_; }

  // Throws std::bad_alloc; what was appended before stays.
  void append(std::string_view data);
  // Fills up to `max` IoVecs with the pending bytes, in order; returns how
  // many it filled.
  int gather(IoVec* iov, int max) const;
  // Drops the first `n` pending bytes (n <= size()).
  void consume(std::size_t n);
  // Drops everything and gives the blocks back.
  void clear();

 private:
  struct Chunk {
    char* data;        // kChunkSize bytes from WriteChunks::take()
    std::size_t size;  // bytes filled
  };
  std::vector<Chunk> chunks_;  // pending: chunks_[head_...]
  std::size_t head_ = 0;       // first chunk with pending bytes
  std::size_t offset_ = 0;     // bytes of chunks_[head_] already sent
  std::size_t size_ = 0;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_WRITE_BUFFER_H_
