"""The layers of torsion, lowest first: the one place their order is written.

A package may depend on, and include from, its own top-level package (net/
and net/iocp/ are one) and every package of a lower layer: never a sibling
of its own layer (backends and deferred know nothing of each other), nor a
package above. Each library package's BUILD file calls layer_users() for
the allow-list its shared libraries are visible to; every BUILD file ends
with layer_check(), whose outputs //tools:layering_test checks against this
same list (tools/layering.py).
"""

load("//tools:platforms.bzl", "POSIX_ONLY")

LAYERS = [
    ["base"],
    ["backends", "deferred"],
    ["core"],
    ["task"],
    ["net"],
    ["", "benchmarks", "examples", "fuzz", "testing", "tests", "tools"],
]

# Test helpers (testonly): the tests of every layer may use them, and they
# may use every layer. Bazel's testonly keeps every library from depending
# on them, so no library's graph runs upward through them.
TEST_HELPERS = ["testing"]

# Every package whose targets and sources //tools:layering_test reads: each
# ends its BUILD file with layer_check(). A package missing here fails the
# test as soon as anything it depends on, or anything depending on it, is
# checked.
CHECKED_PACKAGES = [
    "",
    "backends",
    "base",
    "benchmarks",
    "benchmarks/soak",
    "core",
    "deferred",
    "examples",
    "fuzz",
    "net",
    "net/iocp",
    "net/uring",
    "net/tls",
    "task",
    "tests",
    "tests/lifetimes",
    "tests/net",
    "tests/task",
    "testing",
    "tools",
]

def layer_of(package):
    """The index in LAYERS of a package ("core", "net/iocp", "" for //)."""
    top = package.split("/")[0]
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    fail("package //%s is in no layer of //tools:layers.bzl" % package)

def layer_users(layer_package):
    """Defines :users, the packages that may depend on `layer_package`.

    Those are the package itself (with its subpackages) and every package of
    a higher layer. Libraries other layers use say visibility = [":users"];
    everything else keeps the private default.
    """
    own = layer_of(layer_package)
    packages = ["//%s/..." % layer_package]
    for names in LAYERS[own + 1:]:
        for name in names:
            # "" is the root package (//:torsion) alone, not the whole tree.
            packages.append("//" if name == "" else "//%s/..." % name)
    native.package_group(name = "users", packages = packages)

def _spelling(value):
    # A select() read back from a rule spells its keys Label("...").
    return str(value).replace("Label(", "").replace("\")", "\"")

def _one_platform_only(rule):
    # Anything but "every platform" or POSIX_ONLY (which includes the host
    # the test runs on).
    compat = rule.get("target_compatible_with")
    if not compat:
        return False
    return _spelling(compat) != _spelling(POSIX_ONLY)

def _reads_layer_checks(rule):
    data = rule.get("data")
    return type(data) in ("list", "tuple") and [d for d in data if str(d).endswith(":layer_deps")]

def layer_check():
    """Call last in a BUILD file: what //tools:layering_test reads here.

    :layer_deps lists each target's direct dependencies (a genquery, so
    Bazel's own view of the graph); :layer_sources holds the C++ sources
    whose #include lines are checked. Targets for one platform (Windows,
    FreeBSD/macOS) stay out of the query, their sources are still checked: a
    genquery over a target incompatible with the host would be skipped, and
    the test with it.
    """
    package = native.package_name()
    names = sorted([
        name
        for name, rule in native.existing_rules().items()
        if not _one_platform_only(rule) and not _reads_layer_checks(rule) and
           rule["kind"] != "genquery"
    ])
    labels = ["//%s:%s" % (package, n) for n in names]
    native.genquery(
        name = "layer_deps",
        expression = "deps(set(%s), 1)" % " ".join(['"%s"' % l for l in labels]),
        scope = labels,
        opts = ["--output=graph"],
        testonly = True,
        visibility = ["//tools:__pkg__"],
    )
    native.filegroup(
        name = "layer_sources",
        srcs = native.glob(["*.h", "*.cc", "**/*.h", "**/*.cc"]),
        testonly = True,
        visibility = ["//tools:__pkg__"],
    )
