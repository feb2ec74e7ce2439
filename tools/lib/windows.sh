# tools/lib/windows.sh: the Windows (mingw-w64 + Wine) test stage, sourced by
# tools/test and tools/test-windows (docs/windows.md).
#
#   source tools/lib/windows.sh
#   windows_setup || exit 1                   # installs what is missing
#   windows_test "$bep" [BAZEL_FLAGS...] -- //...; rc=$?
#
# windows_setup, on a fresh machine: installs g++-mingw-w64-x86-64-posix,
# wine64, wine, bazel-skylib and googletest (~30 s, ~1.1 GB), fetches
# Debian's abseil *source* package (the same 20220623.1 as libabsl-dev; ~5 s)
# into /opt/torsion-mingw and lays out a GoogleTest repository over
# /usr/src/googletest. `--config=mingw` overrides @com_google_absl,
# @com_google_googletest and @bazel_skylib with those directories. The first
# build compiles abseil for Windows (~2-3 min on 2 cores).

TORSION_MINGW_DEPS=/opt/torsion-mingw
TORSION_ABSL_VERSION=20220623.1

windows_setup() {
  local sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  local packages=(g++-mingw-w64-x86-64-posix wine64 wine bazel-skylib googletest)
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "windows: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 \
      install -y --no-install-recommends "${missing[@]}" >&2 || return 1
  fi

  local deps=$TORSION_MINGW_DEPS absl=abseil-$TORSION_ABSL_VERSION
  if [ ! -f "$deps/$absl/WORKSPACE" ]; then
    echo "windows: fetching Debian's abseil source package" >&2
    "${sudo_cmd[@]}" mkdir -p "$deps" && "${sudo_cmd[@]}" chown "$(id -u)" "$deps" || return 1
    local d
    d=$(mktemp -d)
    mkdir -p "$d/parts" "$d/lists/partial" "$d/cache/archives/partial"
    # The machine's own Debian mirror, as deb-src, in a private apt config:
    # the system's sources and lists are left alone.
    awk 'BEGIN{RS="";ORS="\n\n"} NR==1{sub(/Types: deb/,"Types: deb-src"); print}' \
      /etc/apt/sources.list.d/debian.sources >"$d/parts/src.sources"
    local o=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$d/parts"
             -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache")
    (cd "$d" && apt-get "${o[@]}" update -q >&2 &&
      { apt-get "${o[@]}" source --download-only "abseil=$TORSION_ABSL_VERSION-1" >&2 ||
        apt-get "${o[@]}" source --download-only abseil >&2; }) || return 1
    tar -xzf "$d"/abseil_"$TORSION_ABSL_VERSION".orig.tar.gz -C "$deps" || return 1
    rm -rf "$d"
    # Bazel 4.2.3's built-in @platforms has no cpu:wasm32/wasm64, which
    # abseil's wasm config_settings name; match them by --cpu value instead
    # (never set).
    perl -0pi -e 's/constraint_values = \[\s*"\@platforms\/\/cpu:(wasm\d\d)",\s*\]/values = {"cpu": "$1"}/g' \
      "$deps/$absl/absl/BUILD.bazel" || return 1
  fi

  if [ ! -f "$deps/googletest/BUILD.bazel" ]; then
    mkdir -p "$deps/googletest"
    ln -sfn /usr/src/googletest/googletest "$deps/googletest/googletest"
    ln -sfn /usr/src/googletest/googlemock "$deps/googletest/googlemock"
    echo 'workspace(name = "com_google_googletest")' >"$deps/googletest/WORKSPACE"
    cp third_party/mingw/googletest.BUILD "$deps/googletest/BUILD.bazel"
  fi
}

# windows_test BEP_FILE [BAZEL_FLAGS...] -- TARGETS...: `bazel test
# --config=mingw` with one shared Wine prefix and a persistent wineserver
# (20-40 ms per test binary instead of 0.5 s), stopped afterwards. Returns
# Bazel's exit code.
windows_test() {
  local bep=$1
  shift
  export WINEPREFIX="${WINEPREFIX:-${TMPDIR:-/tmp}/torsion-wineprefix}"
  /usr/lib/wine/wineserver64 -p 60 2>/dev/null || true
  tools/bazelw ${TORSION_OUTPUT_BASE:+--output_base=$TORSION_OUTPUT_BASE} test \
    --config=ci --config=mingw --keep_going --build_event_json_file="$bep" "$@"
  local rc=$?
  /usr/lib/wine/wineserver64 -k 2>/dev/null || true
  return "$rc"
}
