// torsion/testing/descriptor_pair.h: descriptors a test watches (POSIX).
//
// Owns the socketpairs, pipes and files that backend, dispatcher and reactor
// tests register, and closes them when the test ends.
//
//   testing::SocketPair pair = testing::SocketPair::make();
//   ASSERT_TRUE(testing::writeByte(pair.b.get()));  // pair.a is now readable
//
// Every descriptor is non-blocking and close-on-exec. make() aborts the test
// binary, naming the call and errno, when the system refuses (out of
// descriptors): there is nothing left to test then.
#ifndef TORSION_TESTING_DESCRIPTOR_PAIR_H_
#define TORSION_TESTING_DESCRIPTOR_PAIR_H_

#include <netinet/in.h>

#include <utility>

namespace torsion::testing {

// Closes its descriptor on destruction.
class OwnedFd {
 public:
  OwnedFd() = default;
  explicit OwnedFd(int fd) : fd_(fd) {}
  OwnedFd(OwnedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  OwnedFd& operator=(OwnedFd&& other) noexcept;
  ~OwnedFd() { reset(); }
  int get() const { return fd_; }
  // Closes the descriptor now (the number becomes free for reuse).
  void reset();
  // Forgets the descriptor without closing it.
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// A connected AF_UNIX stream socketpair (make), or a connected TCP pair
// over 127.0.0.1 (makeTcp: `a` the client, `b` the accepted server side),
// for what only TCP shows: resets, refused connects, half-close.
struct SocketPair {
  OwnedFd a, b;
  static SocketPair make();
  static SocketPair makeTcp();
};

// A TCP socket listening on 127.0.0.1 at an ephemeral port, which *bound
// receives. Blocking, so that accept() on it waits for a connect.
OwnedFd loopbackListener(sockaddr_in* bound, int backlog = 16);

// A TCP socket connecting to `addr`: connected when blocking, or in progress
// (EINPROGRESS) when non-blocking. An empty OwnedFd when connect() failed at
// once (a refusal seen synchronously), with errno saying why.
OwnedFd connectTo(const sockaddr_in& addr, bool nonBlocking);

// A pipe: bytes written to writeEnd are read from readEnd.
struct Pipe {
  OwnedFd readEnd, writeEnd;
  static Pipe make();
};

// A regular file in the test's temporary directory ($TEST_TMPDIR), opened
// read-write and already unlinked.
OwnedFd makeRegularFile();

// Writes one byte to `fd`; false when write() did not write it.
bool writeByte(int fd, char byte = 'x');

}  // namespace torsion::testing

#endif  // TORSION_TESTING_DESCRIPTOR_PAIR_H_
