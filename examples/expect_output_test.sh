#!/usr/bin/env bash
# expect_output_test.sh BINARY REGEX...: runs BINARY and checks that its
# output has exactly one line per REGEX, each matching, in that order.
# Writes a JUnit-style XML with one test case per expected line, so that
# tools/test counts them like GoogleTest cases.
set -uo pipefail
binary=$1; shift
output=$("$binary" 2>&1)
status=$?
echo "$output"

mapfile -t lines <<<"$output"
failed=0
cases=""
i=0
for regex in "$@"; do
  line=${lines[$i]:-}
  if [[ $line =~ $regex ]]; then
    cases+="<testcase name=\"line$((i + 1))\" status=\"run\"/>"
  else
    echo "line $((i + 1)): expected /$regex/, got '$line'" >&2
    cases+="<testcase name=\"line$((i + 1))\" status=\"run\"><failure message=\"no match\"/></testcase>"
    failed=$((failed + 1))
  fi
  i=$((i + 1))
done
if ((${#lines[@]} != $#)); then
  echo "expected $# lines, got ${#lines[@]}" >&2
  failed=$((failed + 1))
fi
if ((status != 0)); then
  echo "$binary exited $status" >&2
  failed=$((failed + 1))
fi
if [ -n "${XML_OUTPUT_FILE:-}" ]; then
  printf '<?xml version="1.0"?><testsuites><testsuite name="%s">%s</testsuite></testsuites>\n' \
    "$(basename "$binary")" "$cases" >"$XML_OUTPUT_FILE"
fi
exit $((failed > 0))
