// torsion/backends/glib_backend.h: a backend that waits in a GLib
// GMainContext, so that GLib and GTK sources run beside torsion.
//
// Mirrors twisted.internet.gireactor / _glibbase: every watched descriptor is
// a unix fd of one GSource (g_source_add_unix_fd), the poll timeout is that
// source's prepare() timeout, and wakeUp() is g_main_context_wakeup(). poll() runs
// one g_main_context_iteration(), which also dispatches every other source
// of the context (a GTK window's, a g_timeout_add's): that is the point of
// the backend, and the one place a backend runs code that is not torsion's.
//
//   absl::StatusOr<std::unique_ptr<Backend>> b = GlibBackend::create();  //
//   thread-default context
//   (*b)->setInterest(fd, Interest::kNone, Interest::kRead);
//   (*b)->poll(std::chrono::milliseconds(5), sink);
//
// Opt-in: createBackend("glib") or TORSION_BACKEND=glib, after every OS
// backend in the automatic choice (backends/backend_order.bzl). To let
// g_main_loop_run() drive the reactor instead of Reactor::run(), create it
// with createGlibReactor() (core/glib_reactor.h), which sets a LoopHost.
//
// One reactor per GMainContext: two backends on one context would each
// dispatch the other's readiness. Use a context of its own
// (g_main_context_new, then create(context)) for a second reactor.
//
// Thread-safety: as Backend: only wakeUp() may be called from other threads
// (g_main_context_wakeup is thread-safe, and async-signal-safe in effect: it
// writes to the context's eventfd).
#ifndef TORSION_BACKENDS_GLIB_BACKEND_H_
#define TORSION_BACKENDS_GLIB_BACKEND_H_

#include <glib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/backend.h"
#include "backends/loop_host.h"

namespace torsion {

class GlibBackend final : public Backend {
 public:
  // What a GLib main loop (not Reactor::run) calls when it dispatches the
  // backend's source: a reactor's timeout() and iterate() (core/glib_reactor.h).
  using LoopHost = torsion::LoopHost;  // backends/loop_host.h

  // A backend on the calling thread's thread-default context
  // (g_main_context_ref_thread_default: the global default unless pushed).
  static absl::StatusOr<std::unique_ptr<Backend>> create();
  // A backend on `context` (nullptr: as create()); takes a reference.
  static absl::StatusOr<std::unique_ptr<GlibBackend>> create(GMainContext* context);

  ~GlibBackend() override;

  absl::Status setInterest(int fd, Interest previous, Interest wanted) override;
  void forget(int fd) noexcept override;
  absl::StatusOr<int> poll(std::optional<std::chrono::nanoseconds> timeout,
                           ReadinessSink& sink) override;
  void wakeUp() const noexcept override;

  GMainContext* context() const noexcept { return context_; }

  // Lets a GLib main loop on context() drive the reactor that holds this
  // backend; an empty LoopHost (the default) leaves poll() as the only driver.
  void setLoopHost(LoopHost host) { host_ = std::move(host); }

 private:
  struct Source;  // the GSource and its callbacks (glib_backend.cc)
  struct FdState {
    Interest interest = Interest::kNone;
    std::uint8_t mask = 0;               // internal::reportMask(interest)
    gpointer tag = nullptr;              // g_source_add_unix_fd's
    std::int32_t index = -1;             // in watched_
    std::uint64_t forgottenInRound = 0;  // == round_: drop its events
  };
  struct Watch {
    int fd;
    gpointer tag;
  };

  explicit GlibBackend(GMainContext* context);

  // Reports each watched fd whose poll saw something; inside a dispatch only.
  int reportReady(ReadinessSink& sink);
  void removeWatch(int fd) noexcept;

  // The source's callbacks; see glib_backend.cc.
  bool prepare(gint* timeoutMs);
  void dispatch();

  GMainContext* context_;
  Source* source_;
  std::vector<FdState> fds_;  // indexed by fd
  std::vector<int> watched_;  // the fds with a tag, for reportReady
  std::vector<Watch> batch_;  // reportReady's copy of watched_, reused
  std::uint64_t round_ = 1;   // one per reportReady
  LoopHost host_;
  ReadinessSink* sink_ = nullptr;  // set while poll() iterates the context
  int reported_ = 0;
  std::optional<gint64> deadline_;  // poll()'s, monotonic microseconds
  bool polling_ = false;
  bool hostStepping_ = false;  // inside LoopHost::step, from a dispatch
  // Set by wakeUp(), taken by poll(): tells a real wake-up from GLib's own
  // (another thread attaching a source wakes the context too).
  mutable std::atomic<bool> woken_{false};
};

}  // namespace torsion

#endif  // TORSION_BACKENDS_GLIB_BACKEND_H_
