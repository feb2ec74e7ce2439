#!/usr/bin/env python3
"""Checks that torsion's public targets are exactly those README.md lists.

Usage: public_surface.py TORSION_DIR

Reads the first column of the table under README.md's "### Public targets"
heading (labels such as `@torsion//deferred` or `:poll`, which continues the
package of the label before it), asks Bazel for every target whose
visibility is public, and fails naming each target that is public but not
documented, or documented but not public.
"""
import os
import re
import subprocess
import sys

HEADING = "### Public targets"


def canonical(label, package):
    """`@torsion//deferred` -> `//deferred:deferred`; `:poll` in package P -> `P:poll`."""
    label = label.removeprefix("@torsion")
    if label.startswith(":"):
        return f"{package}{label}"
    if ":" not in label:
        return f"{label}:{label.rsplit('/', 1)[-1]}"
    return label


def documented(readme):
    section = readme.split(HEADING, 1)
    if len(section) != 2:
        sys.exit(f"public_surface.py: README.md has no '{HEADING}' section")
    labels = set()
    for line in section[1].split("\n## ", 1)[0].splitlines():
        cells = line.split("|")
        if len(cells) < 3 or not cells[1].strip().startswith("`"):
            continue
        package = None
        for label in re.findall(r"`((?:@torsion)?//[^`]*|:[^`]+)`", cells[1]):
            full = canonical(label, package)
            package = full.split(":", 1)[0]
            labels.add(full)
    return labels


def public(torsion):
    out = subprocess.run(
        [os.path.join(torsion, "tools", "bazelw"), "query", "--color=no",
         'attr(visibility, "//visibility:public", //...)'],
        cwd=torsion, check=True, capture_output=True, text=True).stdout
    return {canonical(line.strip(), None) for line in out.splitlines() if line.strip()}


def main():
    torsion = os.path.abspath(sys.argv[1])
    with open(os.path.join(torsion, "README.md"), encoding="utf-8") as f:
        wanted = documented(f.read())
    have = public(torsion)
    ok = True
    for label in sorted(have - wanted):
        print(f"public but not in README.md's public targets: {label}", file=sys.stderr)
        ok = False
    for label in sorted(wanted - have):
        print(f"in README.md's public targets but not public: {label}", file=sys.stderr)
        ok = False
    if ok:
        print(f"public surface: {len(have)} targets, as README.md lists them")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
