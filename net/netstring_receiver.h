// torsion/net/netstring_receiver.h: the netstring protocol.
//
// Mirrors twisted.protocols.basic.NetstringReceiver and NetstringParseError.
// A netstring is "<decimal length>:<bytes>," (http://cr.yp.to/proto/
// netstrings.txt): "5:hello,". The length has no leading zeros ("0:," is
// the empty string).
//
//   class Echo : public torsion::net::NetstringReceiver {
//     void stringReceived(std::string_view s) override { sendString(s); }
//   };
//
// A malformed netstring, or one announcing more than maxLength() bytes
// (Twisted's MAX_LENGTH, default kDefaultMaxLength = 99999), closes the
// connection (loseConnection) and marks the peer broken; later bytes are
// ignored. The announced length is checked before the payload arrives, so
// a peer cannot make the receiver buffer more than maxLength() + a few
// bytes. setMaxLength(kNoMaxLength) (net/max_length.h) removes the limit;
// a length of SIZE_MAX is refused even then, as its ',' could not be
// counted.
//
// A loseConnection() from stringReceived does not stop the netstrings that
// follow in the same chunk (as in Twisted); check
// transport()->disconnecting() to ignore them.
//
// Thread-safety: reactor thread only, like every Protocol.
#ifndef TORSION_NET_NETSTRING_RECEIVER_H_
#define TORSION_NET_NETSTRING_RECEIVER_H_

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "net/max_length.h"
#include "net/protocol.h"

namespace torsion::net {

// The bytes received are not a valid netstring. what() says which rule
// they broke: no length, a length above the maximum, no trailing comma.
class NetstringParseError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The length part at the start of some netstring bytes.
struct NetstringLength {
  // Bytes to expect after the colon: the payload plus its trailing comma.
  std::size_t expectedPayloadSize = 0;
  // Bytes the length part took, colon included.
  std::size_t consumed = 0;
};

// Parses "<digits>:" at the start of `data` (Twisted's _consumeLength, as a
// pure function). Returns nullopt while `data` may still become a valid
// length part (e.g. "12"); throws NetstringParseError when it cannot (no
// digits, a leading zero, a non-digit before the colon) or when the length
// exceeds `maxLength` (or is SIZE_MAX), even before the colon arrived.
std::optional<NetstringLength> consumeNetstringLength(std::string_view data,
                                                      std::size_t maxLength);

class NetstringReceiver : public Protocol {
 public:
  static constexpr std::size_t kDefaultMaxLength = 99999;

  // A complete netstring arrived; `string` is its payload. Valid until this
  // returns.
  virtual void stringReceived(std::string_view string) = 0;

  void dataReceived(std::string_view data) override;

  // Writes "<length>:<string>," as one write. Throws std::logic_error if not
  // connected.
  void sendString(std::string_view string);

  // True once a parse error closed the connection (Twisted's brokenPeer).
  bool brokenPeer() const { return brokenPeer_; }

  std::size_t maxLength() const { return maxLength_; }
  void setMaxLength(std::size_t maxLength) { maxLength_ = maxLength; }

 private:
  enum class State { kLength, kPayload };

  // One parse step; returns false when more bytes are needed. Throws
  // NetstringParseError.
  bool parseLength();
  bool parsePayload();

  std::size_t maxLength_ = kDefaultMaxLength;
  std::string remaining_;
  std::size_t start_ = 0;  // remaining_[0, start_) is consumed
  std::string payload_;    // payload + comma collected so far
  std::size_t expectedPayloadSize_ = 0;
  State state_ = State::kLength;
  bool brokenPeer_ = false;
  bool busyReceiving_ = false;
};

}  // namespace torsion::net

#endif  // TORSION_NET_NETSTRING_RECEIVER_H_
