#include "net/line_receiver.h"

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

namespace torsion::net {
namespace {

// Clears a "busy" flag on every way out of a parse loop, exceptions
// included, so that a protocol whose callback threw is not stuck in
// "only buffer" mode for the rest of its life.
class BusyScope {
 public:
  explicit BusyScope(bool& busy) : busy_(busy) { busy_ = true; }
  ~BusyScope() { busy_ = false; }
  BusyScope(const BusyScope&) = delete;
  BusyScope& operator=(const BusyScope&) = delete;

 private:
  bool& busy_;
};

void writeLine(Transport* transport, std::string_view line, std::string_view delimiter,
               const char* who) {
  if (transport == nullptr) {
    throw std::logic_error(std::string(who) + "::sendLine: not connected (no transport)");
  }
  std::array<std::string_view, 2> parts = {line, delimiter};
  transport->writeSequence(parts);
}

// True when `pending` bytes without a delimiter are more than a line of
// `maxLength` plus its delimiter: pending >= maxLength + delimiterSize,
// without computing the sum, which wraps for limits near kNoMaxLength.
bool cannotBeOneLine(std::size_t pending, std::size_t maxLength,
                     std::size_t delimiterSize) {
  return pending >= maxLength && pending - maxLength >= delimiterSize;
}

void checkDelimiter(std::string_view delimiter, const char* who) {
  if (delimiter.empty()) {
    throw std::invalid_argument(std::string(who) +
                                "::setDelimiter: the delimiter must not be empty");
  }
}

}  // namespace

// --- LineReceiver -------------------------------------------------------------

void LineReceiver::rawDataReceived(std::string_view) {
  throw NotImplementedError(
      "LineReceiver::rawDataReceived: raw mode is on but the subclass does not "
      "override rawDataReceived");
}

void LineReceiver::lineLengthExceeded(std::string_view) {
  if (transport() != nullptr) transport()->loseConnection();
}

bool LineReceiver::disconnectingNow() const {
  return transport() != nullptr && transport()->disconnecting();
}

void LineReceiver::compact() {
  if (start_ == 0) return;
  buffer_.erase(0, start_);
  start_ = 0;
}

void LineReceiver::dataReceived(std::string_view data) {
  buffer_.append(data);
  // Re-entrant call (from lineReceived, rawDataReceived via setLineMode,
  // lineLengthExceeded...): the running loop below will reach these bytes.
  // Looping instead of recursing keeps the stack flat however often the
  // mode flips inside one chunk (test_stackRecursion).
  if (busyReceiving_) return;
  BusyScope busy(busyReceiving_);
  struct Compact {
    LineReceiver* self;
    ~Compact() { self->compact(); }
  } compactOnExit{this};

  // Every iteration re-reads buffer_/start_: callbacks may clear the buffer
  // or append to it.
  while (start_ < buffer_.size() && !paused_) {
    if (lineMode_) {
      std::size_t at = buffer_.find(delimiter_, start_);
      const bool unfinished = at == std::string::npos;
      // A partial delimiter may still complete a line of maxLength_, so
      // only an unfinished line that cannot be one line is too long
      // (Twisted's test_notQuiteMaximumLineLengthUnfinished).
      if (unfinished &&
          !cannotBeOneLine(buffer_.size() - start_, maxLength_, delimiter_.size())) {
        return;
      }
      if (unfinished || at - start_ > maxLength_) {
        // Twisted hands over the long line together with everything after
        // it: the protocol decides what to resynchronise on.
        std::string tooLong = buffer_.substr(start_);
        buffer_.clear();
        start_ = 0;
        lineLengthExceeded(tooLong);
        if (disconnectingNow()) return;
        continue;
      }
      // Copy out: a re-entrant dataReceived may reallocate buffer_.
      line_.assign(buffer_, start_, at - start_);
      start_ = at + delimiter_.size();
      lineReceived(line_);
      if (disconnectingNow()) return;
    } else {
      std::string raw = buffer_.substr(start_);
      buffer_.clear();
      start_ = 0;
      rawDataReceived(raw);
    }
  }
}

void LineReceiver::setLineMode(std::string_view extra) {
  lineMode_ = true;
  if (!extra.empty()) dataReceived(extra);
}

void LineReceiver::setRawMode() { lineMode_ = false; }

std::string LineReceiver::clearLineBuffer() {
  std::string rest = buffer_.substr(start_);
  buffer_.clear();
  start_ = 0;
  return rest;
}

void LineReceiver::sendLine(std::string_view line) {
  writeLine(transport(), line, delimiter_, "LineReceiver");
}

void LineReceiver::pauseProducing() {
  paused_ = true;
  if (transport() != nullptr) transport()->pauseProducing();
}

void LineReceiver::resumeProducing() {
  paused_ = false;
  if (transport() != nullptr) transport()->resumeProducing();
  // Deliver what arrived (or stayed buffered) while paused.
  dataReceived({});
}

void LineReceiver::stopProducing() {
  paused_ = true;
  if (transport() != nullptr) transport()->stopProducing();
}

void LineReceiver::setDelimiter(std::string_view delimiter) {
  checkDelimiter(delimiter, "LineReceiver");
  delimiter_ = std::string(delimiter);
}

// --- LineOnlyReceiver ---------------------------------------------------------

void LineOnlyReceiver::lineLengthExceeded(std::string_view) {
  if (transport() != nullptr) transport()->loseConnection();
}

void LineOnlyReceiver::dataReceived(std::string_view data) {
  buffer_.append(data);
  if (busyReceiving_) return;
  BusyScope busy(busyReceiving_);

  std::size_t start = 0;
  // Erases what was consumed however the loop ends.
  struct Consume {
    std::string& buffer;
    std::size_t& start;
    ~Consume() { buffer.erase(0, start); }
  } consume{buffer_, start};

  for (;;) {
    std::size_t at = buffer_.find(delimiter_, start);
    if (at == std::string::npos) break;
    // A loseConnection() from an earlier line of this chunk drops the rest:
    // nothing should be acted on after the protocol asked to close.
    if (transport() != nullptr && transport()->disconnecting()) {
      start = buffer_.size();
      return;
    }
    line_.assign(buffer_, start, at - start);
    start = at + delimiter_.size();
    if (line_.size() > maxLength_) {
      // As Twisted's LineOnlyReceiver: one report per chunk. The complete
      // lines after the long one are dropped (lineLengthExceeded closes the
      // connection by default) and the unterminated rest stays buffered, so
      // it is not reported as too long a second time.
      start = buffer_.rfind(delimiter_) + delimiter_.size();
      lineLengthExceeded(line_);
      return;
    }
    lineReceived(line_);
  }
  if (buffer_.size() - start > maxLength_) {
    std::string tooLong = buffer_.substr(start);
    start = buffer_.size();
    lineLengthExceeded(tooLong);
  }
}

void LineOnlyReceiver::sendLine(std::string_view line) {
  writeLine(transport(), line, delimiter_, "LineOnlyReceiver");
}

void LineOnlyReceiver::setDelimiter(std::string_view delimiter) {
  checkDelimiter(delimiter, "LineOnlyReceiver");
  delimiter_ = std::string(delimiter);
}

}  // namespace torsion::net
