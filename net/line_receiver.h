// torsion/net/line_receiver.h: line-oriented protocols.
//
// Mirrors twisted.protocols.basic.LineReceiver (lines and raw data, with
// pausing) and LineOnlyReceiver (lines only, a little cheaper).
//
//   class Chat : public torsion::net::LineReceiver {
//     void lineReceived(std::string_view line) override {
//       if (line == "quit") return transport()->loseConnection();
//       sendLine(std::string("echo: ") + std::string(line));
//     }
//   };
//
// Names: Twisted's class attributes `delimiter` and `MAX_LENGTH` are
// delimiter()/setDelimiter() and maxLength()/setMaxLength() here; the
// defaults are "\r\n" and kDefaultMaxLength (16384). kNoMaxLength
// (net/max_length.h) means no line is too long.
//
// Where Twisted lets lineReceived/rawDataReceived *return* an error object
// to stop and drop the connection, C++ code throws: the exception leaves
// dataReceived and the transport closes the connection with it as the
// reason (behaviour N13).
//
// Thread-safety: reactor thread only, like every Protocol.
#ifndef TORSION_NET_LINE_RECEIVER_H_
#define TORSION_NET_LINE_RECEIVER_H_

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "net/max_length.h"
#include "net/producer.h"
#include "net/protocol.h"

namespace torsion::net {

// Thrown by LineReceiver::rawDataReceived when a subclass switched to raw
// mode without overriding it (Twisted raises NotImplementedError).
class NotImplementedError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Receives lines (delimiter stripped) or, after setRawMode(), raw bytes.
//
// Line delivery is independent of how the bytes were chunked. A line longer
// than maxLength(), or maxLength() + delimiter().size() buffered bytes with
// no delimiter, goes to lineLengthExceeded() with everything buffered
// (default: loseConnection()). Lines of exactly maxLength() are fine.
//
// It is a push producer for its own input: pauseProducing() stops line
// delivery (lines stay buffered) and pauses the transport; resumeProducing()
// delivers what was buffered and resumes the transport. So a LineReceiver
// can register itself with its transport (registerProducer(this, ...)).
class LineReceiver : public Protocol, public Producer {
 public:
  static constexpr std::size_t kDefaultMaxLength = 16384;

  // A complete line arrived, without its delimiter. The view is valid until
  // this returns. Calling dataReceived() from here only buffers; the bytes
  // are parsed when the current parse loop reaches them.
  virtual void lineReceived(std::string_view line) = 0;

  // In raw mode, bytes arrived. The default throws NotImplementedError.
  virtual void rawDataReceived(std::string_view data);

  // A too-long line (see the class comment): `line` holds all the bytes
  // buffered from its start on (possibly several lines). The buffer is
  // already empty. Default: transport()->loseConnection().
  virtual void lineLengthExceeded(std::string_view line);

  // Protocol: buffers `data` and delivers lines or raw data until the
  // buffer is used up, the receiver is paused, or the transport is
  // disconnecting. Re-entrant calls only buffer.
  void dataReceived(std::string_view data) override;

  // Further bytes go to lineReceived. `extra` (bytes a rawDataReceived
  // override did not consume) is parsed for lines as if just received.
  // Do not pass `extra` from inside lineReceived.
  void setLineMode(std::string_view extra = {});
  // Further bytes go to rawDataReceived.
  void setRawMode();
  bool lineMode() const { return lineMode_; }

  // Returns everything buffered and not yet delivered, and forgets it.
  // Safe to call from lineReceived.
  std::string clearLineBuffer();

  // Writes line + delimiter as one write. Throws std::logic_error if not
  // connected.
  void sendLine(std::string_view line);

  // Producer. pause/resume also pause/resume the transport (if any);
  // resumeProducing() delivers lines buffered meanwhile; stopProducing()
  // stops delivery for good and calls the transport's stopProducing().
  void pauseProducing() override;
  void resumeProducing() override;
  void stopProducing() override;
  bool paused() const { return paused_; }

  const std::string& delimiter() const { return delimiter_; }
  // Throws std::invalid_argument if `delimiter` is empty.
  void setDelimiter(std::string_view delimiter);
  std::size_t maxLength() const { return maxLength_; }
  void setMaxLength(std::size_t maxLength) { maxLength_ = maxLength; }

 private:
  bool disconnectingNow() const;
  void compact();

  std::string buffer_;
  std::size_t start_ = 0;  // buffer_[0, start_) is already delivered
  std::string line_;       // the line being delivered (reused, no alloc)
  std::string delimiter_ = "\r\n";
  std::size_t maxLength_ = kDefaultMaxLength;
  bool lineMode_ = true;
  bool paused_ = false;
  bool busyReceiving_ = false;
};

// Receives lines only: no raw mode, no pausing. A line longer than
// maxLength() goes to lineLengthExceeded() (default: loseConnection()), as
// does an unterminated buffer longer than maxLength(); lines after a
// loseConnection() in the same chunk are dropped.
class LineOnlyReceiver : public Protocol {
 public:
  static constexpr std::size_t kDefaultMaxLength = 16384;

  virtual void lineReceived(std::string_view line) = 0;
  // Default: transport()->loseConnection().
  virtual void lineLengthExceeded(std::string_view line);

  void dataReceived(std::string_view data) override;

  // Writes line + delimiter as one write. Throws std::logic_error if not
  // connected.
  void sendLine(std::string_view line);

  const std::string& delimiter() const { return delimiter_; }
  // Throws std::invalid_argument if `delimiter` is empty.
  void setDelimiter(std::string_view delimiter);
  std::size_t maxLength() const { return maxLength_; }
  void setMaxLength(std::size_t maxLength) { maxLength_ = maxLength; }

 private:
  std::string buffer_;
  std::string line_;
  std::string delimiter_ = "\r\n";
  std::size_t maxLength_ = kDefaultMaxLength;
  bool busyReceiving_ = false;
};

}  // namespace torsion::net

#endif  // TORSION_NET_LINE_RECEIVER_H_
