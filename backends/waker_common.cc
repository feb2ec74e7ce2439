// The parts of Waker that do not depend on the kind of descriptor.
#include <unistd.h>

#include <utility>

#include "backends/waker.h"

namespace torsion::internal {

Waker::Waker(Waker&& other) noexcept
    : readFd_(std::exchange(other.readFd_, -1)),
      writeFd_(std::exchange(other.writeFd_, -1)) {}

Waker& Waker::operator=(Waker&& other) noexcept {
  if (this != &other) {
    close();
    readFd_ = std::exchange(other.readFd_, -1);
    writeFd_ = std::exchange(other.writeFd_, -1);
  }
  return *this;
}

Waker::~Waker() { close(); }

void Waker::close() noexcept {
  if (writeFd_ >= 0 && writeFd_ != readFd_) ::close(writeFd_);
  if (readFd_ >= 0) ::close(readFd_);
  readFd_ = writeFd_ = -1;
}

}  // namespace torsion::internal
