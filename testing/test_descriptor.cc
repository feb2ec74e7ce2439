#include "testing/test_descriptor.h"

#include <unistd.h>

#include <stdexcept>

#include "core/errors.h"

namespace torsion::testing {

int TestDescriptor::fileno() const {
  ++filenoCalls;
  if (filenoThrows) throw std::runtime_error("fileno: socket is closed");
  return fd_;
}

LostReason TestDescriptor::doRead() {
  ++reads;
  return onRead ? onRead() : nullptr;
}

LostReason TestDescriptor::doWrite() {
  ++writes;
  return onWrite ? onWrite() : nullptr;
}

void TestDescriptor::connectionLost(const LostReason& why) {
  ++lost;
  reason = why;
  if (onLost) onLost();
}

void TestDescriptor::readConnectionLost(const LostReason& why) {
  ++readLost;
  reason = why;
}

LostReason TestDescriptor::drain(int fd) {
  char buf[256];
  if (::read(fd, buf, sizeof buf) == 0) return std::make_exception_ptr(ConnectionDone());
  return nullptr;
}

std::string TestDescriptor::reasonText() const {
  if (!reason) return "";
  try {
    std::rethrow_exception(reason);
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace torsion::testing
