// Standalone Asio running the shared workloads on its documented fast paths:
// posix::stream_descriptor::async_wait(wait_read), re-armed after each
// event; steady_timer objects created once and re-armed each round; and
// asio::post for call-soon.
#include <asio.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "benchmarks/cross_thread.h"
#include "benchmarks/drivers.h"

namespace torsion::bench {
namespace {

class AsioLoop {
 public:
  static absl::StatusOr<std::unique_ptr<AsioLoop>> create() {
    return std::unique_ptr<AsioLoop>(new AsioLoop());
  }
  ~AsioLoop() {
    // The ring owns the descriptors: release them before the descriptor
    // objects would close them.
    for (auto& [fd, reader] : readers_) reader->descriptor.release();
  }

  absl::Status watchReadable(int fd, const Callback* cb) {
    auto reader =
        std::make_unique<Reader>(Reader{asio::posix::stream_descriptor(context_), cb});
    asio::error_code error;
    reader->descriptor.assign(fd, error);
    if (error) {
      return absl::InternalError("asio: assign(fd=" + std::to_string(fd) +
                                 ") failed: " + error.message());
    }
    arm(reader.get());
    readers_[fd] = std::move(reader);
    return absl::OkStatus();
  }

  void unwatch(int fd) {
    auto it = readers_.find(fd);
    if (it == readers_.end()) return;
    it->second->descriptor.cancel();
    // The aborted wait completes later and still refers to the reader.
    retired_.push_back(std::move(it->second));
    readers_.erase(it);
    poll();
    retired_.back()->descriptor.release();
  }

  void reserveTimers(std::size_t n) {
    timers_.clear();
    timers_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) timers_.emplace_back(context_);
  }

  void startTimer(std::size_t slot, double delaySeconds, const Callback* cb) {
    asio::steady_timer& timer = timers_[slot];
    timer.expires_after(std::chrono::duration_cast<asio::steady_timer::duration>(
        std::chrono::duration<double>(delaySeconds)));
    timer.async_wait([cb](const asio::error_code& error) {
      if (!error) (*cb)();
    });
  }

  // The aborted handler still runs (with operation_aborted) on a later pass.
  void cancelTimer(std::size_t slot) { timers_[slot].cancel(); }

  void callSoon(const Callback* cb) {
    asio::post(context_, [cb] { (*cb)(); });
  }

  void runOnce() { poll(); }

  // W6: asio::post is thread-safe; run_one() sleeps until a handler is
  // ready (the work guard keeps it from returning at once when idle).
  void callFromThread(const Callback* cb) {
    asio::post(context_, [cb] { (*cb)(); });
  }
  void runBlocking() {
    if (!idleGuard_) idleGuard_.emplace(context_.get_executor());
    if (context_.stopped()) context_.restart();
    context_.run_one();
  }

 private:
  struct Reader {
    asio::posix::stream_descriptor descriptor;
    const Callback* cb;
  };

  AsioLoop() = default;

  void arm(Reader* reader) {
    reader->descriptor.async_wait(asio::posix::stream_descriptor::wait_read,
                                  [this, reader](const asio::error_code& error) {
                                    if (error) return;
                                    (*reader->cb)();
                                    arm(reader);
                                  });
  }

  // poll() runs every ready handler without blocking. io_context stops when
  // it runs out of work and must be restarted before the next poll.
  void poll() {
    if (context_.stopped()) context_.restart();
    context_.poll();
  }

  asio::io_context context_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> idleGuard_;
  std::unordered_map<int, std::unique_ptr<Reader>> readers_;
  std::vector<std::unique_ptr<Reader>> retired_;
  std::vector<asio::steady_timer> timers_;
};

const bool kRegistered =
    registerWorkloads("asio", [] { return AsioLoop::create(); }) &&
    registerThreadWorkloads("asio", [] { return AsioLoop::create(); });

}  // namespace
}  // namespace torsion::bench
