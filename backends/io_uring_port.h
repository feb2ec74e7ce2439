// torsion/backends/io_uring_port.h: the completion port of the io_uring
// backend, which the io_uring stream transports (net/uring/) start their
// sends, receives and accepts through.
//
// The io_uring backend stays a readiness backend for addReader/addWriter
// (multishot poll requests); next to that it offers this port, so that a
// connected socket's bytes move with IORING_OP_SEND / IORING_OP_RECV instead
// of a readiness event followed by a send(2) or recv(2). A request is only
// queued: it reaches the kernel with the next poll()'s io_uring_enter, the
// same system call that waits, so an echo round trip costs one system call.
//
//   IoUringPort* port = ioUringPortOf(reactor.completionPort());  // or nullptr
//   std::uint64_t id = port->start(
//       std::make_unique<CompletionOperation>(owner, [](std::uint32_t err, std::uint32_t
//       n) {...}),
//       [&](io_uring_sqe& sqe) { io_uring_prep_recv(&sqe, fd, buf, size, 0); });
//   ...
//   port->cancel(id);      // before closing fd: the request holds the file
//   port->flush();
//
// Completions run under the reactor's one exception policy
// (core/completion_dispatch.h): `error` is the errno (0 on success; a
// cancelled request reports ECANCELED), `bytes` the CQE's non-negative res.
//
// Thread-safety: reactor thread only.
#ifndef TORSION_BACKENDS_IO_URING_PORT_H_
#define TORSION_BACKENDS_IO_URING_PORT_H_

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "backends/completion_port.h"

namespace torsion {

class IoUringPort : public CompletionPort {
 public:
  // Nothing to associate: any descriptor can be named in a request.
  absl::Status associate(std::uintptr_t) override { return absl::OkStatus(); }

  // Queues one request. `prepare` fills the SQE (opcode, fd, buffer, flags);
  // the port owns user_data. The operation, and every buffer the request
  // names, must live until its completion is delivered: the port keeps the
  // operation until then (a multishot request's callback runs once per CQE
  // while IORING_CQE_F_MORE is set). The completion never runs inside this
  // call. Returns an id for cancel().
  virtual std::uint64_t start(
      std::unique_ptr<CompletionOperation> op,
      absl::FunctionRef<void(io_uring_sqe&)> prepare) noexcept = 0;

  // Queues an IORING_OP_ASYNC_CANCEL of request `id`; its completion then
  // reports ECANCELED (or its real result, if it had already finished). An
  // id that is done or unknown is ignored.
  virtual void cancel(std::uint64_t id) noexcept = 0;

  // Submits the queued requests now, with a system call of its own: before
  // close(2), since a live request keeps the file (and the connection) open.
  virtual void flush() noexcept = 0;

  // The flags of the CQE being delivered, read from inside a completion:
  // IORING_CQE_F_MORE (a multishot request goes on), IORING_CQE_F_BUFFER
  // and the provided buffer's id.
  virtual std::uint32_t cqeFlags() const noexcept = 0;

  // ---- Provided receive buffers (a buffer ring, Linux 5.19) -------------------
  // The buffer group a multishot receive names (IOSQE_BUFFER_SELECT,
  // sqe.buf_group), set up at the first call; -1 when there is none (the
  // kernel refused the ring or a multishot receive, or it is switched
  // off): receive into a buffer of your own, one request at a time.
  virtual int receiveBufferGroup() noexcept = 0;
  // The bytes the kernel put in the buffer that `cqeFlags` names.
  virtual std::string_view receivedBytes(std::uint32_t cqeFlags,
                                         std::uint32_t bytes) const noexcept = 0;
  // Hands that buffer back to the kernel (no system call); a no-op when
  // `cqeFlags` names no buffer. Every buffer delivered must come back.
  virtual void releaseBuffer(std::uint32_t cqeFlags) noexcept = 0;
  // The kernel refused a multishot receive (EINVAL: before Linux 6.0):
  // receiveBufferGroup() is -1 from now on. Logged once.
  virtual void multishotRefused() noexcept = 0;

  // ---- Accepting -----------------------------------------------------------------
  // Whether a listener should ask for a multishot IORING_OP_ACCEPT (one
  // request, one CQE per client, Linux 5.19) rather than one accept at a
  // time: false once the kernel refused one, or with
  // TORSION_IO_URING_OFF=accept_multishot.
  virtual bool multishotAccept() const noexcept = 0;
  // The kernel refused a multishot accept (EINVAL: before Linux 5.19):
  // multishotAccept() is false from now on. Logged once.
  virtual void multishotAcceptRefused() noexcept = 0;

  // What the port uses, for logs and the benchmark report:
  // "send,sendmsg,recv_multishot(64x16384),accept_multishot" and so on
  // (docs/io_uring.md).
  virtual std::string featureSummary() const = 0;

  // What the transports keep per port, for as long as the port lives
  // (net/uring/shutdown_list.h: the connections reactor shutdown closes);
  // the port only holds it.
  std::shared_ptr<void>& transportState() noexcept { return transportState_; }

 protected:
  ~IoUringPort() = default;

 private:
  std::shared_ptr<void> transportState_;
};

// The port behind `port` when it is an io_uring one, else nullptr.
inline IoUringPort* ioUringPortOf(CompletionPort* port) noexcept {
  return dynamic_cast<IoUringPort*>(port);
}

}  // namespace torsion

#endif  // TORSION_BACKENDS_IO_URING_PORT_H_
