"""How the examples are built and tested.

example_binary: an example that creates its reactor and reads its options
with example_main.h. expect_output_test: an example run by
expect_output_test.sh, which checks its exit status and output.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary")
load("//tools:platforms.bzl", "POSIX_ONLY")

def example_binary(name, deps, **kwargs):
    """The example NAME.cc, with the header its main() shares with the others.

    Args:
      name: the example's name, and its source file's without ".cc".
      deps: torsion's public targets it uses.
      **kwargs: passed on to cc_binary.
    """
    cc_binary(
        name = name,
        srcs = [
            "example_main.h",
            name + ".cc",
        ],
        deps = deps,
        **kwargs
    )

def expect_output_test(name, binary, lines, status = 0, binary_args = [], exact = False):
    """Runs `binary` and checks its exit status and output, line by line.

    Args:
      name: the test's name.
      binary: the example's label.
      lines: what the output must be, a line each: a regex, or with `exact`
        the line itself (`$$` for a `$`: args are Make-expanded).
      status: the exit status the example must end with.
      binary_args: the example's command line.
      exact: compare `lines` as text rather than as regexes.
    """
    native.sh_test(
        name = name,
        size = "small",
        srcs = ["expect_output_test.sh"],
        args = (["--status=%d" % status] if status else []) +
               ["--arg=" + _quote(arg) for arg in binary_args] +
               (["--exact"] if exact else []) +
               ["$(location %s)" % binary] +
               [_quote(line) for line in lines],
        data = [binary],
        target_compatible_with = POSIX_ONLY,
    )

def _quote(text):
    # Bazel splits args like a shell (Bourne quoting): one word each.
    return "'" + text.replace("'", "'\\''") + "'"
