// torsion/net/int_string_receiver.h: length-prefixed string protocols.
//
// Mirrors twisted.protocols.basic.IntNStringReceiver and its subclasses
// Int32StringReceiver, Int16StringReceiver and Int8StringReceiver: each
// message is an unsigned big-endian length of 4, 2 or 1 bytes followed by
// that many bytes.
//
//   class Echo : public torsion::net::Int32StringReceiver {
//     void stringReceived(std::string_view s) override { sendString(s); }
//   };
//
// Names: Twisted's MAX_LENGTH attribute is maxLength()/setMaxLength()
// (default kDefaultMaxLength = 99999; kNoMaxLength from net/max_length.h
// takes every length the prefix can express); its `recvd` attribute (the
// bytes not yet parsed, which application code may replace) is
// recvd()/setRecvd().
//
// Thread-safety: reactor thread only, like every Protocol.
#ifndef TORSION_NET_INT_STRING_RECEIVER_H_
#define TORSION_NET_INT_STRING_RECEIVER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "net/max_length.h"
#include "net/producer.h"
#include "net/protocol.h"

namespace torsion::net {

// sendString() was given a string whose length does not fit the prefix
// (Twisted's StringTooLongError). The message names both lengths.
class StringTooLongError : public std::length_error {
 public:
  using std::length_error::length_error;
};

// The shared machinery; use one of the IntN subclasses below.
//
// A prefix announcing more than maxLength() bytes calls
// lengthLimitExceeded(length) (default: loseConnection()) and parsing stops;
// the string is never delivered. Pausing works like LineReceiver's: while
// paused no string is delivered, resumeProducing() delivers what waited.
// Unlike LineReceiver, and like Twisted's IntNStringReceiver, a
// loseConnection() from stringReceived does not stop the strings that
// follow in the same chunk; check transport()->disconnecting() to ignore
// them.
class IntNStringReceiver : public Protocol, public Producer {
 public:
  static constexpr std::size_t kDefaultMaxLength = 99999;

  // `prefixLength` is 1, 2 or 4 (std::invalid_argument otherwise).
  explicit IntNStringReceiver(std::size_t prefixLength);

  // A complete string arrived (prefix removed). Valid until this returns.
  virtual void stringReceived(std::string_view string) = 0;
  // A prefix announced `length` > maxLength(). recvd() still holds the
  // offending prefix and everything after it. Default: loseConnection().
  virtual void lengthLimitExceeded(std::uint64_t length);

  void dataReceived(std::string_view data) override;

  // Writes prefix + string as one write. Throws StringTooLongError if the
  // length does not fit the prefix, std::logic_error if not connected.
  void sendString(std::string_view string);

  // The bytes received but not parsed yet, starting at the next prefix.
  std::string_view recvd() const;
  // Replaces the unparsed bytes. From inside stringReceived, parsing goes
  // on with `data` instead of what followed the current message.
  void setRecvd(std::string data);

  void pauseProducing() override;
  void resumeProducing() override;
  void stopProducing() override;
  bool paused() const { return paused_; }

  std::size_t prefixLength() const { return prefixLength_; }
  std::size_t maxLength() const { return maxLength_; }
  void setMaxLength(std::size_t maxLength) { maxLength_ = maxLength; }

 private:
  std::uint64_t readPrefix(std::size_t at) const;

  std::size_t prefixLength_;
  std::size_t maxLength_ = kDefaultMaxLength;
  std::string unprocessed_;
  std::size_t offset_ = 0;                  // unprocessed_[0, offset_) was delivered
  std::string packet_;                      // the string being delivered (reused)
  std::optional<std::string> replacement_;  // set by setRecvd()
  bool paused_ = false;
  bool busyReceiving_ = false;
};

class Int32StringReceiver : public IntNStringReceiver {
 public:
  Int32StringReceiver() : IntNStringReceiver(4) {}
};

class Int16StringReceiver : public IntNStringReceiver {
 public:
  Int16StringReceiver() : IntNStringReceiver(2) {}
};

class Int8StringReceiver : public IntNStringReceiver {
 public:
  Int8StringReceiver() : IntNStringReceiver(1) {}
};

}  // namespace torsion::net

#endif  // TORSION_NET_INT_STRING_RECEIVER_H_
