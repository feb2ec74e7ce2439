#!/bin/bash
# tools/mingw/wine.sh EXE ARGS...: runs a Windows test binary under Wine 8,
# headless. Bazel's `--run_under` for `--config=mingw`.
#
# One prefix is shared by every test ($WINEPREFIX, default
# ${TMPDIR:-/tmp}/torsion-wineprefix); the first caller creates it under a
# lock and turns off winedbg, so a crashing test fails at once instead of
# hanging until the Bazel timeout. Bazel's output paths are rewritten to Z:\
# paths, because Windows gtest reads a drive-less path as relative.
set -u
export WINEDEBUG="${WINEDEBUG:--all}" WINEDLLOVERRIDES="mscoree,mshtml="
export WINEPREFIX="${WINEPREFIX:-${TMPDIR:-/tmp}/torsion-wineprefix}"
WINE=/usr/lib/wine/wine64
if [ ! -x "$WINE" ]; then
  echo "wine.sh: $WINE is missing; run tools/test-windows (it installs wine64)" >&2
  exit 2
fi
(
  flock 9
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    "$WINE" wineboot --init >/dev/null 2>&1
    key='HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug'
    "$WINE" reg add "$key" /v Debugger /d false /f >/dev/null 2>&1
    "$WINE" reg add "$key" /v Auto /d 1 /f >/dev/null 2>&1
  fi
) 9>"${WINEPREFIX%/}.lock"
for v in XML_OUTPUT_FILE TEST_PREMATURE_EXIT_FILE TEST_TMPDIR \
  TEST_UNDECLARED_OUTPUTS_DIR TEST_SHARD_STATUS_FILE; do
  val="${!v:-}"
  if [ -n "$val" ] && [ "${val:0:1}" = / ]; then export "$v=Z:${val//\//\\}"; fi
done
exec "$WINE" "$@"
