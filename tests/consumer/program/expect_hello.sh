#!/usr/bin/env bash
# Runs the README's hello world and checks the one line it must print.
set -u
out=$("$1" 2>&1)
rc=$?
if [ "$rc" != 0 ] || [ "$out" != "hello, world" ]; then
  echo "hello world: exit $rc, printed:" >&2
  printf '%s\n' "$out" >&2
  exit 1
fi
echo "hello world printed: $out"
