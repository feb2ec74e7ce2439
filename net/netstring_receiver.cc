#include "net/netstring_receiver.h"

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>
#include <string>

namespace torsion::net {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

[[noreturn]] void tooLong(std::size_t maxLength) {
  throw NetstringParseError("netstring: the announced length exceeds the maximum of " +
                            std::to_string(maxLength) + " bytes");
}

}  // namespace

std::optional<NetstringLength> consumeNetstringLength(std::string_view data,
                                                      std::size_t maxLength) {
  std::size_t digits = 0;
  while (digits < data.size() && isDigit(data[digits])) ++digits;
  if (digits == 0) {
    if (data.empty()) return std::nullopt;
    throw NetstringParseError("netstring: does not start with a length (got '" +
                              std::string(data.substr(0, 16)) + "')");
  }
  if (data[0] == '0' && digits > 1) {
    throw NetstringParseError("netstring: the length has a leading zero");
  }
  // Checked arithmetic: a peer may send any number of digits; the size is
  // checked before the payload arrives, so it can't make us buffer it.
  std::size_t length = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    std::size_t digit = static_cast<std::size_t>(data[i] - '0');
    if (length > (std::numeric_limits<std::size_t>::max() - digit) / 10)
      tooLong(maxLength);
    length = length * 10 + digit;
  }
  if (length > maxLength) tooLong(maxLength);
  // The payload is followed by its ',': length + 1 bytes are expected, which
  // must be countable. Only SIZE_MAX is not, and only under kNoMaxLength;
  // no buffer could hold it anyway.
  if (length == std::numeric_limits<std::size_t>::max()) {
    throw NetstringParseError("netstring: the announced length " +
                              std::to_string(length) +
                              " leaves no room to count its trailing ','");
  }
  if (digits == data.size()) return std::nullopt;  // the colon is still to come
  if (data[digits] != ':') {
    throw NetstringParseError("netstring: the length is not followed by ':'");
  }
  return NetstringLength{length + 1, digits + 1};
}

bool NetstringReceiver::parseLength() {
  std::optional<NetstringLength> length =
      consumeNetstringLength(std::string_view(remaining_).substr(start_), maxLength_);
  if (!length) return false;
  start_ += length->consumed;
  expectedPayloadSize_ = length->expectedPayloadSize;
  payload_.clear();
  state_ = State::kPayload;
  return true;
}

bool NetstringReceiver::parsePayload() {
  std::size_t take =
      std::min(expectedPayloadSize_ - payload_.size(), remaining_.size() - start_);
  payload_.append(remaining_, start_, take);
  start_ += take;
  if (payload_.size() < expectedPayloadSize_) return false;
  // Not empty: expectedPayloadSize_ counts the comma, so it is at least 1.
  if (payload_.back() != ',') {
    throw NetstringParseError("netstring: the payload is not followed by ','");
  }
  payload_.pop_back();
  state_ = State::kLength;
  return true;
}

void NetstringReceiver::dataReceived(std::string_view data) {
  if (brokenPeer_) return;  // the connection is closing; ignore the rest
  remaining_.append(data);
  if (busyReceiving_) return;  // re-entrant: the loop below reaches it
  busyReceiving_ = true;
  struct Done {
    NetstringReceiver* self;
    ~Done() {
      self->remaining_.erase(0, self->start_);
      self->start_ = 0;
      self->busyReceiving_ = false;
    }
  } done{this};

  while (!brokenPeer_ && start_ < remaining_.size()) {
    bool complete = false;
    // Only the parsing may throw NetstringParseError here; an exception
    // from stringReceived must travel on untouched.
    try {
      if (state_ == State::kLength && !parseLength()) return;
      complete = parsePayload();
    } catch (const NetstringParseError&) {
      brokenPeer_ = true;
      if (transport() != nullptr) transport()->loseConnection();
      return;
    }
    if (!complete) return;
    stringReceived(payload_);
  }
}

void NetstringReceiver::sendString(std::string_view string) {
  if (transport() == nullptr) {
    throw std::logic_error("NetstringReceiver::sendString: not connected (no transport)");
  }
  std::string length = std::to_string(string.size()) + ":";
  std::array<std::string_view, 3> parts = {length, string, ","};
  transport()->writeSequence(parts);
}

}  // namespace torsion::net
