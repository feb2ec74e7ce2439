#!/usr/bin/env bash
# tests/consumer/run.sh VARIANT BEP_FILE: assembles a consumer workspace from
# README.md (assemble.py), then builds and tests it with Bazel, writing the
# build events to BEP_FILE for tools/count_tests.py. Exit status: Bazel's, or
# 1 when the workspace could not be assembled or (for the readme variant)
# torsion's public targets differ from README.md's list (public_surface.py).
#
# The workspace lives under ~/.cache/torsion-consumers/VARIANT so that a
# second run finds its output base (and the shared disk cache) warm. Its Bazel
# server is shut down afterwards: each consumer has its own.
set -uo pipefail
variant=$1
bep=$2
torsion=$(cd "$(dirname "$0")/../.." && pwd)
root=${TORSION_CONSUMER_DIR:-$HOME/.cache/torsion-consumers}/$variant

# What another workspace may depend on is what the README documents.
if [ "$variant" = readme ]; then
  python3 "$torsion/tests/consumer/public_surface.py" "$torsion" || exit 1
fi

workspace=$(python3 "$torsion/tests/consumer/assemble.py" --variant "$variant" \
  --torsion "$torsion" --out "$root") || exit 1
cd "$workspace" || exit 1
# The parent's own flags come from the README's .bazelrc; these only make the
# run quiet, cacheable and countable, as tools/test's --config=ci does.
"$torsion/tools/bazelw" test --keep_going --build_event_json_file="$bep" \
  --disk_cache=~/.cache/bazel-disk-v2 --color=no --curses=no \
  --show_progress_rate_limit=30 --nosandbox_debug --incompatible_strict_action_env \
  --nocache_test_results --test_output=errors -- //...
rc=$?
"$torsion/tools/bazelw" shutdown >/dev/null 2>&1 || true
exit "$rc"
