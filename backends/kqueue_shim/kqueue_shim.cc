// TEST-ONLY kqueue(2)/kevent(2) emulation for Linux, over epoll, timerfd and
// eventfd. Written from FreeBSD's kqueue(2) manual page; see sys/event.h for
// the scope and docs/kqueue.md for the limits.
//
// How it maps:
// * A knote is keyed by (ident, filter). READ and WRITE knotes on one fd share
//   a single epoll registration whose mask is the union of the enabled
//   knotes' interests (epoll has one entry per fd); EPOLLET only when every
//   enabled knote on the fd asked for EV_CLEAR.
// * epoll only says "look at this fd". A knote reached that way is put on a
//   pending list and its filter is re-run at retrieval (a non-blocking
//   poll(2) on the fd plus ioctls for `data`), so a condition that no longer
//   holds is not returned, as the manual requires.
// * EVFILT_TIMER is one timerfd per knote; EVFILT_USER is a flag plus one
//   eventfd per queue that wakes a blocked kevent() in another thread.
// * Regular files and directories (epoll refuses them with EPERM) get the
//   vnode rule: READ fires while the offset is before the end of the file,
//   WRITE always; they are re-checked every 10 ms while a kevent() waits.
//
// Locking: one mutex for the table of queues and one per queue, never held
// while blocked in epoll_pwait2. Signals are blocked while a lock is held, so
// a signal handler may call kevent() (NOTE_TRIGGER, as the reactor's wakeUp
// does) without deadlocking against its own thread; the trigger path for an
// existing EVFILT_USER knote does not allocate.
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/event.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

// What an epoll event's data.u64 names: (kind << 32) | descriptor.
enum Kind : std::uint64_t { kFdKind = 0, kTimerKind = 1, kUserKind = 2 };

std::uint64_t tag(Kind kind, int fd) {
  return (static_cast<std::uint64_t>(kind) << 32) | static_cast<std::uint32_t>(fd);
}

// The flags a knote keeps from its registration and echoes back.
constexpr unsigned short kStickyFlags = EV_ONESHOT | EV_CLEAR | EV_DISPATCH | EV_RECEIPT;

// While a vnode knote is registered, a blocked kevent() re-checks it this
// often: epoll cannot watch regular files.
constexpr std::int64_t kVnodeRecheckNs = 10'000'000;

using Key = std::pair<uintptr_t, short>;

// The filters whose ident is a descriptor.
constexpr short kFdFilters[] = {EVFILT_READ, EVFILT_WRITE};

struct Knote {
  uintptr_t ident = 0;
  short filter = 0;
  unsigned short flags = 0;  // kStickyFlags given at EV_ADD
  unsigned int sfflags = 0;  // EVFILT_USER: the user's flags; TIMER: units
  std::int64_t sdata = 0;
  void* udata = nullptr;
  bool enabled = true;
  bool queued = false;     // on Kq::pending
  bool vnode = false;      // regular file or directory: no epoll registration
  bool triggered = false;  // EVFILT_USER
  int timerFd = -1;        // EVFILT_TIMER
  std::uint64_t expirations = 0;
};

// The epoll registration shared by the READ and WRITE knotes of one fd, and
// the identity of the file it was made for (close() + reuse of the number
// must not carry knotes over to the new file).
struct FdReg {
  std::uint32_t mask = 0;
  bool inEpoll = false;
  dev_t dev = 0;
  ino_t ino = 0;
};

struct Kq {
  int epfd = -1;
  int userFd = -1;  // eventfd: NOTE_TRIGGER wakes a blocked kevent()
  std::mutex mu;
  std::map<Key, std::unique_ptr<Knote>> knotes;
  std::unordered_map<int, FdReg> fds;
  std::unordered_map<int, Key> timers;  // timerfd -> its knote
  std::vector<Knote*> users;            // EVFILT_USER knotes, scanned at retrieval
  std::vector<Key> pending;             // to re-evaluate at retrieval
  int vnodes = 0;                       // registered vnode knotes

  ~Kq() {
    for (auto& [fd, key] : timers) ::close(fd);
    if (userFd >= 0) ::close(userFd);
  }
};

std::mutex gTableMu;
std::unordered_map<int, std::shared_ptr<Kq>>& table() {
  static auto* t = new std::unordered_map<int, std::shared_ptr<Kq>>;
  return *t;
}

// Blocks the signals a handler could arrive on while this thread holds one of
// our locks; restores the mask (and keeps errno) when it goes.
class SignalBlock {
 public:
  SignalBlock() {
    sigset_t all;
    sigfillset(&all);
    for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP}) sigdelset(&all, s);
    pthread_sigmask(SIG_BLOCK, &all, &old_);
  }
  ~SignalBlock() {
    const int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    errno = saved;
  }

 private:
  sigset_t old_;
};

std::shared_ptr<Kq> lookup(int kq) {
  SignalBlock block;
  std::lock_guard<std::mutex> lock(gTableMu);
  auto it = table().find(kq);
  return it == table().end() ? nullptr : it->second;
}

bool sameFile(int fd, const FdReg& reg) {
  struct stat st;
  return ::fstat(fd, &st) == 0 && st.st_dev == reg.dev && st.st_ino == reg.ino;
}

bool isFdFilter(short filter) { return filter == EVFILT_READ || filter == EVFILT_WRITE; }

// --- epoll registration of fd knotes ---------------------------------------

std::uint32_t wantedMask(Kq& k, int fd, bool* allClear) {
  std::uint32_t mask = 0;
  bool clear = true, any = false;
  for (short filter : kFdFilters) {
    auto it = k.knotes.find(Key(static_cast<uintptr_t>(fd), filter));
    if (it == k.knotes.end() || it->second->vnode || !it->second->enabled) continue;
    any = true;
    mask |= filter == EVFILT_READ ? (EPOLLIN | EPOLLRDHUP) : EPOLLOUT;
    clear = clear && (it->second->flags & EV_CLEAR) != 0;
  }
  *allClear = any && clear;
  return mask;
}

// Brings the epoll registration of `fd` in line with its knotes. Returns 0
// or an errno (EPERM: epoll refuses this kind of file).
int syncFd(Kq& k, int fd) {
  bool allClear = false;
  std::uint32_t mask = wantedMask(k, fd, &allClear);
  if (allClear) mask |= EPOLLET;
  FdReg& reg = k.fds[fd];
  if (mask == reg.mask && reg.inEpoll == (mask != 0)) return 0;
  epoll_event ev{};
  ev.events = mask;
  ev.data.u64 = tag(kFdKind, fd);
  if (mask == 0) {
    // Level-triggered EPOLLHUP/EPOLLERR would keep waking us for a fd whose
    // knotes are all disabled: take it out of the set instead.
    ::epoll_ctl(k.epfd, EPOLL_CTL_DEL, fd, &ev);
    reg.inEpoll = false;
  } else if (!reg.inEpoll) {
    if (::epoll_ctl(k.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      if (errno != EEXIST) return errno;
      // A dup of a file we still hold registered under this number.
      if (::epoll_ctl(k.epfd, EPOLL_CTL_MOD, fd, &ev) != 0) return errno;
    }
    reg.inEpoll = true;
  } else if (::epoll_ctl(k.epfd, EPOLL_CTL_MOD, fd, &ev) != 0) {
    return errno;
  }
  reg.mask = mask;
  return 0;
}

void queue(Kq& k, Knote& kn) {
  if (kn.queued) return;
  kn.queued = true;
  k.pending.emplace_back(kn.ident, kn.filter);
}

// Drops the identity record of a fd that has no knote left.
void forgetFdIfUnused(Kq& k, int fd) {
  for (short filter : kFdFilters) {
    if (k.knotes.count(Key(static_cast<uintptr_t>(fd), filter)) != 0) return;
  }
  k.fds.erase(fd);
}

void removeKnote(Kq& k, const Key& key) {
  auto it = k.knotes.find(key);
  if (it == k.knotes.end()) return;
  std::unique_ptr<Knote> kn = std::move(it->second);
  k.knotes.erase(it);
  if (kn->filter == EVFILT_TIMER) {
    k.timers.erase(kn->timerFd);
    ::close(kn->timerFd);  // also leaves the epoll set
  } else if (kn->filter == EVFILT_USER) {
    k.users.erase(std::find(k.users.begin(), k.users.end(), kn.get()));
  } else if (kn->vnode) {
    --k.vnodes;
  } else {
    syncFd(k, static_cast<int>(kn->ident));
  }
  if (isFdFilter(kn->filter)) forgetFdIfUnused(k, static_cast<int>(kn->ident));
}

// close() removes a descriptor's knotes on a real kqueue. Here we notice it
// late: when the number no longer names the file the knotes were made for.
void dropClosedFd(Kq& k, int fd) {
  auto reg = k.fds.find(fd);
  if (reg == k.fds.end() || sameFile(fd, reg->second)) return;
  for (short filter : kFdFilters) {
    auto it = k.knotes.find(Key(static_cast<uintptr_t>(fd), filter));
    if (it == k.knotes.end()) continue;
    if (it->second->vnode) --k.vnodes;
    k.knotes.erase(it);
  }
  epoll_event ev{};
  ::epoll_ctl(k.epfd, EPOLL_CTL_DEL, fd, &ev);  // a new file under the number: ENOENT
  k.fds.erase(reg);
}

// --- changelist -----------------------------------------------------------

// EV_ENABLE / EV_DISABLE as given; EV_ADD alone enables.
void applyEnable(Knote& kn, unsigned short flags, bool adding) {
  if (flags & EV_DISABLE) {
    kn.enabled = false;
  } else if ((flags & EV_ENABLE) || adding) {
    kn.enabled = true;
  }
}

int applyFd(Kq& k, const struct kevent& c) {
  if (c.ident > static_cast<uintptr_t>(INT_MAX)) return EBADF;
  const int fd = static_cast<int>(c.ident);
  struct stat st;
  if (::fstat(fd, &st) != 0) return EBADF;
  dropClosedFd(k, fd);
  const Key key(c.ident, c.filter);
  auto it = k.knotes.find(key);
  if (c.flags & EV_ADD) {
    const bool isNew = it == k.knotes.end();
    Knote* kn;
    if (isNew) {
      auto owned = std::make_unique<Knote>();
      kn = owned.get();
      kn->ident = c.ident;
      kn->filter = c.filter;
      k.knotes.emplace(key, std::move(owned));
      FdReg& reg = k.fds[fd];
      reg.dev = st.st_dev;
      reg.ino = st.st_ino;
    } else {
      kn = it->second.get();
    }
    kn->flags = c.flags & kStickyFlags;
    kn->sfflags = c.fflags;
    kn->sdata = c.data;
    kn->udata = c.udata;
    applyEnable(*kn, c.flags, true);
    if (!kn->vnode) {
      const int err = syncFd(k, fd);
      if (err == EPERM && isNew) {
        kn->vnode = true;  // regular file or directory: the vnode rule
        ++k.vnodes;
        syncFd(k, fd);
      } else if (err != 0) {
        if (isNew) removeKnote(k, key);
        return err;
      }
    }
    // The filter runs at registration, so a present condition shows. For an
    // EV_CLEAR knote the EPOLLET registration reports that condition itself;
    // queueing it too would report one arrival twice.
    if (!(kn->flags & EV_CLEAR) || kn->vnode) queue(k, *kn);
    return 0;
  }
  if (it == k.knotes.end()) return ENOENT;
  if (c.flags & EV_DELETE) {
    removeKnote(k, key);
    return 0;
  }
  Knote& kn = *it->second;
  applyEnable(kn, c.flags, false);
  if (!kn.vnode) {
    if (const int err = syncFd(k, fd); err != 0) return err;
  }
  if (kn.enabled && (!(kn.flags & EV_CLEAR) || kn.vnode)) queue(k, kn);
  return 0;
}

// Timer period in nanoseconds from data and the NOTE_* unit in fflags.
int timerPeriod(const struct kevent& c, std::int64_t* ns) {
  const unsigned int units =
      c.fflags & (NOTE_SECONDS | NOTE_MSECONDS | NOTE_USECONDS | NOTE_NSECONDS);
  std::int64_t scale = 1'000'000;
  switch (units) {
    case 0:
    case NOTE_MSECONDS:
      break;
    case NOTE_SECONDS:
      scale = 1'000'000'000;
      break;
    case NOTE_USECONDS:
      scale = 1'000;
      break;
    case NOTE_NSECONDS:
      scale = 1;
      break;
    default:
      return EINVAL;  // more than one unit
  }
  if (c.data < 0 || c.data > INT64_MAX / scale) return EINVAL;
  *ns = std::max<std::int64_t>(c.data * scale, 1);  // 0 would disarm a timerfd
  return 0;
}

int armTimer(Knote& kn, std::int64_t ns, bool absolute) {
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  if (!(kn.flags & EV_ONESHOT) && !absolute) spec.it_interval = spec.it_value;
  if (::timerfd_settime(kn.timerFd, absolute ? TFD_TIMER_ABSTIME : 0, &spec, nullptr) !=
      0) {
    return errno;
  }
  kn.expirations = 0;  // re-adding throws away undelivered expirations
  return 0;
}

int applyTimer(Kq& k, const struct kevent& c) {
  const Key key(c.ident, c.filter);
  auto it = k.knotes.find(key);
  if (c.flags & EV_ADD) {
    std::int64_t ns = 0;
    if (const int err = timerPeriod(c, &ns); err != 0) return err;
    const bool absolute = (c.fflags & NOTE_ABSTIME) != 0;
    Knote* kn;
    if (it == k.knotes.end() || absolute != ((it->second->sfflags & NOTE_ABSTIME) != 0)) {
      if (it != k.knotes.end()) removeKnote(k, key);  // the clock changes
      const int tfd = ::timerfd_create(absolute ? CLOCK_REALTIME : CLOCK_MONOTONIC,
                                       TFD_NONBLOCK | TFD_CLOEXEC);
      if (tfd < 0) return errno == EMFILE || errno == ENFILE ? ENOMEM : errno;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = tag(kTimerKind, tfd);
      if (::epoll_ctl(k.epfd, EPOLL_CTL_ADD, tfd, &ev) != 0) {
        const int err = errno;
        ::close(tfd);
        return err;
      }
      auto owned = std::make_unique<Knote>();
      kn = owned.get();
      kn->ident = c.ident;
      kn->filter = c.filter;
      kn->timerFd = tfd;
      k.knotes.emplace(key, std::move(owned));
      k.timers.emplace(tfd, key);
    } else {
      kn = it->second.get();
    }
    kn->flags = (c.flags & kStickyFlags) | EV_CLEAR;  // timers are EV_CLEAR
    kn->sfflags = c.fflags;
    kn->sdata = c.data;
    kn->udata = c.udata;
    applyEnable(*kn, c.flags, true);
    return armTimer(*kn, ns, absolute);
  }
  if (it == k.knotes.end()) return ENOENT;
  if (c.flags & EV_DELETE) {
    removeKnote(k, key);
    return 0;
  }
  applyEnable(*it->second, c.flags, false);
  if (it->second->enabled && it->second->expirations > 0) queue(k, *it->second);
  return 0;
}

// NOTE_FFAND / NOTE_FFOR / NOTE_FFCOPY on the low 24 bits, then NOTE_TRIGGER.
void touchUser(Knote& kn, unsigned int fflags) {
  const unsigned int value = fflags & NOTE_FFLAGSMASK;
  switch (fflags & NOTE_FFCTRLMASK) {
    case NOTE_FFAND:
      kn.sfflags &= value;
      break;
    case NOTE_FFOR:
      kn.sfflags |= value;
      break;
    case NOTE_FFCOPY:
      kn.sfflags = value;
      break;
    default:
      break;
  }
  if (fflags & NOTE_TRIGGER) kn.triggered = true;
}

int applyUser(Kq& k, const struct kevent& c) {
  const Key key(c.ident, c.filter);
  auto it = k.knotes.find(key);
  Knote* kn;
  if (it == k.knotes.end()) {
    if (!(c.flags & EV_ADD)) return ENOENT;
    auto owned = std::make_unique<Knote>();
    kn = owned.get();
    kn->ident = c.ident;
    kn->filter = c.filter;
    k.users.push_back(kn);
    k.knotes.emplace(key, std::move(owned));
  } else {
    kn = it->second.get();
    if (c.flags & EV_DELETE) {
      removeKnote(k, key);
      return 0;
    }
  }
  if (c.flags & EV_ADD) {
    kn->flags = c.flags & kStickyFlags;
    kn->udata = c.udata;
  }
  applyEnable(*kn, c.flags, (c.flags & EV_ADD) != 0);
  touchUser(*kn, c.fflags);
  if (kn->triggered && kn->enabled) {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(k.userFd, &one, sizeof one);
  }
  return 0;
}

int applyChange(Kq& k, const struct kevent& c) {
  if (isFdFilter(c.filter)) return applyFd(k, c);
  if (c.filter == EVFILT_TIMER) return applyTimer(k, c);
  if (c.filter == EVFILT_USER) return applyUser(k, c);
  return EINVAL;  // a filter this emulation does not have
}

// --- filters ----------------------------------------------------------------

struct Result {
  bool ready = false;
  unsigned short flags = 0;  // EV_EOF
  unsigned int fflags = 0;
  std::int64_t data = 0;
};

int intOption(int fd, int level, int name) {
  int value = 0;
  socklen_t len = sizeof value;
  return ::getsockopt(fd, level, name, &value, &len) == 0 ? value : -1;
}

bool tcpInfo(int fd, tcp_info* info) {
  socklen_t len = sizeof *info;
  return ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &len) == 0;
}

// The socket's pending error WITHOUT consuming it. Linux's SO_ERROR clears
// the error, a BSD kqueue leaves so_error for the application's recv() or
// getsockopt(); reading it here would turn a later ECONNREFUSED/ECONNRESET
// into success or a clean EOF. So it is inferred from what the kernel shows
// without side effects (POLLERR says that an error is pending):
//   AF_UNIX stream: the peer closed with data unread -> ECONNRESET.
//   TCP closed without ever taking an RTT sample (no SYN-ACK came back):
//     refused, or timed out when the SYN was retransmitted.
//   TCP otherwise: ECONNRESET.
unsigned int pendingSocketError(int fd) {
  const int domain = intOption(fd, SOL_SOCKET, SO_DOMAIN);
  const int type = intOption(fd, SOL_SOCKET, SO_TYPE);
  if (domain == AF_UNIX) return ECONNRESET;
  if ((domain == AF_INET || domain == AF_INET6) && type == SOCK_STREAM) {
    tcp_info info{};
    if (tcpInfo(fd, &info) && info.tcpi_state == TCP_CLOSE && info.tcpi_rtt == 0) {
      return info.tcpi_retransmits > 0 || info.tcpi_backoff > 0 ? ETIMEDOUT
                                                                : ECONNREFUSED;
    }
    return ECONNRESET;
  }
  return ECONNREFUSED;  // datagram sockets: an ICMP error (never with EV_EOF)
}

// Whether this side can no longer send (shutdown(SHUT_WR) or a closed
// connection) on a TCP socket: BSD's SBS_CANTSENDMORE.
bool tcpSendShut(int fd) {
  tcp_info info{};
  if (!tcpInfo(fd, &info)) return false;
  switch (info.tcpi_state) {
    case TCP_FIN_WAIT1:
    case TCP_FIN_WAIT2:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
    case TCP_TIME_WAIT:
      return true;
    default:
      return false;
  }
}

Result evalVnode(const Knote& kn, int fd) {
  Result r;
  if (kn.filter == EVFILT_WRITE) {
    r.ready = true;
    return r;
  }
  struct stat st;
  const off_t offset = ::lseek(fd, 0, SEEK_CUR);
  if (::fstat(fd, &st) != 0 || offset < 0) return r;
  r.data = static_cast<std::int64_t>(st.st_size) - offset;
  r.ready = r.data != 0;
  return r;
}

Result evalFd(const Knote& kn, int fd, const struct stat& st) {
  if (kn.vnode) return evalVnode(kn, fd);
  Result r;
  pollfd p{fd, static_cast<short>(POLLIN | POLLOUT | POLLRDHUP), 0};
  if (::poll(&p, 1, 0) < 0) return r;
  const short rev = p.revents;
  const bool socket = S_ISSOCK(st.st_mode);
  const bool stream = socket && intOption(fd, SOL_SOCKET, SO_TYPE) == SOCK_STREAM;
  const bool err = (rev & POLLERR) != 0;
  if (kn.filter == EVFILT_READ) {
    if (socket && intOption(fd, SOL_SOCKET, SO_ACCEPTCONN) == 1) {
      // Listening: data is the number of connections waiting in accept().
      tcp_info info{};
      r.ready = (rev & POLLIN) != 0;
      r.data = tcpInfo(fd, &info) ? info.tcpi_unacked : (r.ready ? 1 : 0);
      return r;
    }
    int avail = 0;
    if (::ioctl(fd, FIONREAD, &avail) != 0) avail = (rev & POLLIN) ? 1 : 0;
    r.data = avail;
    // POLLRDHUP: the read side is shut down (peer FIN or RST); POLLHUP on a
    // pipe or FIFO: the last writer is gone.
    const bool eof = (rev & (POLLRDHUP | POLLHUP)) != 0;
    if (eof) {
      r.flags |= EV_EOF;
      if (socket && err) r.fflags = pendingSocketError(fd);
    }
    r.ready = (rev & POLLIN) || avail > 0 || eof || err;
    return r;
  }
  // EVFILT_WRITE: data is the free space in the send buffer (pipe buffer).
  int queued = 0;
  if (socket) {
    const int sndbuf = intOption(fd, SOL_SOCKET, SO_SNDBUF);
    if (::ioctl(fd, SIOCOUTQ, &queued) != 0) queued = 0;
    r.data = std::max(0, sndbuf - queued);
  } else if (S_ISFIFO(st.st_mode)) {
    const int size = ::fcntl(fd, F_GETPIPE_SZ);
    if (::ioctl(fd, FIONREAD, &queued) != 0) queued = 0;
    r.data = std::max(0, size - queued);
  }
  bool eof;
  if (socket) {
    eof = (rev & POLLHUP) || (stream && err) || (stream && tcpSendShut(fd));
  } else {
    eof = err;  // a pipe whose reader is gone
  }
  if (eof) {
    r.flags |= EV_EOF;
    if (socket && err) r.fflags = pendingSocketError(fd);
  }
  r.ready = (rev & POLLOUT) || eof || err;
  return r;
}

// --- retrieval --------------------------------------------------------------

// Copies a fired knote out and applies EV_ONESHOT / EV_DISPATCH / EV_CLEAR.
// Returns false if the knote was deleted (the caller must not touch it).
bool deliver(Kq& k, Knote& kn, const Result& r, struct kevent* out) {
  out->ident = kn.ident;
  out->filter = kn.filter;
  out->flags = static_cast<unsigned short>(kn.flags | r.flags);
  out->fflags = r.fflags;
  out->data = r.data;
  out->udata = kn.udata;
  out->ext[0] = out->ext[1] = out->ext[2] = out->ext[3] = 0;
  if (kn.flags & EV_ONESHOT) {
    removeKnote(k, Key(kn.ident, kn.filter));
    return false;
  }
  if (kn.flags & EV_DISPATCH) {
    kn.enabled = false;
    if (isFdFilter(kn.filter) && !kn.vnode) syncFd(k, static_cast<int>(kn.ident));
  }
  return true;
}

// Runs the filters of the knotes that may have fired; fills at most `room`.
int gather(Kq& k, struct kevent* out, int room) {
  int n = 0;
  for (std::size_t i = 0; i < k.users.size() && n < room;) {
    Knote& kn = *k.users[i];
    if (!kn.enabled || !kn.triggered) {
      ++i;
      continue;
    }
    Result r;
    r.fflags = kn.sfflags & NOTE_FFLAGSMASK;
    r.data = kn.sdata;
    if (kn.flags & EV_CLEAR) {  // the trigger (and the flags) reset on retrieval
      kn.triggered = false;
      kn.sfflags = 0;
    }
    if (deliver(k, kn, r, &out[n++])) ++i;
  }
  if (k.vnodes > 0) {
    for (auto& [key, kn] : k.knotes) {
      if (kn->vnode && kn->enabled) queue(k, *kn);
    }
  }
  std::size_t done = 0;
  for (; done < k.pending.size() && n < room; ++done) {
    const Key key = k.pending[done];
    auto it = k.knotes.find(key);
    if (it == k.knotes.end() || !it->second->queued) continue;
    Knote& kn = *it->second;
    kn.queued = false;
    if (!kn.enabled) continue;
    Result r;
    if (kn.filter == EVFILT_TIMER) {
      r.ready = kn.expirations > 0;
      r.data = static_cast<std::int64_t>(kn.expirations);
      r.fflags = 0;
      if (r.ready) kn.expirations = 0;
    } else {
      const int fd = static_cast<int>(kn.ident);
      dropClosedFd(k, fd);
      if (k.knotes.find(key) == k.knotes.end()) continue;  // closed: gone
      struct stat st;
      if (::fstat(fd, &st) != 0) continue;
      r = evalFd(kn, fd, st);
    }
    if (r.ready) deliver(k, kn, r, &out[n++]);
  }
  k.pending.erase(k.pending.begin(), k.pending.begin() + static_cast<long>(done));
  return n;
}

// Marks what an epoll wakeup points at as pending.
void absorb(Kq& k, const epoll_event* events, int count) {
  for (int i = 0; i < count; ++i) {
    const std::uint64_t data = events[i].data.u64;
    const int fd = static_cast<int>(data & 0xffffffffu);
    switch (static_cast<Kind>(data >> 32)) {
      case kUserKind: {
        std::uint64_t drained;
        while (::read(k.userFd, &drained, sizeof drained) > 0) {
        }
        break;
      }
      case kTimerKind: {
        auto t = k.timers.find(fd);
        if (t == k.timers.end()) break;
        std::uint64_t count = 0;
        if (::read(fd, &count, sizeof count) == sizeof count) {
          Knote& kn = *k.knotes.at(t->second);
          kn.expirations += count;
          queue(k, kn);
        }
        break;
      }
      case kFdKind:
        for (short filter : kFdFilters) {
          auto it = k.knotes.find(Key(static_cast<uintptr_t>(fd), filter));
          if (it != k.knotes.end() && it->second->enabled) queue(k, *it->second);
        }
        break;
    }
  }
}

bool hasImmediateWork(const Kq& k) {
  if (!k.pending.empty()) return true;
  for (const Knote* kn : k.users) {
    if (kn->enabled && kn->triggered) return true;
  }
  return false;
}

std::int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

timespec fromNs(std::int64_t ns) {
  return timespec{static_cast<time_t>(ns / 1'000'000'000),
                  static_cast<long>(ns % 1'000'000'000)};
}

int collect(Kq& k, struct kevent* out, int room, const timespec* timeout) {
  const bool forever = timeout == nullptr;
  const std::int64_t deadline =
      forever ? 0
              : nowNs() + static_cast<std::int64_t>(timeout->tv_sec) * 1'000'000'000 +
                    timeout->tv_nsec;
  // Each pass asks epoll what changed (without blocking when something is
  // already known: pending knotes, triggered user events, vnodes on the first
  // pass), then re-runs the filters, until something holds or time is up.
  // Room for `room` epoll entries: each names at least one knote.
  std::vector<epoll_event> events(static_cast<std::size_t>(std::min(room, 4096)));
  for (int pass = 0;; ++pass) {
    std::int64_t waitNs = forever ? -1 : std::max<std::int64_t>(0, deadline - nowNs());
    {
      SignalBlock block;
      std::lock_guard<std::mutex> lock(k.mu);
      if (hasImmediateWork(k) || (pass == 0 && k.vnodes > 0)) waitNs = 0;
      if (k.vnodes > 0 && (waitNs < 0 || waitNs > kVnodeRecheckNs)) {
        waitNs = kVnodeRecheckNs;
      }
    }
    timespec ts = fromNs(std::max<std::int64_t>(waitNs, 0));
    const int got = ::epoll_pwait2(k.epfd, events.data(), static_cast<int>(events.size()),
                                   waitNs < 0 ? nullptr : &ts, nullptr);
    if (got < 0) {
      // EINTR as a real kevent() reports it; EINVAL: kq no longer an epoll fd.
      if (errno == EINVAL) errno = EBADF;
      return -1;
    }
    int n;
    {
      SignalBlock block;
      std::lock_guard<std::mutex> lock(k.mu);
      absorb(k, events.data(), got);
      n = gather(k, out, room);
    }
    if (n > 0) return n;
    if (!forever && nowNs() >= deadline) return 0;
  }
}

}  // namespace

extern "C" int torsion_kqshim_kqueue(void) {
  const int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return -1;
  auto k = std::make_shared<Kq>();
  k->epfd = epfd;
  k->userFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = tag(kUserKind, k->userFd);
  if (k->userFd < 0 || ::epoll_ctl(epfd, EPOLL_CTL_ADD, k->userFd, &ev) != 0) {
    const int err = errno;
    ::close(epfd);
    errno = err;
    return -1;
  }
  std::shared_ptr<Kq> stale;
  {
    SignalBlock block;
    std::lock_guard<std::mutex> lock(gTableMu);
    // A queue whose descriptor was closed left its state under this number.
    std::shared_ptr<Kq>& slot = table()[epfd];
    stale = std::move(slot);
    slot = std::move(k);
  }
  return epfd;  // `stale` (timerfds, eventfd) is released outside the lock
}

extern "C" int torsion_kqshim_kevent(int kq, const struct kevent* changelist,
                                     int nchanges, struct kevent* eventlist, int nevents,
                                     const struct timespec* timeout) {
  if (nchanges < 0 || nevents < 0 || (nchanges > 0 && changelist == nullptr) ||
      (nevents > 0 && eventlist == nullptr)) {
    errno = EINVAL;
    return -1;
  }
  if (timeout != nullptr && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
                             timeout->tv_nsec >= 1'000'000'000)) {
    errno = EINVAL;
    return -1;
  }
  std::shared_ptr<Kq> k = lookup(kq);
  if (k == nullptr) {
    errno = EBADF;
    return -1;
  }
  // changelist and eventlist may be the same array: read each change before
  // an error entry can overwrite it.
  int out = 0;
  {
    SignalBlock block;
    std::lock_guard<std::mutex> lock(k->mu);
    for (int i = 0; i < nchanges; ++i) {
      const struct kevent change = changelist[i];
      const int err = applyChange(*k, change);
      if (err == 0 && !(change.flags & EV_RECEIPT)) continue;
      if (out >= nevents) {
        // No room for the entry: fail, and process nothing after it.
        if (err == 0) return out;
        errno = err;
        return -1;
      }
      eventlist[out] = change;
      eventlist[out].flags = EV_ERROR;
      eventlist[out].data = err;
      ++out;
    }
  }
  // Error (or receipt) entries are returned at once, without collecting.
  if (out > 0 || nevents == 0) return out;
  return collect(*k, eventlist, nevents, timeout);
}
