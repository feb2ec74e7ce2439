// torsion/core/file_descriptor.h: what the reactor reads from and writes to.
//
// Mirrors Twisted's IReadDescriptor / IWriteDescriptor /
// IHalfCloseableDescriptor (twisted.internet.interfaces) as used by
// IReactorFDSet: an object with a file descriptor number, told when it can
// read or write, and told once when its connection is lost.
//
//   class PipeReader : public torsion::FileDescriptor {
//    public:
//     int fileno() const override { return fd_; }
//     torsion::LostReason doRead() override {
//       ssize_t n = ::read(fd_, buf, sizeof buf);
//       if (n == 0) return std::make_exception_ptr(torsion::ConnectionDone());
//       ...
//       return nullptr;  // all is well
//     }
//     void connectionLost(const torsion::LostReason& why) override {
//       ::close(fd_);
//     }
//   };
//   reactor.addReader(&reader);
//
// The reactor keeps a plain pointer: a descriptor must stay alive while it
// is registered as a reader or writer. After the reactor calls
// connectionLost it never touches the descriptor again (so connectionLost
// may delete it).
//
// Reason type: std::exception_ptr (`LostReason`), holding ConnectionDone,
// ConnectionLost (core/errors.h) or whatever doRead/doWrite threw. It is the
// payload of deferred/'s Failure, so switching connectionLost to take a
// Failure later is a type change here and a one-line wrap in the dispatch
// policy (core/fd_dispatch.cc).
//
// Thread-safety: descriptors are used on the reactor thread only.
#ifndef TORSION_CORE_FILE_DESCRIPTOR_H_
#define TORSION_CORE_FILE_DESCRIPTOR_H_

#include <exception>
#include <string>

namespace torsion {

// Why a connection ended, or null when doRead/doWrite went fine.
using LostReason = std::exception_ptr;

class FileDescriptor {
 public:
  virtual ~FileDescriptor() = default;

  // The OS descriptor, or -1 once it is gone (then the reactor drops the
  // descriptor with ConnectionLost("file descriptor went away")).
  virtual int fileno() const = 0;

  // Called when fileno() is readable (or at EOF). Return null when fine; a
  // reason (ConnectionDone for a clean EOF) to be disconnected: the reactor
  // removes the descriptor and calls connectionLost(reason). Throwing does
  // the same, and is logged too. The default says it was never overridden.
  virtual LostReason doRead();

  // Called when fileno() is writable. Same contract as doRead.
  virtual LostReason doWrite();

  // Called once when the descriptor is disconnected by the reactor: a
  // reason returned or thrown by doRead/doWrite, a hang-up, a descriptor
  // that went away, or reactor shutdown (ConnectionLost). Exceptions thrown
  // here are logged.
  virtual void connectionLost(const LostReason& reason) = 0;

  // IHalfCloseableDescriptor: when true, a ConnectionDone returned by
  // doRead only removes the reader and calls readConnectionLost, so the
  // descriptor can keep writing.
  virtual bool halfCloseable() const { return false; }
  virtual void readConnectionLost(const LostReason& reason) { connectionLost(reason); }

  // Prefix for log messages about this descriptor (Twisted's logPrefix).
  virtual std::string logPrefix() const { return "FileDescriptor"; }
};

}  // namespace torsion

#endif  // TORSION_CORE_FILE_DESCRIPTOR_H_
