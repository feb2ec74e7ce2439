// torsion/net/completion_stream_transport.h: what the completion stream
// transports (IOCP: net/iocp/, io_uring: net/uring/) share on top of
// StreamTransport (internal): one send of the write buffer's front in
// flight at a time, what its completion does next, and the drain check a
// close or a producer waits for.
//
// Mirrors iocpreactor.abstract.FileHandle's write side: the bytes of the
// send in flight stay in the buffer (and count against its limits) until
// the completion says how many went.
//
//   class MyConnection final : public CompletionStreamTransport {
//     void startSend() override { ...one send of buffer_'s front; sending_ = true... }
//     void sendDone(err, bytes) { sending_ = false; ...errors...; sendSucceeded(bytes); }
//   };
//
// Thread-safety: reactor thread only.
#ifndef TORSION_NET_COMPLETION_STREAM_TRANSPORT_H_
#define TORSION_NET_COMPLETION_STREAM_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string_view>

#include "backends/completion_port.h"
#include "net/stream_transport.h"

namespace torsion::net::internal {

class CompletionStreamTransport : public StreamTransport, public CompletionOwner {
 public:
  // A completion threw (dataReceived, readConnectionLost, a producer's
  // resumeProducing, ...): connectionLost with that reason.
  void completionFailed(std::exception_ptr error) override { closeNow(error); }

 protected:
  using StreamTransport::StreamTransport;
  ~CompletionStreamTransport() override = default;

  // Appends to the write buffer and starts a send if none is in flight:
  // the bytes wait in the buffer until their completion arrives.
  void send(const std::string_view* pieces, std::size_t count, std::size_t total) final;

  // Starts one send of the buffer's front, unless one is in flight
  // (sending_), the buffer is empty or the connection is gone.
  virtual void startSend() = 0;

  void drainThenCheck() override { scheduleDrainCheck(); }

  // A clean end of stream: the peer shut down its write side. A
  // half-closeable protocol hears readConnectionLost (should it throw, the
  // completion policy disconnects with that reason); any other connection
  // ends with ConnectionDone.
  void peerFinishedWriting();

  // The send in flight took `bytes` without error: the next one starts, or
  // the drained buffer finishes what waited for it (afterDrain).
  void sendSucceeded(std::uint32_t bytes);
  // Runs the drained-buffer step on the next pass, once, unless a send is
  // in flight or bytes wait (its completion does the same then).
  void scheduleDrainCheck();

  bool sending_ = false;  // a send is in flight

 private:
  void drained();

  bool drainCheckScheduled_ = false;
};

}  // namespace torsion::net::internal

#endif  // TORSION_NET_COMPLETION_STREAM_TRANSPORT_H_
