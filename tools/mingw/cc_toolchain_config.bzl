"""A cc_toolchain for x86_64 Windows with Debian's mingw-w64 g++ (posix threads).

Used only by `--config=mingw` (see .bazelrc and docs/windows.md). Every binary
is linked `-static`: without it the .exe imports libwinpthread-1.dll and Wine
exits with code 53 before main().
"""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "artifact_name_pattern",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
)

_COMPILE = [
    ACTION_NAMES.c_compile,
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
]

_LINK = [
    ACTION_NAMES.cpp_link_executable,
    ACTION_NAMES.cpp_link_dynamic_library,
    ACTION_NAMES.cpp_link_nodeps_dynamic_library,
]

_PREFIX = "/usr/bin/x86_64-w64-mingw32-"
_GCC = "/usr/lib/gcc/x86_64-w64-mingw32/12-posix"

def _impl(ctx):
    tools = [tool_path(name = n, path = _PREFIX + t) for n, t in [
        # The g++ driver links, so libstdc++ comes after the objects.
        ("gcc", "g++-posix"),
        ("cpp", "cpp-posix"),
        ("ld", "ld"),
        ("ar", "ar"),
        ("nm", "nm"),
        ("objdump", "objdump"),
        ("strip", "strip"),
        ("gcov", "gcov-posix"),
        ("objcopy", "objcopy"),
    ]]
    features = [
        feature(name = "default_compile_flags", enabled = True, flag_sets = [
            flag_set(actions = _COMPILE, flag_groups = [flag_group(flags = [
                "-D_WIN32_WINNT=0x0A00",
                "-DWIN32_LEAN_AND_MEAN",
                "-DNOMINMAX",
                "-Wall",
                # Keep .d files naming the symlinked paths Bazel declared.
                "-no-canonical-prefixes",
                "-fno-canonical-system-headers",
                "-Wno-builtin-macro-redefined",
                "-D__DATE__=\"redacted\"",
                "-D__TIMESTAMP__=\"redacted\"",
                "-D__TIME__=\"redacted\"",
            ])]),
            flag_set(
                actions = [ACTION_NAMES.cpp_compile, ACTION_NAMES.cpp_header_parsing],
                flag_groups = [flag_group(flags = ["-std=c++20"])],
            ),
        ]),
        feature(name = "default_link_flags", enabled = True, flag_sets = [
            flag_set(actions = _LINK, flag_groups = [flag_group(flags = [
                "-static",
                "-static-libgcc",
                "-static-libstdc++",
            ])]),
        ]),
        # The Windows libraries abseil uses but declares only for MSVC:
        # dbghelp (symbolizer), bcrypt (random seeds), advapi32. Linked into
        # every binary, last on the line so the archives before them resolve
        # against them; an import library costs nothing when unused. Our own
        # targets declare theirs (ws2_32, mswsock) in their linkopts.
        feature(name = "abseil_system_libs", enabled = True, flag_sets = [
            flag_set(actions = _LINK, flag_groups = [flag_group(flags = [
                "-ldbghelp",
                "-lbcrypt",
                "-ladvapi32",
            ])]),
        ]),
        feature(name = "supports_pic", enabled = False),
        feature(name = "opt", flag_sets = [
            flag_set(actions = _COMPILE, flag_groups = [flag_group(flags = ["-O2", "-DNDEBUG"])]),
        ]),
        feature(name = "dbg", flag_sets = [
            flag_set(actions = _COMPILE, flag_groups = [flag_group(flags = ["-g", "-O0"])]),
        ]),
    ]
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        features = features,
        tool_paths = tools,
        cxx_builtin_include_directories = [
            _GCC + "/include",
            _GCC + "/include-fixed",
            _GCC + "/include/c++",
            "/usr/x86_64-w64-mingw32/include",
            "/usr/share/mingw-w64/include",
        ],
        toolchain_identifier = "mingw-w64-x86_64",
        host_system_name = "x86_64-linux-gnu",
        target_system_name = "x86_64-w64-mingw32",
        target_cpu = "x64_windows_mingw",
        target_libc = "msvcrt",
        compiler = "mingw-gcc",
        abi_version = "unknown",
        abi_libc_version = "unknown",
        artifact_name_patterns = [
            artifact_name_pattern(category_name = "executable", prefix = "", extension = ".exe"),
        ],
    )

mingw_toolchain_config = rule(
    implementation = _impl,
    attrs = {},
    provides = [CcToolchainConfigInfo],
)
