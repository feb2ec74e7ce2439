#!/usr/bin/env bash
# chat_server_test.sh CHAT_SERVER: starts the chat server on an ephemeral
# port, connects two clients with bash's /dev/tcp, and checks the
# conversation line by line. Writes a JUnit-style XML with one case per
# check so tools/test counts them (like expect_output_test.sh).
set -uo pipefail
server=$1

out=$(mktemp)
"$server" --port 0 >"$out" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rm -f "$out"
}
trap cleanup EXIT

port=""
for _ in $(seq 100); do
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$out")
  [ -n "$port" ] && break
  sleep 0.05
done

cases=""
failed=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ $3 == "$2" ]]; then
    cases+="<testcase name=\"$1\" status=\"run\"/>"
  else
    echo "$1: expected '$2', got '$3'" >&2
    cases+="<testcase name=\"$1\" status=\"run\"><failure message=\"mismatch\"/></testcase>"
    failed=$((failed + 1))
  fi
}
# readline FD: one line from FD without its CR LF ("<timeout>" after 5 s).
readline() {
  local line
  if IFS= read -r -t 5 -u "$1" line; then printf '%s' "${line%$'\r'}"; else printf '<timeout>'; fi
}

check listening "port" "${port:+port}"
if [ -n "$port" ]; then
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  exec 4<>"/dev/tcp/127.0.0.1/$port"
  check alice_prompt "What's your name?" "$(readline 3)"
  printf 'alice\r\n' >&3
  check alice_welcome "Welcome, alice!" "$(readline 3)"
  check bob_prompt "What's your name?" "$(readline 4)"
  printf 'alice\r\n' >&4
  check name_taken "Name taken, please choose another." "$(readline 4)"
  printf 'bob\r\n' >&4
  check bob_welcome "Welcome, bob!" "$(readline 4)"
  check bob_joined "* bob joined" "$(readline 3)"
  printf 'hello alice\r\n' >&4
  check relayed "<bob> hello alice" "$(readline 3)"
  printf '/quit\r\n' >&3
  check bye "Bye, alice!" "$(readline 3)"
  check alice_left "* alice left" "$(readline 4)"
  exec 3>&- 4>&-
fi

if [ -n "${XML_OUTPUT_FILE:-}" ]; then
  printf '<?xml version="1.0"?><testsuites><testsuite name="chat_server">%s</testsuite></testsuites>\n' \
    "$cases" >"$XML_OUTPUT_FILE"
fi
echo "$failed check(s) failed"
exit $((failed > 0))
