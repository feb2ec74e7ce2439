#!/usr/bin/env bash
# echo_pair_test.sh SERVER CLIENT: starts the echo server on a free port
# (--port 0 --count 2), runs the echo client against it twice, then checks
# what both printed. One JUnit case per check (test_cases.sh).
set -uo pipefail
source "$(dirname "$0")/test_cases.sh"
server=$1
client=$2
dir=${TEST_TMPDIR:-$(mktemp -d)}
out="$dir/server.out"

"$server" --port 0 --count 2 >"$out" 2>&1 &
pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$out")
  [ -n "$port" ] && break
  sleep 0.05
done


[ -n "$port" ]; check server_listens $?
first=$("$client" --port "$port" 2>&1); status=$?
echo "$first"
[ $status = 0 ] && [ "$first" = "received: hello, world!" ]; check client_default_message $?
second=$("$client" --port "$port" --message "ping pong" 2>&1); status=$?
echo "$second"
[ $status = 0 ] && [ "$second" = "received: ping pong" ]; check client_custom_message $?

# The server stops by itself after two connections.
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$pid" 2>/dev/null; then kill "$pid"; fi
wait "$pid"; status=$?
cat "$out"
[ $status = 0 ] && [ "$(tail -n 1 "$out")" = "served 2 connection(s)" ]; check server_served_two $?

# Nobody listens any more: the client reports the refusal and fails.
refused=$("$client" --port "$port" 2>&1); status=$?
echo "$refused"
[ $status = 1 ] && [[ $refused == *ConnectionRefusedError* ]]; check client_refused $?

finishCases echo_pair
