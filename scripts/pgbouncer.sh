#!/usr/bin/env bash
# Throwaway pgbouncer in transaction mode in front of the scripts/pg.sh cluster, for the
# pooled-producer tests and for trying Celeriac behind a pooler.
#
#   scripts/pgbouncer.sh install   install pgbouncer (apt) if missing
#   scripts/pgbouncer.sh start     install if needed, write the config, start (idempotent)
#   scripts/pgbouncer.sh stop      stop it if running
#   scripts/pgbouncer.sh url       print the pooled URL (only the URL, one line)
#
# Environment:
#   CELERIAC_PG_PORT         the PostgreSQL port it forwards to (default 55432)
#   CELERIAC_POOLER_PORT     its own port (default: the PostgreSQL port + 10)
#   CELERIAC_POOLER_DIR      config, log, pid and socket directory (default /tmp/celeriac-pgbouncer-$PORT)
#
# The URL ends in `?pooler=transaction`: Celeriac then uses no session state on it (unnamed
# statements, no session settings, no LISTEN). `auth_type = any` with the user forced in
# [databases] keeps this throwaway setup free of password files: never use it as is.
set -euo pipefail

PG_PORT="${CELERIAC_PG_PORT:-55432}"
PORT="${CELERIAC_POOLER_PORT:-$((PG_PORT + 10))}"
DIR="${CELERIAC_POOLER_DIR:-/tmp/celeriac-pgbouncer-$PORT}"
URL="postgres://celeriac:celeriac@127.0.0.1:$PORT/celeriac?pooler=transaction"

log() { printf 'pgbouncer.sh: %s\n' "$*" >&2; }
die() { printf 'pgbouncer.sh: error: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

cmd_install() {
    command -v pgbouncer >/dev/null 2>&1 && return 0
    [ -x /usr/sbin/pgbouncer ] && return 0
    local sudo=()
    if ! is_root; then
        command -v sudo >/dev/null 2>&1 || die "pgbouncer is missing and not running as root (no sudo): install the pgbouncer package"
        sudo=(sudo)
    fi
    command -v apt-get >/dev/null 2>&1 || die "pgbouncer is missing and apt-get not found; install pgbouncer manually"
    log "installing pgbouncer via apt-get"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y pgbouncer ||
        { "${sudo[@]}" apt-get update && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y pgbouncer; }
}

binary() {
    command -v pgbouncer 2>/dev/null || echo /usr/sbin/pgbouncer
}

is_running() {
    [ -f "$DIR/pgbouncer.pid" ] && kill -0 "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null
}

write_config() {
    mkdir -p "$DIR"
    cat >"$DIR/pgbouncer.ini" <<CONF
[databases]
celeriac = host=127.0.0.1 port=$PG_PORT dbname=celeriac user=celeriac password=celeriac

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir = $DIR
auth_type = any
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
CONF
    if is_root; then
        id -u postgres >/dev/null 2>&1 || die "no postgres user: run scripts/pg.sh start first"
        chown -R postgres:postgres "$DIR"
    fi
}

cmd_start() {
    cmd_install
    if is_running; then
        log "already running (port $PORT, dir $DIR)"
        echo "$URL"
        return 0
    fi
    write_config
    log "starting pgbouncer on 127.0.0.1:$PORT (transaction mode) in front of port $PG_PORT"
    if is_root; then
        (cd / && "$(binary)" -d -u postgres "$DIR/pgbouncer.ini")
    else
        (cd / && "$(binary)" -d "$DIR/pgbouncer.ini")
    fi
    local deadline=$((SECONDS + 10))
    until is_running; do
        [ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$DIR/pgbouncer.log" >&2 2>/dev/null || true; die "pgbouncer did not start"; }
        sleep 0.1
    done
    echo "$URL"
}

cmd_stop() {
    if is_running; then
        kill "$(cat "$DIR/pgbouncer.pid")"
        log "stopped"
    fi
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    url) echo "$URL" ;;
    *) die "usage: $0 install|start|stop|url" ;;
esac
