#!/usr/bin/env bash
# gtk_echo_test.sh GTK_ECHO ECHO_SERVER: runs the GTK example in a real X
# window (Xvfb), clicks its button through X (xdotool, XTEST: real input),
# and checks the labels it prints, the echo server's log, the error shown
# once the server is gone, and a clean stop when Ctrl+W closes the window.
# Saves screenshots to $TEST_UNDECLARED_OUTPUTS_DIR. Skips, saying why and
# recording a skipped case, only when no X server can be started here. One
# JUnit case per check (test_cases.sh).
set -uo pipefail
source "$(dirname "$0")/test_cases.sh"
app=$1
server=$2
# Under AddressSanitizer, GTK's process-lifetime caches are not leaks of
# ours (gtk_leaks.supp says which libraries). Full stacks, because the fast
# unwinder stops at the first system library built without frame pointers,
# and a suppression must see the whole stack to match by library.
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/gtk_leaks.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
dir=${TEST_TMPDIR:-$(mktemp -d)}
shots=${TEST_UNDECLARED_OUTPUTS_DIR:-$dir}

# Skipping is said on stderr and recorded as a skipped case (skipCases),
# which tools/test counts: never a silent pass.
command -v Xvfb >/dev/null || skipCases gtk_echo "Xvfb is not installed (tools/bazelw installs xvfb)"
for tool in xdotool xwd; do
  if ! command -v "$tool" >/dev/null; then
    echo "gtk_echo_test: $tool is missing (tools/bazelw installs xdotool and x11-apps)" >&2
    exit 1
  fi
done

# A display of our own: the first free number from 90 up.
Xvfb_pid=""
for n in $(seq 90 120); do
  [ -e "/tmp/.X$n-lock" ] && continue
  Xvfb ":$n" -screen 0 640x480x24 -nolisten tcp >"$dir/xvfb.log" 2>&1 &
  Xvfb_pid=$!
  for _ in $(seq 1 100); do
    DISPLAY=":$n" xdotool getdisplaygeometry >/dev/null 2>&1 && break
    kill -0 "$Xvfb_pid" 2>/dev/null || break
    sleep 0.05
  done
  if DISPLAY=":$n" xdotool getdisplaygeometry >/dev/null 2>&1; then
    export DISPLAY=":$n"
    break
  fi
  kill "$Xvfb_pid" 2>/dev/null; wait "$Xvfb_pid" 2>/dev/null; Xvfb_pid=""
done
if [ -z "$Xvfb_pid" ]; then
  cat "$dir/xvfb.log" >&2
  skipCases gtk_echo "no X server could be started (Xvfb's log above)"
fi
trap 'kill "$Xvfb_pid" 2>/dev/null' EXIT

# waitFor FILE REGEX: up to 10 s for a line of FILE to match.
waitFor() {
  for _ in $(seq 1 200); do
    grep -Eq "$2" "$1" && return 0
    sleep 0.05
  done
  return 1
}

# screenshot NAME: the screen as X has it, once GTK has had time to redraw
# the label just changed (XWD format: `convert` or GIMP open it).
screenshot() {
  sleep 0.3
  xwd -root -silent -out "$shots/gtk_echo_$1.xwd" && [ -s "$shots/gtk_echo_$1.xwd" ]
}

"$server" --port 0 --count 1 >"$dir/server.out" 2>&1 &
server_pid=$!
waitFor "$dir/server.out" '^listening on 127\.0\.0\.1:[0-9]+$'; check server_listens $?
port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$dir/server.out")

out="$dir/app.out"
"$app" --port "${port:-1}" >"$out" 2>"$dir/app.err" &
app_pid=$!
waitFor "$out" '^button at [0-9]+,[0-9]+$'; check window_shown $?
waitFor "$out" '^tick: tick 2$'; check looping_call_ticks $?

wid=$(xdotool search --sync --name '^torsion gtk echo$' | head -n 1)
[ -n "$wid" ]; check window_found $?
button=$(sed -n 's/^button at \([0-9]*\),\([0-9]*\)$/\1 \2/p' "$out")
# shellcheck disable=SC2086  # "X Y", two arguments
xdotool mousemove --window "$wid" $button click 1
waitFor "$out" '^reply: echoed: ping 1$'; check reply_shown $?
screenshot reply; check screenshot_saved $?

# The server served its one connection and stopped; the next click finds
# nobody listening, which the window reports.
wait "$server_pid"; status=$?
cat "$dir/server.out"
[ $status = 0 ] && [ "$(tail -n 1 "$dir/server.out")" = "served 1 connection(s)" ]
check server_echoed $?
# shellcheck disable=SC2086
xdotool mousemove --window "$wid" $button click 1
waitFor "$out" '^reply: error: .*[Rr]efused'; check refusal_shown $?
screenshot error
kill -0 "$app_pid" 2>/dev/null; check still_running_after_error $?

# Ctrl+W closes the window (the pointer is over it, so X gives it the keys):
# the reactor stops and its shutdown ends gtk_main.
xdotool key ctrl+w
for _ in $(seq 1 200); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$app_pid" 2>/dev/null; then kill "$app_pid"; fi
wait "$app_pid"; status=$?
cat "$out"; cat "$dir/app.err" >&2
[ $status = 0 ] && grep -Eq '^closed after [0-9]+ tick\(s\)$' "$out"; check clean_close $?

finishCases gtk_echo
