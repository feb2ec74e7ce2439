"""Checks that torsion's layers depend one way (the order: tools/layers.bzl).

Two checks, both against the LAYERS list of tools/layers.bzl:
  * Bazel dependencies: every edge "//a:x -> //b:y" of a `bazel query
    --output=graph` listing (genquery //tools:layering_deps) between two of
    torsion's packages;
  * #include lines: every "pkg/..." include of every C++ file in the tree.
A package may use its own top-level package (net/ and net/iocp/ are one)
and every package of a lower layer; never a sibling of its own layer, nor a
package above. The test helpers (TEST_HELPERS, testonly) are the exception:
any package's tests may use them, as Bazel lets only tests do. A package that is in no layer is an error too, so a new
package must be placed before it can build a passing tree.

  python3 tools/layering.py --root . --deps graph.txt   # exit 1 on a violation
"""

import argparse
import ast
import os
import re
import sys

_LABEL = re.compile(r'"(//[^:"]*):[^"]*"\s*->\s*"(//[^:"]*):[^"]*"')
_INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"/]+)/[^"]*"', re.M)
_SOURCE_SUFFIXES = (".h", ".cc", ".inc")


def load_list(path, name):
    """The list literal assigned to `name` in tools/layers.bzl."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise ValueError(f"{path}: no {name} list")


def load_layers(path):
    """LAYERS from tools/layers.bzl: a list of lists of top-level packages."""
    return load_list(path, "LAYERS")


class Layers:
    def __init__(self, layers, test_helpers=()):
        self.layers = layers
        self.index = {name: i for i, names in enumerate(layers) for name in names}
        # testonly packages every layer's tests may use (TEST_HELPERS).
        self.test_helpers = set(test_helpers)

    def top(self, package):
        return package.split("/")[0]

    def layer(self, package):
        return self.index.get(self.top(package))

    def why_not(self, user, used):
        """None if package `user` may use package `used`, else the reason."""
        for p in (user, used):
            if self.layer(p) is None:
                return f"//{p} is in no layer of tools/layers.bzl"
        if self.top(user) == self.top(used) or self.top(used) in self.test_helpers:
            return None
        lu, ld = self.layer(user), self.layer(used)
        if ld < lu:
            return None
        if ld == lu:
            return (f"{self.top(user) or '//'} and {self.top(used)} are siblings "
                    f"in one layer and must not use each other")
        return f"{self.top(used)} is in a higher layer than {self.top(user) or '//'}"


def edges(graph_text):
    """(user, used) package pairs of a `bazel query --output=graph` text,
    between torsion's own packages (external repositories start with @)."""
    for m in _LABEL.finditer(graph_text):
        yield m.group(1)[2:], m.group(2)[2:]


def check_edges(layers, graph_text):
    """Violations among the edges of a `bazel query --output=graph` text."""
    problems = []
    for m in _LABEL.finditer(graph_text):
        why = layers.why_not(m.group(1)[2:], m.group(2)[2:])
        if why:
            problems.append(f"dependency {m.group(0)}: {why}")
    return problems


def source_files(root):
    skip = {".git", "third_party", "node_modules", "external"}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = [d for d in dirnames
                       if d not in skip and not d.startswith(".")
                       and not (rel == "." and d.startswith("bazel-"))]
        for name in filenames:
            if name.endswith(_SOURCE_SUFFIXES):
                yield os.path.normpath(os.path.join(rel, name))


def check_includes(layers, root):
    """Violations among the quoted #include lines of every C++ file."""
    problems = []
    for path in sorted(source_files(root)):
        package = os.path.dirname(path)
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            text = f.read()
        for m in _INCLUDE.finditer(text):
            used = m.group(1)
            if used not in layers.index:
                continue  # not one of torsion's packages (absl/, gtest/, ...)
            why = layers.why_not(package, used)
            if why:
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{path}:{line}: includes \"{used}/...\": {why}")
    return problems


def check_coverage(layers, root):
    """Every top-level directory with a BUILD file is in a layer."""
    problems = []
    for name in sorted(os.listdir(root)):
        if name.startswith(".") or name.startswith("bazel-") or name == "third_party":
            continue
        if os.path.isfile(os.path.join(root, name, "BUILD.bazel")) and name not in layers.index:
            problems.append(f"//{name} is in no layer of tools/layers.bzl")
    return problems


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="the source tree")
    parser.add_argument("--layers", help="default: ROOT/tools/layers.bzl")
    parser.add_argument("--deps", help="`bazel query --output=graph` text to check")
    args = parser.parse_args(argv)
    path = args.layers or os.path.join(args.root, "tools/layers.bzl")
    layers = Layers(load_layers(path), load_list(path, "TEST_HELPERS"))
    problems = check_coverage(layers, args.root) + check_includes(layers, args.root)
    if args.deps:
        with open(args.deps, encoding="utf-8") as f:
            problems += check_edges(layers, f.read())
    for p in problems:
        print("FAIL:", p)
    if problems:
        return 1
    print("PASS: every dependency and include runs down the layers of tools/layers.bzl")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
