// torsion/backends/kevent_set.h: EV_SET that compiles as C++ on every BSD.
//
// Each argument is converted to its field's type first. FreeBSD 12+ spells
// EV_SET as a compound literal, and C++ refuses narrowing inside its braces
// (an int fd into the uintptr_t ident, an int flag expression into the
// u_short flags); macOS's types differ again (intptr_t data).
//
// <sys/event.h> is the system's, or the test emulation's (kqueue_shim/).
#ifndef TORSION_BACKENDS_KEVENT_SET_H_
#define TORSION_BACKENDS_KEVENT_SET_H_

#include <sys/event.h>

#include <cstdint>

namespace torsion {

inline void evSet(struct kevent* ev, uintptr_t ident, int filter, unsigned flags,
                  unsigned fflags, std::int64_t data = 0, void* udata = nullptr) {
  using E = struct kevent;
  EV_SET(ev, ident, static_cast<decltype(E::filter)>(filter),
         static_cast<decltype(E::flags)>(flags), static_cast<decltype(E::fflags)>(fflags),
         static_cast<decltype(E::data)>(data), udata);
}

}  // namespace torsion

#endif  // TORSION_BACKENDS_KEVENT_SET_H_
