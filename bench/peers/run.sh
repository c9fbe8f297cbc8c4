#!/usr/bin/env bash
# Runs the workloads of `celeriac bench` against Celery 5 + Redis, pgqueuer and procrastinate.
#
#   bench/peers/run.sh                       full size (~3 minutes in all)
#   bench/peers/run.sh --quick               smaller counts, one round (~30 s)
#   bench/peers/run.sh --only celery,pgqueuer
#
# Other options are passed to peers.py (see `peers.py --help`). Creates the venv
# .venv-peers/ at the repo root from requirements.txt, starts the project's PostgreSQL
# (scripts/pg.sh start) and a throwaway Redis on 127.0.0.1:56379 (no persistence, data
# under /tmp), and stops that Redis and any worker left behind on exit, failure included.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="$REPO/.venv-peers"
PYTHON="${PYTHON:-python3}"
REDIS_PORT="${PEERS_REDIS_PORT:-56379}"
REDIS_DIR="/tmp/celeriac-peers-redis-$REDIS_PORT"

log() { printf 'run.sh: %s\n' "$*" >&2; }

only="celery,pgqueuer,procrastinate"
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --only) only="${2:?--only needs a list}"; args+=("$1" "$2"); shift 2 ;;
        --only=*) only="${1#--only=}"; args+=("$1"); shift ;;
        *) args+=("$1"); shift ;;
    esac
done

# --- venv ----------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
if ! cmp -s "$HERE/requirements.txt" "$VENV/.peers-requirements.txt" 2>/dev/null; then
    log "installing bench/peers/requirements.txt into $VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
    cp "$HERE/requirements.txt" "$VENV/.peers-requirements.txt"
fi

# --- clean-up on any exit --------------------------------------------------------------
PID_FILE="$(mktemp /tmp/celeriac-peers-pids.XXXXXX)"
redis_started=0
peers_pid=""
# True while the process exists and is not a zombie.
running() {
    local state
    state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
    [ "${state#Z}" = "$state" ]
}
cleanup() {
    local status=$?
    trap - INT TERM
    # peers.py stops its workers itself on SIGTERM (and on any error).
    if [ -n "$peers_pid" ] && running "$peers_pid"; then
        log "stopping peers.py (pid $peers_pid)"
        kill -TERM "$peers_pid" 2>/dev/null || true
        for _ in $(seq 300); do
            running "$peers_pid" || break
            sleep 0.1
        done
        kill -KILL "$peers_pid" 2>/dev/null || true
        wait "$peers_pid" 2>/dev/null || true
    fi
    # Workers still running (this covers peers.py having been killed).
    if [ -s "$PID_FILE" ]; then
        while read -r pid; do
            [ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null || true
        done <"$PID_FILE"
    fi
    rm -f "$PID_FILE"
    if [ "$redis_started" = 1 ] && [ -f "$REDIS_DIR/redis.pid" ]; then
        log "stopping Redis on port $REDIS_PORT"
        kill "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null || true
        for _ in $(seq 50); do
            [ -f "$REDIS_DIR/redis.pid" ] || break
            sleep 0.1
        done
        rm -rf "$REDIS_DIR"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- PostgreSQL ------------------------------------------------------------------------
case ",$only," in
    *,pgqueuer,* | *,procrastinate,*)
        "$REPO/scripts/pg.sh" start >&2
        PEERS_PG_URL="$("$REPO/scripts/pg.sh" url)"
        export PEERS_PG_URL
        ;;
esac

# --- Redis -----------------------------------------------------------------------------
case ",$only," in
    *,celery,*)
        if ! command -v redis-server >/dev/null 2>&1; then
            log "installing redis-server (apt-get)"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
        fi
        if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
            log "error: something already answers on port $REDIS_PORT; stop it or set PEERS_REDIS_PORT"
            exit 1
        fi
        mkdir -p "$REDIS_DIR"
        redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
            --save "" --appendonly no --dir "$REDIS_DIR" \
            --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log"
        redis_started=1
        for _ in $(seq 50); do
            redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
            sleep 0.1
        done
        redis-cli -p "$REDIS_PORT" ping >/dev/null
        export PEERS_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
        ;;
esac

export PEERS_PID_FILE="$PID_FILE"
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in bench/peers/
cd "$REPO"
# In the background so that a signal to this script is handled at once (bash runs traps
# only between foreground commands); the EXIT trap then stops peers.py and its workers.
"$VENV/bin/python" "$HERE/peers.py" "${args[@]}" &
peers_pid=$!
status=0
wait "$peers_pid" || status=$?
peers_pid=""
exit "$status"
