"""@qt: Qt 5's core library (QtCore) from Debian's qtbase5-dev.

Like @gtk (third_party/gtk.bzl): `pkg-config --cflags-only-I --libs Qt5Core`
runs offline and names Qt's include directories, which this rule links into
the repository (copts pointing outside the execution root are refused) and
declares as `includes`. Only //backends:qt and what depends on it use
@qt//:qt; when the package is missing, building those fails with an #error
that names it (tools/bazelw installs it).

Debian's Qt is built with -reduce-relocations, so every file that includes
a Qt header must be compiled as position-independent code (not PIE):
qglobal.h stops with an #error otherwise. A copt given to @qt//:qt would
not reach the files that include its headers, so those targets add
QT_COPTS themselves.

@qt//:qt defines QT_NO_KEYWORDS for everything that depends on it: Qt's
`emit`, `slots` and `signals` macros would otherwise rewrite torsion's own
names (log::emit, a member called slots). Qt code beside torsion writes
Q_EMIT, Q_SLOTS and Q_SIGNALS.
"""

QT_COPTS = ["-fPIC"]

_MISSING = """\
#error "Qt 5 headers not found (pkg-config Qt5Core failed): install qtbase5-dev (tools/bazelw installs it)"
"""

def _pkg_config(ctx, flag):
    result = ctx.execute(["pkg-config", flag, "Qt5Core"])
    if result.return_code != 0:
        return None
    return [word for word in result.stdout.strip().split(" ") if word]

def _qt_repo_impl(ctx):
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    includes = _pkg_config(ctx, "--cflags-only-I")
    libs = _pkg_config(ctx, "--libs")
    if includes == None or libs == None:
        ctx.file("missing.cc", _MISSING)
        ctx.file("BUILD.bazel", "\n".join([
            'package(default_visibility = ["//visibility:public"])',
            'cc_library(name = "qt", srcs = ["missing.cc"])',
            "",
        ]))
        return
    dirs = []
    headers = []
    for i, flag in enumerate(includes):
        if not flag.startswith("-I"):
            continue
        name = "include%d" % i
        ctx.symlink(ctx.path(flag[2:]), name)
        dirs.append(name)

        # The parent directory (for <QtCore/QTimer>) holds every Qt module
        # installed; only QtCore's headers are this library's.
        headers.append(name + ("/**" if flag.endswith("/QtCore") else "/QtCore/**"))
    ctx.file("BUILD.bazel", "\n".join([
        'package(default_visibility = ["//visibility:public"])',
        "cc_library(",
        '    name = "qt",',
        # Qt's headers are mostly extensionless forwarders (QtCore/QTimer).
        "    hdrs = glob(%s," % repr(headers),
        "                allow_empty = True),",
        "    includes = %s," % repr(dirs),
        '    defines = ["QT_CORE_LIB", "QT_NO_KEYWORDS"],',
        "    linkopts = %s," % repr(libs),
        ")",
        "",
    ]))

qt_repository = repository_rule(
    implementation = _qt_repo_impl,
    local = True,
)
