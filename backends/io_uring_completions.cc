// The io_uring backend's completion port (io_uring_port.h): the operation
// table, its requests and their completions, and the probe that decides
// whether the port is offered.
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <new>
#include <string>
#include <utility>

#include "absl/strings/str_split.h"
#include "backends/io_uring_backend.h"
#include "backends/io_uring_user_data.h"
#include "base/log.h"

namespace torsion {
namespace {

using internal::makeUserData;
using internal::UserDataKind;

// The requests the stream transports send. Present since Linux 5.6; probed
// rather than assumed, since a seccomp policy or a hardened kernel may
// refuse single opcodes (io_uring_register(IORING_REGISTER_RESTRICTIONS)).
constexpr int kNeededOps[] = {IORING_OP_SEND, IORING_OP_SENDMSG, IORING_OP_RECV,
                              IORING_OP_ACCEPT, IORING_OP_ASYNC_CANCEL};

// The names TORSION_IO_URING_OFF knows.
constexpr std::string_view kSwitches[] = {"completions", "recv_multishot",
                                          "accept_multishot"};

}  // namespace

bool IoUringBackend::switchedOff(std::string_view feature) {
  const char* env = std::getenv("TORSION_IO_URING_OFF");
  if (env == nullptr) return false;
  bool off = false;
  for (absl::string_view part : absl::StrSplit(env, ',', absl::SkipEmpty())) {
    const std::string_view name(part.data(), part.size());
    if (std::find(std::begin(kSwitches), std::end(kSwitches), name) !=
        std::end(kSwitches)) {
      off = off || feature == name;
    } else {
      static const bool reported = [&] {
        log::err("io_uring", "TORSION_IO_URING_OFF: unknown feature '" +
                                 std::string(name) +
                                 "' (known: completions, recv_multishot, "
                                 "accept_multishot)");
        return true;
      }();
      (void)reported;
    }
  }
  return off;
}

namespace {

// Why the kernel cannot serve the completion port, or "" when it can.
std::string completionsMissing(io_uring& ring) {
  io_uring_probe* probe = io_uring_get_probe_ring(&ring);
  if (probe == nullptr) return "IORING_REGISTER_PROBE failed (Linux 5.6+)";
  std::string missing;
  for (int op : kNeededOps) {
    if (!io_uring_opcode_supported(probe, op)) {
      missing += (missing.empty() ? "opcode " : ", ") + std::to_string(op);
    }
  }
  io_uring_free_probe(probe);
  return missing.empty() ? std::string() : "the kernel lacks " + missing;
}

// The one buffer group the port registers.
constexpr int kBufferGroup = 0;

std::uint32_t errorOf(int res) { return res < 0 ? static_cast<std::uint32_t>(-res) : 0; }
std::uint32_t bytesOf(int res) { return res > 0 ? static_cast<std::uint32_t>(res) : 0; }

}  // namespace

bool IoUringBackend::completionsAvailable(io_uring& ring) {
  // Read at every creation, so that a test can switch it off for one reactor.
  if (switchedOff("completions")) return false;
  // The kernel's answer is asked once per process, and logged once if "no".
  static const std::string* const missing = new std::string(completionsMissing(ring));
  if (!missing->empty()) {
    static const bool logged = [] {
      log::msg("io_uring", "completion transports off (" + *missing +
                               "): sockets use readiness, as on epoll");
      return true;
    }();
    (void)logged;
  }
  return missing->empty();
}

std::string IoUringBackend::featureSummary() const {
  if (!completions_) return "readiness";
  std::string summary = buffers_ == Buffers::kOff ? "send,sendmsg,recv"
                        : buffers_ == Buffers::kNotYet
                            ? "send,sendmsg,recv_multishot (set up at the first receive)"
                            : "send,sendmsg,recv_multishot(" +
                                  std::to_string(options_.recvBuffers) + "x" +
                                  std::to_string(options_.recvBufferSize) + ")";
  return summary + (acceptMultishot_ ? ",accept_multishot" : ",accept");
}

std::uint64_t IoUringBackend::start(
    std::unique_ptr<CompletionOperation> op,
    absl::FunctionRef<void(io_uring_sqe&)> prepare) noexcept {
  std::uint32_t slot;
  if (!freeOps_.empty()) {
    slot = freeOps_.back();
    freeOps_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(ops_.size());
    try {
      ops_.emplace_back();
      finished_.reserve(ops_.size());  // running them never allocates
    } catch (...) {
      // Out of memory: there is no slot to fail it through. Dropping the
      // operation unrun is what a reactor going away does too.
      return 0;
    }
  }
  OpSlot& s = ops_[slot];
  s.op = std::move(op);
  s.gen = internal::nextGeneration(s.gen);
  const std::uint64_t id =
      makeUserData(UserDataKind::kOperation, epoch_, static_cast<int>(slot), s.gen);
  io_uring_sqe* sqe = getSqe();
  if (sqe == nullptr) {
    // The kernel refused to take a full queue: fail it on the next poll,
    // never inside this call.
    finished_.push_back(Finished{slot, s.gen, -EBUSY, 0});
    return id;
  }
  prepare(*sqe);
  io_uring_sqe_set_data64(sqe, id);
  return id;
}

void IoUringBackend::cancel(std::uint64_t id) noexcept {
  if (internal::userDataKind(id) != UserDataKind::kOperation) return;
  const std::uint32_t slot = static_cast<std::uint32_t>(internal::userDataFd(id));
  if (slot >= ops_.size() || ops_[slot].op == nullptr ||
      ops_[slot].gen != internal::userDataGen(id)) {
    return;  // done already
  }
  io_uring_sqe* sqe = getSqe();
  if (sqe == nullptr) return;  // it completes by itself, or when the ring goes
  io_uring_prep_cancel64(sqe, id, 0);
  io_uring_sqe_set_data64(sqe, makeUserData(UserDataKind::kCancel, epoch_, 0, 0));
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
}

void IoUringBackend::gatherOperation(const io_uring_cqe& cqe) noexcept {
  const std::uint64_t ud = cqe.user_data;
  const std::uint32_t slot = static_cast<std::uint32_t>(internal::userDataFd(ud));
  if (slot >= ops_.size() || ops_[slot].op == nullptr ||
      ops_[slot].gen != internal::userDataGen(ud)) {
    releaseBuffer(cqe.flags);  // stale, but its buffer is ours
    return;
  }
  try {
    // Reserved in start() for one final CQE per live operation; only a
    // multishot receive's CQEs can take it further.
    finished_.push_back(Finished{slot, internal::userDataGen(ud), cqe.res, cqe.flags});
  } catch (...) {
    // Out of memory: the bytes are lost with it, and the connection with
    // them once its peer notices. Keep the buffer.
    releaseBuffer(cqe.flags);
  }
}

int IoUringBackend::runOperations() noexcept {
  int ran = 0;
  // A completion may start or cancel operations: index afresh each time.
  for (std::size_t i = 0; i < finished_.size(); ++i) {
    const Finished f = finished_[i];
    OpSlot& s = ops_[f.slot];
    if (s.op == nullptr || s.gen != f.gen) continue;
    ++ran;
    if ((f.flags & IORING_CQE_F_MORE) != 0) {
      cqeFlags_ = f.flags;
      deliverAndKeep(*s.op, errorOf(f.res), bytesOf(f.res));
      continue;
    }
    std::unique_ptr<CompletionOperation> op = std::move(s.op);
    freeOps_.push_back(f.slot);  // reserved: never more than ops_.size()
    cqeFlags_ = f.flags;
    deliver(std::move(op), errorOf(f.res), bytesOf(f.res));
  }
  finished_.clear();
  cqeFlags_ = 0;
  return ran;
}

void IoUringBackend::cancelOperations() noexcept {
  for (OpSlot& s : ops_) {
    if (s.op == nullptr) continue;
    if (io_uring_sqe* sqe = getSqe(); sqe != nullptr) {
      io_uring_prep_cancel64(sqe,
                             makeUserData(UserDataKind::kOperation, epoch_,
                                          static_cast<int>(&s - ops_.data()), s.gen),
                             0);
      io_uring_sqe_set_data64(sqe, makeUserData(UserDataKind::kCancel, epoch_, 0, 0));
      sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    }
  }
}

int IoUringBackend::receiveBufferGroup() noexcept {
  if (buffers_ == Buffers::kNotYet) setUpBuffers();
  return buffers_ == Buffers::kReady ? kBufferGroup : -1;
}

void IoUringBackend::setUpBuffers() noexcept {
  buffers_ = Buffers::kOff;
  if (options_.recvBuffers == 0 || switchedOff("recv_multishot")) return;
  const unsigned n = options_.recvBuffers;
  const std::size_t size = options_.recvBufferSize;
  void* ringMemory = nullptr;
  if (::posix_memalign(&ringMemory, static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)),
                       n * sizeof(io_uring_buf)) != 0) {
    return;
  }
  std::memset(ringMemory, 0, n * sizeof(io_uring_buf));
  std::unique_ptr<char[]> memory(new (std::nothrow) char[n * size]);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(ringMemory);
  reg.ring_entries = n;
  reg.bgid = kBufferGroup;
  const int rc = memory ? io_uring_register_buf_ring(&ring_, &reg, 0) : -ENOMEM;
  if (rc < 0) {
    std::free(ringMemory);
    static const bool logged = [rc] {
      log::msg("io_uring", "provided receive buffers off (" + std::string(strerror(-rc)) +
                               "; a buffer ring needs Linux 5.19): one receive into "
                               "each connection's own buffer at a time");
      return true;
    }();
    (void)logged;
    return;
  }
  bufferRing_ = static_cast<io_uring_buf_ring*>(ringMemory);
  bufferMemory_ = std::move(memory);
  io_uring_buf_ring_init(bufferRing_);
  const int mask = io_uring_buf_ring_mask(n);
  for (unsigned i = 0; i < n; ++i) {
    io_uring_buf_ring_add(bufferRing_, bufferMemory_.get() + i * size,
                          static_cast<unsigned>(size), static_cast<unsigned short>(i),
                          mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(bufferRing_, static_cast<int>(n));
  buffers_ = Buffers::kReady;
}

void IoUringBackend::tearDownBuffers() noexcept {
  if (bufferRing_ == nullptr) return;
  if (::getpid() == owner_) io_uring_unregister_buf_ring(&ring_, kBufferGroup);
  std::free(bufferRing_);
  bufferRing_ = nullptr;
  bufferMemory_.reset();
}

std::string_view IoUringBackend::receivedBytes(std::uint32_t flags,
                                               std::uint32_t bytes) const noexcept {
  if ((flags & IORING_CQE_F_BUFFER) == 0 || bufferMemory_ == nullptr) return {};
  const std::size_t id = flags >> IORING_CQE_BUFFER_SHIFT;
  return std::string_view(bufferMemory_.get() + id * options_.recvBufferSize, bytes);
}

void IoUringBackend::releaseBuffer(std::uint32_t flags) noexcept {
  if ((flags & IORING_CQE_F_BUFFER) == 0 || bufferRing_ == nullptr) return;
  const unsigned id = flags >> IORING_CQE_BUFFER_SHIFT;
  io_uring_buf_ring_add(bufferRing_, bufferMemory_.get() + id * options_.recvBufferSize,
                        options_.recvBufferSize, static_cast<unsigned short>(id),
                        io_uring_buf_ring_mask(options_.recvBuffers), 0);
  io_uring_buf_ring_advance(bufferRing_, 1);
}

void IoUringBackend::multishotRefused() noexcept {
  if (buffers_ != Buffers::kReady) return;
  buffers_ = Buffers::kOff;  // the ring stays registered until the backend goes
  static const bool logged = [] {
    log::msg("io_uring",
             "multishot receive refused (it needs Linux 6.0): one receive into each "
             "connection's own buffer at a time");
    return true;
  }();
  (void)logged;
}

void IoUringBackend::multishotAcceptRefused() noexcept {
  if (!acceptMultishot_) return;
  acceptMultishot_ = false;
  static const bool logged = [] {
    log::msg("io_uring",
             "multishot accept refused (it needs Linux 5.19): listeners accept one "
             "client per request");
    return true;
  }();
  (void)logged;
}

void IoUringBackend::failOperationsAfterFork() noexcept {
  // Their requests live in the parent's ring: here they end, cancelled.
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    if (ops_[i].op != nullptr) {
      finished_.push_back(
          Finished{static_cast<std::uint32_t>(i), ops_[i].gen, -ECANCELED, 0});
    }
  }
}

}  // namespace torsion
