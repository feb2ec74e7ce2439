"""fuzz_target: one libFuzzer binary and one replay test per target.

For a target NAME with source NAME_fuzzer.cc, dictionary NAME.dict, seed
corpus corpus/NAME/ and regression inputs regressions/NAME/:

  NAME_fuzzer      the libFuzzer binary. Needs clang: build it with
                   --config=fuzz (tools/fuzz does). Tagged manual, so
                   `bazel test //...` under gcc never tries to link it.
  NAME_replay_test a plain test on every compiler: runs the target's
                   LLVMFuzzerTestOneInput on every seed and regression input
                   (fuzz/replay_main.cc) and checks that the dictionary
                   parses.

Both are Linux/POSIX only: the Windows build has no libFuzzer, and the
protocols and Deferreds they drive are tested on Windows by their own suites.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_test")
load("//tools:platforms.bzl", "POSIX_ONLY")

def fuzz_target(name, deps = [], srcs = [], size = "small"):
    sources = [name + "_fuzzer.cc"] + srcs
    inputs = native.glob(
        ["corpus/%s/**" % name, "regressions/%s/**" % name],
        allow_empty = True,
    )
    cc_binary(
        name = name + "_fuzzer",
        srcs = sources,
        deps = deps,
        linkopts = ["-fsanitize=fuzzer"],
        tags = ["manual"],
        testonly = True,
        target_compatible_with = POSIX_ONLY,
    )
    cc_test(
        name = name + "_replay_test",
        size = size,
        srcs = sources,
        deps = deps + ["//fuzz:replay_main"],
        data = inputs + [name + ".dict"],
        args = [
            "--dict=fuzz/%s.dict" % name,
            "fuzz/corpus/" + name,
            "fuzz/regressions/" + name,
        ],
        target_compatible_with = POSIX_ONLY,
    )
