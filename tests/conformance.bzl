"""One conformance suite, declared once, built as up to five test targets.

Every target runs the same test names (AllBackends/<Suite>.<Case>/<backend>):

  NAME              srcs + posix_srcs, on the host, over every backend it has
  NAME_kqueue_shim  the same over the test-only kqueue emulation, running the
                    */kqueue instances only (Linux; tested against epoll
                    underneath, not a BSD kernel: docs/kqueue.md)
  NAME_glib         the same over the GLib backend, running the */glib
                    instances only (Linux; glib is by name only, so it is not
                    among NAME's backends: docs/gui.md)
  NAME_qt           the same over the Qt 5 backend, running the */qt instances
                    only, inside a QCoreApplication (Linux, headless; qt is by
                    name only like glib: docs/gui.md)
  NAME_wine         srcs alone, cross-built for Windows and run under Wine 8,
                    not Windows (docs/windows.md); omitted when wine = False

posix_srcs hold the cases with no Windows counterpart (sigaction, pipes,
rlimits, raw ::socket tricks); they are compiled after srcs, so their cases
register and run last. posix_deps are what only posix_srcs need (//testing's
descriptor pairs, say), kept out of the Windows target.
"""

load("@rules_cc//cc:defs.bzl", "cc_test")
load("//tools:platforms.bzl", "POSIX_ONLY")

def conformance_test(
        name,
        srcs,
        deps,
        posix_srcs = [],
        posix_deps = [],
        size = "medium",
        shard_count = None,
        host_compatible_with = POSIX_ONLY,
        wine = True):
    cc_test(
        name = name,
        size = size,
        srcs = srcs + posix_srcs,
        shard_count = shard_count,
        target_compatible_with = host_compatible_with,
        deps = deps + posix_deps,
    )
    cc_test(
        name = name + "_kqueue_shim",
        size = size,
        srcs = srcs + posix_srcs,
        args = ["--gtest_filter=*/kqueue"],
        target_compatible_with = ["@platforms//os:linux"],
        deps = deps + posix_deps + ["//backends:kqueue_on_shim"],
    )
    # The GUI toolkits' backends, by name only: each runs its own instances.
    for toolkit, toolkit_deps in [
        ("glib", ["//backends:glib"]),
        ("qt", ["//backends:qt", "//testing:qt_application"]),
    ]:
        cc_test(
            name = name + "_" + toolkit,
            size = size,
            srcs = srcs + posix_srcs,
            args = ["--gtest_filter=*/" + toolkit],
            shard_count = shard_count,
            target_compatible_with = ["@platforms//os:linux"],
            deps = deps + posix_deps + toolkit_deps,
        )
    if wine:
        cc_test(
            name = name + "_wine",
            # Wine starts slowly and runs the suite slower than the host: a
            # small test's 60 s is too tight on a loaded machine.
            size = "medium" if size == "small" else size,
            srcs = srcs,
            target_compatible_with = ["@platforms//os:windows"],
            deps = deps,
        )
