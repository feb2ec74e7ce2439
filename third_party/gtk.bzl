"""@gtk: GTK 3's headers and library from Debian's libgtk-3-dev.

GTK's headers are spread over a dozen directories (gtk-3.0, pango, cairo,
harfbuzz, gdk-pixbuf, atk, glib, ...). pkg-config knows the list, and it
runs offline, so this rule asks `pkg-config --cflags-only-I --libs gtk+-3.0`,
links each include directory into the repository (copts outside the
execution root are refused) and declares them as `includes`. Only the GTK
example depends on @gtk//:gtk; when the package is missing, building it
fails with an #error that names it (tools/bazelw installs it).
"""

_MISSING = """\
#error "GTK 3 headers not found: install libgtk-3-dev (tools/bazelw installs it)"
"""

def _pkg_config(ctx, flag):
    result = ctx.execute(["pkg-config", flag, "gtk+-3.0"])
    if result.return_code != 0:
        return None
    return [word for word in result.stdout.strip().split(" ") if word]

def _gtk_repo_impl(ctx):
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    includes = _pkg_config(ctx, "--cflags-only-I")
    libs = _pkg_config(ctx, "--libs")
    if includes == None or libs == None:
        ctx.file("missing.cc", _MISSING)
        ctx.file("BUILD.bazel", "\n".join([
            'package(default_visibility = ["//visibility:public"])',
            'cc_library(name = "gtk", srcs = ["missing.cc"])',
            "",
        ]))
        return
    dirs = []
    for i, flag in enumerate(includes):
        if not flag.startswith("-I"):
            continue
        name = "include%d" % i
        ctx.symlink(ctx.path(flag[2:]), name)
        dirs.append(name)
    ctx.file("BUILD.bazel", "\n".join([
        'package(default_visibility = ["//visibility:public"])',
        "cc_library(",
        '    name = "gtk",',
        "    hdrs = glob([%s]," % ", ".join(['"%s/**/*.h"' % d for d in dirs]),
        "                allow_empty = True),",
        "    includes = %s," % repr(dirs),
        "    linkopts = %s," % repr(libs),
        ")",
        "",
    ]))

gtk_repository = repository_rule(
    implementation = _gtk_repo_impl,
    local = True,
)
