#include "net/int_string_receiver.h"

#include <array>
#include <stdexcept>
#include <string>
#include <utility>

namespace torsion::net {

IntNStringReceiver::IntNStringReceiver(std::size_t prefixLength)
    : prefixLength_(prefixLength) {
  if (prefixLength != 1 && prefixLength != 2 && prefixLength != 4) {
    throw std::invalid_argument(
        "IntNStringReceiver: prefix length must be 1, 2 or 4, not " +
        std::to_string(prefixLength));
  }
}

void IntNStringReceiver::lengthLimitExceeded(std::uint64_t) {
  if (transport() != nullptr) transport()->loseConnection();
}

std::uint64_t IntNStringReceiver::readPrefix(std::size_t at) const {
  std::uint64_t length = 0;
  for (std::size_t i = 0; i < prefixLength_; ++i) {
    length = (length << 8) | static_cast<unsigned char>(unprocessed_[at + i]);
  }
  return length;
}

void IntNStringReceiver::dataReceived(std::string_view data) {
  unprocessed_.append(data);
  // Re-entrant calls only buffer; the loop below reaches the bytes.
  if (busyReceiving_) return;
  busyReceiving_ = true;
  // Forget what was delivered and leave "busy" on every way out,
  // exceptions from stringReceived included.
  struct Done {
    IntNStringReceiver* self;
    ~Done() {
      if (self->replacement_) {
        self->unprocessed_ = std::move(*self->replacement_);
        self->replacement_.reset();
      } else {
        self->unprocessed_.erase(0, self->offset_);
      }
      self->offset_ = 0;
      self->busyReceiving_ = false;
    }
  } done{this};

  while (!paused_ && unprocessed_.size() - offset_ >= prefixLength_) {
    std::uint64_t length = readPrefix(offset_);
    if (length > maxLength_) {
      // recvd() starts at the offending prefix while the callback runs.
      lengthLimitExceeded(length);
      return;
    }
    std::size_t messageStart = offset_ + prefixLength_;
    if (unprocessed_.size() - messageStart < length) break;
    // Copy out: a re-entrant dataReceived may reallocate unprocessed_.
    packet_.assign(unprocessed_, messageStart, static_cast<std::size_t>(length));
    offset_ = messageStart + static_cast<std::size_t>(length);
    stringReceived(packet_);
    if (replacement_) {
      unprocessed_ = std::move(*replacement_);
      replacement_.reset();
      offset_ = 0;
    }
  }
}

void IntNStringReceiver::sendString(std::string_view string) {
  const std::uint64_t limit = std::uint64_t{1} << (8 * prefixLength_);
  if (static_cast<std::uint64_t>(string.size()) >= limit) {
    throw StringTooLongError("sendString: " + std::to_string(string.size()) +
                             " bytes do not fit a " + std::to_string(prefixLength_) +
                             "-byte length prefix (maximum " + std::to_string(limit - 1) +
                             ")");
  }
  if (transport() == nullptr) {
    throw std::logic_error(
        "IntNStringReceiver::sendString: not connected (no transport)");
  }
  char prefix[4];
  for (std::size_t i = 0; i < prefixLength_; ++i) {
    prefix[prefixLength_ - 1 - i] = static_cast<char>((string.size() >> (8 * i)) & 0xff);
  }
  std::array<std::string_view, 2> parts = {std::string_view(prefix, prefixLength_),
                                           string};
  transport()->writeSequence(parts);
}

std::string_view IntNStringReceiver::recvd() const {
  if (replacement_) return *replacement_;
  return std::string_view(unprocessed_).substr(offset_);
}

void IntNStringReceiver::setRecvd(std::string data) {
  if (busyReceiving_) {
    // The parse loop owns unprocessed_/offset_; it switches over after the
    // current stringReceived returns.
    replacement_ = std::move(data);
    return;
  }
  unprocessed_ = std::move(data);
  offset_ = 0;
}

void IntNStringReceiver::pauseProducing() {
  paused_ = true;
  if (transport() != nullptr) transport()->pauseProducing();
}

void IntNStringReceiver::resumeProducing() {
  paused_ = false;
  if (transport() != nullptr) transport()->resumeProducing();
  dataReceived({});
}

void IntNStringReceiver::stopProducing() {
  paused_ = true;
  if (transport() != nullptr) transport()->stopProducing();
}

}  // namespace torsion::net
