// torsion/net/read_buffer.h: the one read buffer per thread that every
// socket of that thread's reactor reads into (internal).
//
// Twisted allocates a fresh bytes object per recv; torsion reads into a
// buffer shared by all connections of a reactor thread, so an idle
// connection owns no read memory and a read allocates nothing. The data
// handed to dataReceived / datagramReceived is a view valid until the call
// returns; the reactor never re-enters its loop inside it, so no other
// read can overwrite the buffer meanwhile.
//
//   std::span<char> buf = internal::readBuffer();
//   ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
//
// Thread-safety: each thread gets its own buffer.
#ifndef TORSION_NET_READ_BUFFER_H_
#define TORSION_NET_READ_BUFFER_H_

#include <cstddef>
#include <memory>
#include <span>

namespace torsion::net::internal {

// 64 KiB: a full UDP datagram, and libuv's read size for streams.
inline constexpr std::size_t kReadBufferSize = 64 * 1024;

inline std::span<char> readBuffer() {
  thread_local std::unique_ptr<char[]> buffer(new char[kReadBufferSize]);
  return {buffer.get(), kReadBufferSize};
}

}  // namespace torsion::net::internal

#endif  // TORSION_NET_READ_BUFFER_H_
