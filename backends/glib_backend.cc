#include "backends/glib_backend.h"

#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/interest.h"

namespace torsion {
namespace {

GIOCondition toGlib(Interest interest) {
  return static_cast<GIOCondition>(
      (hasInterest(interest, Interest::kRead) ? G_IO_IN : 0) |
      (hasInterest(interest, Interest::kWrite) ? G_IO_OUT : 0));
}

std::uint8_t fromGlib(GIOCondition revents) {
  return static_cast<std::uint8_t>(
      ((revents & G_IO_IN) ? kReadable : 0) | ((revents & G_IO_OUT) ? kWritable : 0) |
      ((revents & G_IO_HUP) ? kHangup : 0) | ((revents & G_IO_ERR) ? kError : 0) |
      ((revents & G_IO_NVAL) ? kInvalid : 0));
}

// Microseconds, rounded up, so that a timeout never ends early.
gint64 ceilMicros(std::chrono::nanoseconds timeout) {
  return (timeout.count() + 999) / 1000;
}

// What the glib backend can do (BackendFeatures in backends/backend.h).
constexpr BackendFeatures kGlibFeatures{
    .regularFilesAlwaysReady = true,  // GLib polls with poll(2)
    // GLib keeps no kernel object per watch (it polls a list each time), but
    // a GMainContext itself is not meant to cross fork(): docs/gui.md.
    .needsReinitAfterFork = false,
    // Gathered, then dispatched by the reactor after the GLib iteration: user
    // code must not run inside GLib's dispatch of this source while poll()
    // still walks the watched list.
    .sinkMayReenter = false,
};
}  // namespace

// The one GSource: its unix fds are the watched descriptors. GLib finds it
// ready when one of them has revents, or when prepare/check say so: poll()'s
// deadline passed, or, when a GLib main loop rather than poll() iterates,
// the LoopHost has timers or thread calls due. (Not g_source_set_ready_time:
// setting it wakes the context, which would end poll()'s wait at once.)
struct GlibBackend::Source {
  GSource base;
  GlibBackend* backend;

  static gboolean prepare(GSource* s, gint* timeoutMs) {
    return self(s)->prepare(timeoutMs);
  }
  static gboolean check(GSource* s) {
    gint ignored;
    return self(s)->prepare(&ignored);
  }
  static gboolean dispatch(GSource* s, GSourceFunc, gpointer) {
    self(s)->dispatch();
    return G_SOURCE_CONTINUE;
  }
  static GlibBackend* self(GSource* s) { return reinterpret_cast<Source*>(s)->backend; }

  static GSourceFuncs funcs;
};

GSourceFuncs GlibBackend::Source::funcs = {&GlibBackend::Source::prepare,
                                           &GlibBackend::Source::check,
                                           &GlibBackend::Source::dispatch,
                                           nullptr,
                                           nullptr,
                                           nullptr};

absl::StatusOr<std::unique_ptr<Backend>> GlibBackend::create() {
  absl::StatusOr<std::unique_ptr<GlibBackend>> b = create(nullptr);
  if (!b.ok()) return b.status();
  return std::unique_ptr<Backend>(std::move(*b));
}

absl::StatusOr<std::unique_ptr<GlibBackend>> GlibBackend::create(GMainContext* context) {
  return std::unique_ptr<GlibBackend>(
      new GlibBackend(context != nullptr ? g_main_context_ref(context)
                                         : g_main_context_ref_thread_default()));
}

GlibBackend::GlibBackend(GMainContext* context)
    : Backend("glib", kGlibFeatures),
      context_(context),
      source_(reinterpret_cast<Source*>(g_source_new(&Source::funcs, sizeof(Source)))) {
  source_->backend = this;
  g_source_set_name(&source_->base, "torsion reactor");
  g_source_attach(&source_->base, context_);
}

GlibBackend::~GlibBackend() {
  g_source_destroy(&source_->base);
  g_source_unref(&source_->base);
  g_main_context_unref(context_);
}

absl::Status GlibBackend::setInterest(int fd, Interest previous, Interest wanted) {
  const Interest recorded = fd >= 0 && static_cast<std::size_t>(fd) < fds_.size()
                                ? fds_[fd].interest
                                : Interest::kNone;
  if (absl::Status s = internal::checkSetInterest("glib", fd, previous, wanted, recorded);
      !s.ok()) {
    return s;
  }
  if (previous == wanted) return absl::OkStatus();
  if (wanted == Interest::kNone) {
    removeWatch(fd);
    return absl::OkStatus();
  }
  if (previous == Interest::kNone) {
    if (absl::Status s = internal::checkDescriptorOpen("glib", fd); !s.ok()) return s;
    if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(fd + 1);
    watched_.reserve(watched_.size() + 1);  // may throw: before GLib holds the fd
    FdState& slot = fds_[fd];
    slot.tag = g_source_add_unix_fd(&source_->base, fd, toGlib(wanted));
    slot.index = static_cast<std::int32_t>(watched_.size());
    watched_.push_back(fd);
  } else {
    g_source_modify_unix_fd(&source_->base, fds_[fd].tag, toGlib(wanted));
  }
  fds_[fd].interest = wanted;
  fds_[fd].mask = internal::reportMask(wanted);
  return absl::OkStatus();
}

void GlibBackend::removeWatch(int fd) noexcept {
  FdState& slot = fds_[fd];
  g_source_remove_unix_fd(&source_->base, slot.tag);
  const int last = watched_.back();
  watched_[slot.index] = last;
  fds_[last].index = slot.index;
  watched_.pop_back();
  slot = FdState();
  slot.forgottenInRound = round_;  // GLib may hand a new watch the same tag
}

void GlibBackend::forget(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  if (fds_[fd].interest != Interest::kNone) removeWatch(fd);
}

void GlibBackend::wakeUp() const noexcept {
  woken_.store(true, std::memory_order_release);
  g_main_context_wakeup(context_);
}

absl::StatusOr<int> GlibBackend::poll(std::optional<std::chrono::nanoseconds> timeout,
                                      ReadinessSink& sink) {
  // A GLib main loop dispatched the source and the LoopHost's step polls:
  // report what that loop's poll saw, without iterating again.
  if (hostStepping_) return reportReady(sink);
  if (polling_) {
    return absl::FailedPreconditionError(
        "glib backend: poll() called from inside its own GLib iteration");
  }
  if (!g_main_context_acquire(context_)) {
    return absl::FailedPreconditionError(
        "glib backend: poll(): the GMainContext is owned by another thread "
        "(g_main_context_acquire failed)");
  }
  const bool mayBlock = !timeout || timeout->count() > 0;
  deadline_.reset();
  if (timeout && mayBlock) deadline_ = g_get_monotonic_time() + ceilMicros(*timeout);
  polling_ = true;
  sink_ = &sink;
  reported_ = 0;
  // Each iteration dispatches this source (reporting to `sink`) and any
  // other ready source of the context. One that dispatched something, a
  // wakeUp(), or a signal (EINTR, which GLib swallows) ends the wait with
  // what it found. With a deadline, GLib's own wake-ups (a source attached
  // from another thread) must not end it early: a timer never fires early,
  // and the reactor would only come back.
  for (;;) {
    const bool dispatched = g_main_context_iteration(context_, mayBlock);
    const bool woken = woken_.exchange(false, std::memory_order_acquire);
    if (dispatched || woken || !deadline_ || g_get_monotonic_time() >= *deadline_) break;
  }
  polling_ = false;
  sink_ = nullptr;
  deadline_.reset();
  g_main_context_release(context_);
  return reported_;
}

int GlibBackend::reportReady(ReadinessSink& sink) {
  // The sink may forget or re-register any fd (the reactor closing one and
  // accepting another under the same number): walk a copy, and skip a watch
  // that is gone or was replaced during this round.
  ++round_;
  batch_.clear();
  for (const int fd : watched_) batch_.push_back({fd, fds_[fd].tag});
  int reported = 0;
  for (const Watch& w : batch_) {
    const FdState& slot = fds_[w.fd];
    if (slot.tag != w.tag || slot.forgottenInRound == round_) continue;
    const std::uint8_t ready =
        fromGlib(g_source_query_unix_fd(&source_->base, w.tag)) & slot.mask;
    if (ready == 0) continue;
    sink.onReady(w.fd, ready);
    ++reported;
  }
  return reported;
}

bool GlibBackend::prepare(gint* timeoutMs) {
  *timeoutMs = -1;
  std::optional<std::chrono::nanoseconds> wait;
  if (polling_) {
    if (!deadline_) return false;
    wait = std::chrono::microseconds(*deadline_ - g_get_monotonic_time());
  } else if (host_.timeout) {
    wait = host_.timeout();
    if (!wait) return false;
  } else {
    return false;
  }
  if (wait->count() <= 0) {
    *timeoutMs = 0;
    return true;
  }
  // Rounded up: waking before the deadline would only step for nothing.
  const auto ms = (wait->count() + 999999) / 1000000;
  *timeoutMs = ms > G_MAXINT ? G_MAXINT : static_cast<gint>(ms);
  return false;
}

void GlibBackend::dispatch() {
  if (polling_) {
    reported_ += reportReady(*sink_);
    return;
  }
  // A GLib main loop runs, not poll(): hand the step to the reactor, whose
  // poll() then reports what this dispatch saw. Without a host there is no
  // one to hand it to.
  if (!host_.step || hostStepping_) return;
  hostStepping_ = true;
  host_.step();
  hostStepping_ = false;
}

}  // namespace torsion
