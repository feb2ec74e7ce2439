"""torsion_dependencies(): everything torsion needs that a workspace lacks.

A workspace that depends on torsion calls this from its WORKSPACE (README.md,
"Using torsion from another Bazel workspace"); torsion's own WORKSPACE calls
it too, so both build against the same definitions.

Each repository is defined only when the calling workspace has not defined it
already, so a parent that brings its own abseil, GoogleTest, Google Benchmark
or rule repositories keeps them, and torsion builds against those.
"""

load("//third_party:system_repos.bzl", "system_deps")

# Debian's bazel-bootstrap-source ships forwarding mocks of rules_cc and
# rules_java. @bazel_tools asks for both at load time and would otherwise
# download them, which fails offline.
_DEBIAN_RULE_MOCKS = "/usr/src/bazel-bootstrap/mock_repos/"

def _rule_mocks(existing):
    for name in ["rules_cc", "rules_java"]:
        if name not in existing:
            native.local_repository(name = name, path = _DEBIAN_RULE_MOCKS + name)

def torsion_dependencies():
    """Defines the repositories torsion needs that the workspace lacks.

    Rule repositories: rules_cc, rules_java (Debian's offline mocks).
    Libraries, under their upstream names, from Debian's packages:
    com_google_absl, com_google_googletest, com_github_google_benchmark,
    liburing, openssl (for net/tls), glib (for the opt-in GLib backend), gtk (the GTK example only), qt (for the opt-in Qt backend), and system_peers (libevent, libev, libuv, Asio; only
    torsion's benchmarks use them). Plus a stub of remote_coverage_tools,
    which @bazel_tools would otherwise download.
    """
    existing = native.existing_rules()
    _rule_mocks(existing)
    system_deps()
