"""Repositories for libraries installed by Debian's packages.

Each repository is a directory of symlinked BUILD files whose targets carry
only `linkopts`: the headers live in /usr/include, which the toolchain already
searches. The names and labels match the upstream repositories, so a parent
workspace that pulls the real abseil, GoogleTest or Google Benchmark can depend
on torsion unchanged.
"""

load("//third_party:glib.bzl", "glib_repository")
load("//third_party:gtk.bzl", "gtk_repository")
load("//third_party:qt.bzl", "qt_repository")

def _system_repo_impl(ctx):
    for label, package in ctx.attr.build_files.items():
        ctx.symlink(label, package + "/BUILD.bazel" if package else "BUILD.bazel")
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)

system_repo = repository_rule(
    implementation = _system_repo_impl,
    attrs = {
        # BUILD file label -> package path inside the repository ("" = root).
        "build_files": attr.label_keyed_string_dict(allow_files = True),
    },
)

def _coverage_stub_impl(ctx):
    # @bazel_tools refers to this repository; the real one is a download.
    ctx.file("WORKSPACE", "workspace(name = \"remote_coverage_tools\")\n")
    ctx.file("BUILD.bazel", "\n".join([
        'package(default_visibility = ["//visibility:public"])',
        'filegroup(name = "coverage_report_generator")',
        'filegroup(name = "lcov_merger")',
        "",
    ]))

_coverage_stub = repository_rule(implementation = _coverage_stub_impl)

_ABSL_PACKAGES = [
    "base",
    "container",
    "debugging",
    "functional",
    "hash",
    "memory",
    "meta",
    "numeric",
    "status",
    "strings",
    "synchronization",
    "time",
    "types",
    "utility",
    "cleanup",
    "algorithm",
]

def _add(existing, name, build_files):
    if name not in existing:
        system_repo(name = name, build_files = build_files)

def system_deps():
    """Defines every system repository the parent workspace has not defined."""
    existing = native.existing_rules()
    _add(existing, "com_google_absl", {
        Label("//third_party/absl:%s.BUILD" % p): "absl/" + p
        for p in _ABSL_PACKAGES
    })
    _add(existing, "com_google_googletest", {Label("//third_party:googletest.BUILD"): ""})
    _add(existing, "com_github_google_benchmark", {Label("//third_party:benchmark.BUILD"): ""})
    _add(existing, "system_peers", {Label("//third_party:peers.BUILD"): ""})
    _add(existing, "liburing", {Label("//third_party:liburing.BUILD"): ""})
    _add(existing, "openssl", {Label("//third_party:openssl.BUILD"): ""})
    if "glib" not in existing:
        glib_repository(name = "glib")
    if "gtk" not in existing:
        gtk_repository(name = "gtk")
    if "qt" not in existing:
        qt_repository(name = "qt")
    if "remote_coverage_tools" not in existing:
        _coverage_stub(name = "remote_coverage_tools")
