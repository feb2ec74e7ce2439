#!/usr/bin/env bash
# expect_output_test.sh [--status=N] [--arg=ARG]... [--exact] BINARY REGEX...:
# runs BINARY (with each ARG, in order) and checks that it exits with
# status N (default 0) and that its output has exactly one line per REGEX,
# each matching, in that order. With --exact each REGEX is a line to
# compare as it is instead, which reads better for output full of regex
# syntax. The output is stdout's lines followed by stderr's: stdout is
# block-buffered in a pipe, so the two streams merged as written would be
# ordered by buffer flushes, not by the program.
# Writes a JUnit-style XML with one test case per expected line, so that
# tools/test counts them like GoogleTest cases.
set -uo pipefail
expected_status=0
binary_args=()
exact=false
while (($#)); do
  case $1 in
    --status=*) expected_status=${1#--status=}; shift ;;
    --arg=*) binary_args+=("${1#--arg=}"); shift ;;
    --exact) exact=true; shift ;;
    *) break ;;
  esac
done
binary=$1; shift
dir=${TEST_TMPDIR:-$(mktemp -d)}
"$binary" "${binary_args[@]}" >"$dir/stdout" 2>"$dir/stderr"
status=$?
output=$(cat "$dir/stdout" "$dir/stderr")
echo "$output"

mapfile -t lines <<<"$output"
failed=0
cases=""
i=0
for regex in "$@"; do
  line=${lines[$i]:-}
  if { $exact && [[ $line == "$regex" ]]; } || { ! $exact && [[ $line =~ $regex ]]; }; then
    cases+="<testcase name=\"line$((i + 1))\" status=\"run\"/>"
  else
    if $exact; then
      echo "line $((i + 1)): expected '$regex', got '$line'" >&2
    else
      echo "line $((i + 1)): expected /$regex/, got '$line'" >&2
    fi
    cases+="<testcase name=\"line$((i + 1))\" status=\"run\"><failure message=\"no match\"/></testcase>"
    failed=$((failed + 1))
  fi
  i=$((i + 1))
done
if ((${#lines[@]} != $#)); then
  echo "expected $# lines, got ${#lines[@]}" >&2
  failed=$((failed + 1))
fi
if ((status != expected_status)); then
  echo "$binary exited $status, expected $expected_status" >&2
  failed=$((failed + 1))
fi
if [ -n "${XML_OUTPUT_FILE:-}" ]; then
  printf '<?xml version="1.0"?><testsuites><testsuite name="%s">%s</testsuite></testsuites>\n' \
    "$(basename "$binary")" "$cases" >"$XML_OUTPUT_FILE"
fi
exit $((failed > 0))
