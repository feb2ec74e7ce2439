#!/usr/bin/env bash
# Backends sit below the reactor (DESIGN.md §1): they may use //core:log and
# nothing else from core/, and nothing from deferred/, task/ or net/. Bazel
# visibility cannot forbid a dependency from this side, so check here.
set -euo pipefail
dir="${TEST_SRCDIR}/${TEST_WORKSPACE}/backends"
status=0
for f in "$dir"/*.h "$dir"/*.cc; do
  bad=$(grep -nE '#include "(core|deferred|task|net)/' "$f" | grep -v '"core/log.h"' || true)
  if [[ -n "$bad" ]]; then
    echo "FAIL: $(basename "$f") includes a higher layer: $bad"
    status=1
  fi
done
# BUILD.bazel and the macros it loads (backend_library() adds dependencies).
for f in "$dir/BUILD.bazel" "$dir"/*.bzl; do
  bad=$(grep -nE '"//(core|deferred|task|net)[:/"]' "$f" | grep -v '"//core:log"' |
        grep -vE '"//(core|net):__subpackages__"' || true)
  if [[ -n "$bad" ]]; then
    echo "FAIL: backends/$(basename "$f") depends on a higher layer: $bad"
    status=1
  fi
done
[[ $status == 0 ]] && echo "PASS: backends/ depends on no layer above it except //core:log"
exit $status
