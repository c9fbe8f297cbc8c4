#!/usr/bin/env bash
# Celeriac walkthrough: migrate, start a worker with task events (-E), follow the events live
# (`demo events`, as Flower would show them), run the demo tasks, shut the worker down warmly.
#
# Environment:
#   CELERIAC_DATABASE_URL   database to use (default: the local cluster, `scripts/pg.sh url`)
#   DEMO_BIN                demo executable (default: .build/debug/demo in the repo)
#   DEMO_READY_TIMEOUT      seconds to wait for the worker's " ready." line (default 60)
#   DEMO_SHUTDOWN_TIMEOUT   seconds to wait for the warm shutdown after SIGTERM (default 60)
#
# The worker's output streams live to the terminal (prefixed "worker | ") and is also kept
# in a log file in a temporary directory, which is left behind (and named) on failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO_BIN="${DEMO_BIN:-$ROOT/.build/debug/demo}"
READY_TIMEOUT="${DEMO_READY_TIMEOUT:-60}"
SHUTDOWN_TIMEOUT="${DEMO_SHUTDOWN_TIMEOUT:-60}"
if [ -z "${CELERIAC_DATABASE_URL:-}" ]; then
    CELERIAC_DATABASE_URL="$("$ROOT/scripts/pg.sh" url)"
fi
export CELERIAC_DATABASE_URL

section() { printf '\n== %s ==\n' "$*"; }
fail() { printf 'demo.sh: error: %s\n' "$*" >&2; exit 1; }

[ -x "$DEMO_BIN" ] || fail "demo binary not found at $DEMO_BIN (run: swift build --product demo, or make demo)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/celeriac-demo.XXXXXX")"
WORKER_LOG="$TMP/worker.log"
EVENTS_LOG="$TMP/events.log"
: >"$WORKER_LOG"
: >"$EVENTS_LOG"
worker_pid=""
tail_pid=""
events_pid=""
events_tail_pid=""
keep_tmp=1

stop_tail() {
    if [ -n "$tail_pid" ]; then
        sleep 0.3 # let tail flush the last lines
        kill "$tail_pid" 2>/dev/null || true
        wait "$tail_pid" 2>/dev/null || true
        tail_pid=""
    fi
}

stop_events() {
    if [ -n "$events_pid" ]; then
        sleep 0.5 # the last outcomes are announced after the results the run waited for
        kill -TERM "$events_pid" 2>/dev/null || true
        wait "$events_pid" 2>/dev/null || true
        events_pid=""
    fi
    if [ -n "$events_tail_pid" ]; then
        sleep 0.3
        kill "$events_tail_pid" 2>/dev/null || true
        wait "$events_tail_pid" 2>/dev/null || true
        events_tail_pid=""
    fi
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$worker_pid" ] && kill -0 "$worker_pid" 2>/dev/null; then
        echo "demo.sh: stopping worker (pid $worker_pid)" >&2
        kill -TERM "$worker_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$worker_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$worker_pid" 2>/dev/null; then
            kill -KILL "$worker_pid" 2>/dev/null || true
        fi
        wait "$worker_pid" 2>/dev/null || true
    fi
    stop_events
    stop_tail
    if [ "$rc" -eq 0 ] && [ "$keep_tmp" -eq 0 ]; then
        rm -rf "$TMP"
    else
        echo "demo.sh: worker log kept at $WORKER_LOG" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

dump_log() {
    section "worker log ($WORKER_LOG)"
    cat "$WORKER_LOG"
}

section "database"
echo "$CELERIAC_DATABASE_URL"

section "migrate"
"$DEMO_BIN" migrate

section "worker (live log)"
"$DEMO_BIN" worker --loglevel INFO -c 2 --pool prefork -E </dev/null >"$WORKER_LOG" 2>&1 &
worker_pid=$!
echo "worker pid $worker_pid, log $WORKER_LOG"
tail -n +1 -f "$WORKER_LOG" > >(sed -u 's/^/worker | /') &
tail_pid=$!

deadline=$((SECONDS + READY_TIMEOUT))
until grep -q ' ready\.' "$WORKER_LOG"; do
    if ! kill -0 "$worker_pid" 2>/dev/null; then
        wstatus=0
        wait "$worker_pid" || wstatus=$?
        worker_pid=""
        stop_tail
        dump_log
        fail "worker exited (status $wstatus) before it was ready"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        stop_tail
        dump_log
        fail "worker not ready after ${READY_TIMEOUT}s"
    fi
    sleep 0.2
done

section "events (live, like Flower)"
"$DEMO_BIN" events --state received started retried succeeded failed </dev/null >"$EVENTS_LOG" 2>&1 &
events_pid=$!
tail -n +1 -f "$EVENTS_LOG" > >(sed -u 's/^/events | /') &
events_tail_pid=$!
sleep 0.5 # the tail starts from now: let it LISTEN before the first task

section "run"
status=0
"$DEMO_BIN" run || status=$?
stop_events
for kind in task-received task-started task-retried task-succeeded; do
    if ! grep -q "$kind" "$EVENTS_LOG"; then
        echo "demo.sh: no $kind event was shown" >&2
        [ "$status" -ne 0 ] || status=1
    fi
done

section "shutdown"
echo "sending SIGTERM to worker (pid $worker_pid), waiting up to ${SHUTDOWN_TIMEOUT}s for warm shutdown"
kill -TERM "$worker_pid" 2>/dev/null || true
deadline=$((SECONDS + SHUTDOWN_TIMEOUT))
while kill -0 "$worker_pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "demo.sh: worker did not exit within ${SHUTDOWN_TIMEOUT}s; killing it" >&2
        kill -KILL "$worker_pid" 2>/dev/null || true
        [ "$status" -ne 0 ] || status=1
        break
    fi
    sleep 0.2
done
wstatus=0
wait "$worker_pid" || wstatus=$?
worker_pid=""
stop_tail
echo "worker exited with status $wstatus"

section "result"
if [ "$status" -eq 0 ]; then
    echo "demo succeeded"
    echo
    echo "See these tasks in the dashboard (like Flower), then open http://127.0.0.1:5555 :"
    echo "  CELERIAC_DATABASE_URL=\$(scripts/pg.sh url) .build/debug/demo monitor"
    keep_tmp=0
else
    echo "demo FAILED (status $status)"
fi
exit "$status"
