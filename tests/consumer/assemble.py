#!/usr/bin/env python3
"""Builds a consumer workspace from README.md's own snippets.

Usage: assemble.py --variant {readme,own_abseil} --torsion DIR --out DIR

README.md marks each file a parent workspace writes with a comment
`<!-- consumer-snippet: NAME -->` right before a fenced block. This script
writes those blocks, and nothing else, as the consumer's files, so the test
always checks the snippet the README shows today. The only edit is the
placeholder path `/path/to/torsion`, replaced by the checkout under test.

Variants:
  readme      exactly the README's files, plus the consumer's tests (program/)
  own_abseil  the same, but the WORKSPACE first defines its own
              @com_google_absl (a repository generated next to the workspace,
              with a marker package torsion's definition lacks) and the
              own_abseil/ package tests that torsion builds against it
"""
import argparse
import os
import re
import shutil
import sys

SNIPPET = re.compile(
    r"<!-- consumer-snippet: (?P<name>\S+) -->\s*\n```[^\n]*\n(?P<body>.*?)\n```", re.S)
PLACEHOLDER = "/path/to/torsion"
REQUIRED = ("WORKSPACE", ".bazelrc", "BUILD.bazel", "hello.cc")

OWN_ABSEIL_DEFINITION = """\
# This workspace defines abseil itself, before torsion_dependencies() runs;
# torsion must keep this definition and build against it.
local_repository(
    name = "com_google_absl",
    path = "../abseil",
)
"""


def snippets(readme_text):
    found = {}
    for m in SNIPPET.finditer(readme_text):
        name = m.group("name")
        if name in found:
            raise ValueError(f"README.md has two consumer snippets named {name}")
        found[name] = m.group("body") + "\n"
    missing = [n for n in REQUIRED if n not in found]
    if missing:
        raise ValueError("README.md lacks the consumer snippet(s) " + ", ".join(missing) +
                         " (a `<!-- consumer-snippet: NAME -->` line before a fenced block)")
    if PLACEHOLDER not in found["WORKSPACE"]:
        raise ValueError(f"README.md's WORKSPACE snippet no longer names {PLACEHOLDER}, "
                         "the path this test replaces with the checkout under test")
    return found


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def own_abseil_repository(torsion, root):
    """The parent's own abseil: Debian's libraries under BUILD files of its
    own, plus absl/parent_marker, which torsion's definition does not have."""
    shutil.rmtree(root, ignore_errors=True)
    write(os.path.join(root, "WORKSPACE"), 'workspace(name = "com_google_absl")\n')
    build_dir = os.path.join(torsion, "third_party", "absl")
    for entry in sorted(os.listdir(build_dir)):
        if entry.endswith(".BUILD"):
            package_dir = os.path.join(root, "absl", entry[: -len(".BUILD")])
            os.makedirs(package_dir, exist_ok=True)
            shutil.copyfile(os.path.join(build_dir, entry),
                            os.path.join(package_dir, "BUILD.bazel"))
    write(os.path.join(root, "absl", "parent_marker", "BUILD.bazel"),
          'cc_library(\n'
          '    name = "parent_marker",\n'
          '    defines = ["PARENT_WORKSPACE_ABSEIL=1"],\n'
          '    visibility = ["//visibility:public"],\n'
          ')\n')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=["readme", "own_abseil"], required=True)
    parser.add_argument("--torsion", required=True, help="the torsion checkout under test")
    parser.add_argument("--out", required=True, help="directory for the consumer (replaced)")
    args = parser.parse_args()
    torsion = os.path.abspath(args.torsion)
    here = os.path.dirname(os.path.abspath(__file__))

    with open(os.path.join(torsion, "README.md"), encoding="utf-8") as f:
        try:
            files = snippets(f.read())
        except ValueError as e:
            sys.exit(f"assemble.py: {e}")

    workspace = os.path.join(os.path.abspath(args.out), "workspace")
    # Keep bazel-* output links out of the way; replace everything else.
    if os.path.isdir(workspace):
        for entry in os.listdir(workspace):
            if entry.startswith("bazel-"):
                continue
            path = os.path.join(workspace, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
    files["WORKSPACE"] = files["WORKSPACE"].replace(PLACEHOLDER, torsion)
    if args.variant == "own_abseil":
        # Right before the call, in the same WORKSPACE chunk as it (after the
        # load): there, only torsion_dependencies()' own check keeps this
        # definition. (A definition before the load would win anyway: Bazel
        # lets no later chunk replace it.)
        call = "\ntorsion_dependencies()"
        if call not in files["WORKSPACE"]:
            sys.exit("assemble.py: README.md's WORKSPACE snippet no longer calls "
                     "torsion_dependencies() on a line of its own")
        files["WORKSPACE"] = files["WORKSPACE"].replace(call, "\n" + OWN_ABSEIL_DEFINITION + call, 1)
        own_abseil_repository(torsion, os.path.join(os.path.abspath(args.out), "abseil"))
        shutil.copytree(os.path.join(here, "own_abseil"), os.path.join(workspace, "own_abseil"))
    # The consumer's tests go next to the README's files, in the root
    # package, where the README's targets are visible to them.
    program = os.path.join(here, "program")
    with open(os.path.join(program, "tests.BUILD"), encoding="utf-8") as f:
        files["BUILD.bazel"] += "\n" + f.read()
    for name, text in files.items():
        write(os.path.join(workspace, name), text)
    for entry in os.listdir(program):
        if entry != "tests.BUILD":
            shutil.copy2(os.path.join(program, entry), os.path.join(workspace, entry))
    print(workspace)


if __name__ == "__main__":
    main()
