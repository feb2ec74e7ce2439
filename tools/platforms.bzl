"""Platform constraints shared by BUILD files (docs/windows.md).

`bazel test --config=mingw //...` builds for Windows and runs the tests
under Wine; targets that need POSIX (pipes, fork, <poll.h>, sh_test and
py_test scripts that run on the host) say so with POSIX_ONLY and are skipped
there instead of failing. Windows-only targets use
`["@platforms//os:windows"]` directly.
"""

# Compatible with every platform except Windows. (Bazel 4.2.3's built-in
# @platforms has no `incompatible` constraint, so Windows is excluded by
# requiring a constraint a Windows platform never has.)
POSIX_ONLY = select({
    "@platforms//os:windows": ["@platforms//os:linux"],
    "//conditions:default": [],
})
