/*
 * torsion/backends/kqueue_shim/sys/event.h: a TEST-ONLY <sys/event.h> for
 * Linux, emulating kqueue(2)/kevent(2) over epoll, timerfd and eventfd.
 *
 * Linux has no kqueue. This header lets code written for FreeBSD's and
 * macOS's <sys/event.h> (the torsion kqueue backend, and the portable
 * kqueue_shim_conformance_test) compile and run here. Constant values and the
 * struct layout follow FreeBSD 12+ (`int64_t data`, `ext[4]`); portable code
 * must use EV_SET and field names only, never numbers or ext[].
 *
 * Written from FreeBSD's kqueue(2) manual page. It is NOT a kernel: see
 * docs/kqueue.md for what it reproduces (knotes keyed by (ident, filter),
 * level-triggered reports re-checked at retrieval, EV_EOF with data pending,
 * fflags carrying the socket error, EV_ERROR/EV_RECEIPT, EV_ONESHOT,
 * EV_CLEAR, EV_DISPATCH, EV_ENABLE/EV_DISABLE, EVFILT_TIMER, EVFILT_USER)
 * and what it does not (EVFILT_SIGNAL, EVFILT_PROC, EVFILT_VNODE, NOTE_LOWAT,
 * fork semantics).
 *
 *   int kq = kqueue();
 *   struct kevent change;
 *   EV_SET(&change, fd, EVFILT_READ, EV_ADD, 0, 0, NULL);
 *   struct kevent got[8];
 *   int n = kevent(kq, &change, 1, got, 8, NULL);
 *
 * The exported symbols are torsion_kqshim_kqueue and torsion_kqshim_kevent;
 * kqueue() and kevent() are inline wrappers with internal linkage, so nothing
 * here can clash with a real kqueue library. Thread-safety: like the real
 * calls, kevent() may be used from several threads at once (EVFILT_USER's
 * NOTE_TRIGGER from another thread wakes a blocked kevent()).
 */
#ifndef TORSION_BACKENDS_KQUEUE_SHIM_SYS_EVENT_H_
#define TORSION_BACKENDS_KQUEUE_SHIM_SYS_EVENT_H_

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)
#define EVFILT_AIO (-3)
#define EVFILT_VNODE (-4)
#define EVFILT_PROC (-5)
#define EVFILT_SIGNAL (-6)
#define EVFILT_TIMER (-7)
#define EVFILT_PROCDESC (-8)
#define EVFILT_FS (-9)
#define EVFILT_LIO (-10)
#define EVFILT_USER (-11)
#define EVFILT_SENDFILE (-12)
#define EVFILT_EMPTY (-13)

/* Actions. */
#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_ENABLE 0x0004
#define EV_DISABLE 0x0008
/* Flags. */
#define EV_ONESHOT 0x0010
#define EV_CLEAR 0x0020
#define EV_RECEIPT 0x0040
#define EV_DISPATCH 0x0080
/* Returned values. */
#define EV_EOF 0x8000
#define EV_ERROR 0x4000

/* EVFILT_READ / EVFILT_WRITE. */
#define NOTE_LOWAT 0x0001

/* EVFILT_USER. */
#define NOTE_FFNOP 0x00000000
#define NOTE_FFAND 0x40000000
#define NOTE_FFOR 0x80000000
#define NOTE_FFCOPY 0xc0000000
#define NOTE_FFCTRLMASK 0xc0000000
#define NOTE_FFLAGSMASK 0x00ffffff
#define NOTE_TRIGGER 0x01000000

/* EVFILT_TIMER units; milliseconds when none is given. */
#define NOTE_SECONDS 0x00000001
#define NOTE_MSECONDS 0x00000002
#define NOTE_USECONDS 0x00000004
#define NOTE_NSECONDS 0x00000008
#define NOTE_ABSTIME 0x00000010

struct kevent {
  uintptr_t ident;
  short filter;
  unsigned short flags;
  unsigned int fflags;
  int64_t data;
  void* udata;
  uint64_t ext[4];
};

#define EV_SET(kevp_, a, b, c, d, e, f) \
  do {                                  \
    struct kevent* ev_set_p_ = (kevp_); \
    ev_set_p_->ident = (a);             \
    ev_set_p_->filter = (b);            \
    ev_set_p_->flags = (c);             \
    ev_set_p_->fflags = (d);            \
    ev_set_p_->data = (e);              \
    ev_set_p_->udata = (f);             \
    ev_set_p_->ext[0] = 0;              \
    ev_set_p_->ext[1] = 0;              \
    ev_set_p_->ext[2] = 0;              \
    ev_set_p_->ext[3] = 0;              \
  } while (0)

#ifdef __cplusplus
extern "C" {
#endif

int torsion_kqshim_kqueue(void);
int torsion_kqshim_kevent(int kq, const struct kevent* changelist, int nchanges,
                          struct kevent* eventlist, int nevents,
                          const struct timespec* timeout);

#ifdef __cplusplus
}
#endif

static inline int kqueue(void) { return torsion_kqshim_kqueue(); }

static inline int kevent(int kq, const struct kevent* changelist, int nchanges,
                         struct kevent* eventlist, int nevents,
                         const struct timespec* timeout) {
  return torsion_kqshim_kevent(kq, changelist, nchanges, eventlist, nevents, timeout);
}

#endif /* TORSION_BACKENDS_KQUEUE_SHIM_SYS_EVENT_H_ */
