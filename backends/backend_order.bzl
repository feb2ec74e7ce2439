"""The backends, in the order the automatic choice tries them.

createBackend() with no name and no TORSION_BACKEND (backends/registry.h)
takes the first backend, in this order, that is linked in and whose probe
passes, as libevent walks its eventops[]. This table is the only place a
preference is written: backend_library() (backends/backend_library.bzl)
registers each backend from its row, gives the row's platforms to
target_compatible_with, and //backends:all links the rows of the platform
being built.

Columns:
  name        what createBackend(name) and TORSION_BACKEND take
  preference  lower is tried first; equal preferences go by name
  where       the platforms the backend builds on (and //backends:all has it)
  target      the //backends library
  factory     the static create() the registry calls (a C++ name)
  probe       optional: a static absl::Status() that says whether this
              machine can run the backend (cheap; ENOSYS from io_uring_setup,
              say); without one the backend is always available
  automatic   optional, True by default: False keeps the backend out of the
              automatic choice, so only its name selects it (glib: a GUI
              toolkit's loop is something a program asks for; qt too)
"""

# Where a backend builds. `oses` lists @platforms//os constraints; an empty
# list means every platform except Windows (POSIX).
def _where(label, oses):
    return struct(label = label, oses = oses)

WINDOWS = _where("Windows", ["@platforms//os:windows"])
LINUX = _where("Linux", ["@platforms//os:linux"])
BSD_AND_MACOS = _where("FreeBSD, macOS, OpenBSD", [
    "@platforms//os:freebsd",
    "@platforms//os:macos",
    "@platforms//os:openbsd",
])
POSIX = _where("every platform but Windows", [])

def _row(name, preference, where, target, factory, probe = None, automatic = True):
    return struct(
        name = name,
        preference = preference,
        where = where,
        target = target,
        factory = factory,
        probe = probe,
        automatic = automatic,
    )

BACKENDS = [
    #    name         pref  where           target        factory                    probe
    _row("iocp",      5,    WINDOWS,        "iocp",       "IocpBackend::create"),
    _row("epoll",     10,   LINUX,          "epoll",      "EpollBackend::create",     "EpollBackend::probe"),
    # After epoll: Linux takes io_uring by name, or when epoll fails to start.
    _row("io_uring",  15,   LINUX,          "io_uring",   "IoUringBackend::create",   "IoUringBackend::probe"),
    _row("kqueue",    15,   BSD_AND_MACOS,  "kqueue",     "KqueueBackend::create",    "KqueueBackend::probe"),
    _row("poll",      20,   POSIX,          "poll",       "PollBackend::create"),
    _row("select",    30,   POSIX,          "select",     "SelectBackend::create"),
    # winsock select(), under the same name.
    _row("select",    30,   WINDOWS,        "win_select", "WinSelectBackend::create"),
    # A GLib GMainContext (docs/gui.md): by name only, and not in //backends:all,
    # so that only programs that ask for it link GLib.
    _row("glib",      50,   LINUX,          "glib",       "GlibBackend::create",      automatic = False),
    # Qt 5's event dispatcher of the calling thread (docs/gui.md): likewise.
    _row("qt",        50,   LINUX,          "qt",         "QtBackend::create",        automatic = False),
]

# After every row: a test-only build of a backend registered here is never
# the automatic choice (//backends:kqueue_on_shim).
AFTER_EVERY_BACKEND = 900
