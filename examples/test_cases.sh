# Sourced by the examples' shell tests: one JUnit-style case per check, in
# $XML_OUTPUT_FILE, so that tools/test counts the checks (as it does for
# expect_output_test.sh) rather than one pass per script.
#
#   check NAME STATUS   # STATUS 0 passes; anything else fails the case
#   finishCases SUITE   # writes the XML; exits 1 if a case failed, else 0
#   skipCases SUITE WHY # one skipped case saying why, on stderr too; exits 0
failed=0
cases=""
check() {
  if [ "$2" = 0 ]; then
    cases+="<testcase name=\"$1\" status=\"run\"/>"
  else
    echo "FAILED: $1" >&2
    cases+="<testcase name=\"$1\" status=\"run\"><failure message=\"failed\"/></testcase>"
    failed=$((failed + 1))
  fi
}
writeCases() {  # SUITE
  if [ -n "${XML_OUTPUT_FILE:-}" ]; then
    printf '<?xml version="1.0"?><testsuites><testsuite name="%s">%s</testsuite></testsuites>\n' \
      "$1" "$cases" >"$XML_OUTPUT_FILE"
  fi
}
finishCases() {
  writeCases "$1"
  exit $((failed > 0))
}
skipCases() {
  echo "SKIPPED: $1: $2" >&2
  cases="<testcase name=\"$1\" status=\"notrun\"><skipped message=\"$2\"/></testcase>"
  writeCases "$1"
  exit 0
}
