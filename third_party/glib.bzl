"""@glib: GLib's headers and library from Debian's libglib2.0-dev.

GLib's headers are not on the compiler's default path: they live in
/usr/include/glib-2.0 plus the architecture's glibconfig.h directory
(/usr/lib/<multiarch>/glib-2.0/include), and `copts` pointing outside the
execution root are refused. This rule links both directories into the
repository and declares them as `includes`. Only //backends:glib and what
depends on it use @glib//:glib; when the package is missing, building
those fails with an #error that names it (tools/bazelw installs it).
"""

_MISSING = """\
#error "GLib headers not found: install libglib2.0-dev (tools/bazelw installs it)"
"""

def _glibconfig_dir(ctx):
    lib = ctx.path("/usr/lib")
    if not lib.exists:
        return None
    for arch in lib.readdir():
        candidate = arch.get_child("glib-2.0").get_child("include")
        if candidate.get_child("glibconfig.h").exists:
            return candidate
    return None

def _glib_repo_impl(ctx):
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    headers = ctx.path("/usr/include/glib-2.0")
    config = _glibconfig_dir(ctx)
    if not headers.exists or config == None:
        ctx.file("missing.cc", _MISSING)
        ctx.file("BUILD.bazel", "\n".join([
            'package(default_visibility = ["//visibility:public"])',
            'cc_library(name = "glib", srcs = ["missing.cc"])',
            "",
        ]))
        return
    ctx.symlink(headers, "include")
    ctx.symlink(config, "config")
    ctx.file("BUILD.bazel", "\n".join([
        'package(default_visibility = ["//visibility:public"])',
        "cc_library(",
        '    name = "glib",',
        '    hdrs = glob(["include/**/*.h", "config/*.h"]),',
        '    includes = ["include", "config"],',
        '    linkopts = ["-lglib-2.0"],',
        ")",
        "",
    ]))

glib_repository = repository_rule(
    implementation = _glib_repo_impl,
    local = True,
)
