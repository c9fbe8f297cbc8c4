#!/usr/bin/env bash
# Throwaway local PostgreSQL cluster for Celeriac development, tests and CI.
#
#   scripts/pg.sh install   install PostgreSQL server, libpq headers, pkg-config (apt) if missing
#   scripts/pg.sh start     install if needed, initdb if needed, start, create role+db (idempotent)
#   scripts/pg.sh stop      stop the server (fast mode) if running
#   scripts/pg.sh restart [fast|immediate]  restart the server (for fault tests)
#   scripts/pg.sh listen ADDRS   listen on more IPv4 addresses, e.g. network namespaces' links
#   scripts/pg.sh destroy   stop and delete the cluster directory
#   scripts/pg.sh url       print the connection URL (only the URL, one line)
#   scripts/pg.sh status    show whether the server is running (exit 0 running, 3 stopped)
#   scripts/pg.sh psql ...  open psql as celeriac on the celeriac database (extra args passed through)
#
# Environment:
#   CELERIAC_PG_PORT  TCP port (default 55432)
#   CELERIAC_PG_DIR   data + unix-socket directory (default /tmp/celeriac-pg-$PORT). It lives
#                     outside the repo on purpose: the repo may sit under /root, which the
#                     postgres user (used when running as root) cannot traverse.
set -euo pipefail

PORT="${CELERIAC_PG_PORT:-55432}"
DIR="${CELERIAC_PG_DIR:-/tmp/celeriac-pg-$PORT}"
LOG="$DIR/server.log"
DB_USER=celeriac
DB_PASSWORD=celeriac
DB_NAME=celeriac
URL="postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"
START_TIMEOUT=30

log() { printf 'pg.sh: %s\n' "$*" >&2; }
die() { printf 'pg.sh: error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Newest /usr/lib/postgresql/<version>/bin that has both initdb and pg_ctl (empty if none).
find_bindir() {
    local d best="" best_ver=-1 ver
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] || continue
        ver="${d#/usr/lib/postgresql/}"
        ver="${ver%%/*}"
        ver="${ver%%.*}"
        case "$ver" in '' | *[!0-9]*) continue ;; esac
        if [ "$ver" -gt "$best_ver" ]; then
            best_ver="$ver"
            best="$d"
        fi
    done
    printf '%s' "$best"
}

have_deps() {
    [ -n "$(find_bindir)" ] &&
        [ -f /usr/include/postgresql/libpq-fe.h ] &&
        command -v pkg-config >/dev/null 2>&1
}

cmd_install() {
    if have_deps; then
        return 0
    fi
    local sudo=()
    if ! is_root; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            die "PostgreSQL/libpq-dev/pkg-config missing and not running as root (no sudo available). Install: postgresql libpq-dev pkg-config"
        fi
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "PostgreSQL/libpq-dev/pkg-config missing and apt-get not found; install the PostgreSQL server, libpq headers and pkg-config manually"
    log "installing postgresql libpq-dev pkg-config via apt-get"
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql libpq-dev pkg-config
    have_deps || die "installation finished but initdb/pg_ctl, libpq-fe.h or pkg-config still not found"
}

BINDIR=""
require_bindir() {
    BINDIR="$(find_bindir)"
    [ -n "$BINDIR" ] || die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin; run: $0 install"
}

# Run a PostgreSQL server binary as the cluster owner: the postgres OS user when we are root
# (initdb and pg_ctl refuse to run as root), otherwise the current user. We cd to / first so
# the postgres user never trips over an untraversable cwd such as /root/....
# fd 9 (the start/stop lock) is closed so the server never inherits it.
as_owner() {
    if is_root; then
        (cd / && runuser -u postgres -- "$@" 9>&-)
    else
        (cd / && "$@" 9>&-)
    fi
}

ensure_postgres_user() {
    is_root || return 0
    id -u postgres >/dev/null 2>&1 && return 0
    log "creating system user postgres"
    useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql --shell /bin/sh postgres
}

is_running() {
    [ -f "$DIR/PG_VERSION" ] || return 1
    as_owner "$BINDIR/pg_ctl" status -D "$DIR" >/dev/null 2>&1
}

pick_locale() {
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
        printf 'C.UTF-8'
    else
        printf 'C'
    fi
}

ensure_cluster() {
    if [ -f "$DIR/PG_VERSION" ]; then
        return 0
    fi
    local parent
    parent="$(dirname "$DIR")"
    mkdir -p "$DIR"
    if is_root; then
        chown postgres:postgres "$DIR"
        runuser -u postgres -- test -x "$parent" ||
            die "the postgres user cannot traverse $parent; choose another CELERIAC_PG_DIR (e.g. under /tmp)"
    fi
    chmod 700 "$DIR"
    if [ -n "$(ls -A "$DIR")" ]; then
        die "$DIR exists, is not empty and is not a PostgreSQL data directory; remove it or set CELERIAC_PG_DIR"
    fi
    local loc out
    loc="$(pick_locale)"
    log "initdb $DIR (locale $loc)"
    out="$(mktemp)"
    if ! as_owner "$BINDIR/initdb" -D "$DIR" -U postgres \
        --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale="$loc" >"$out" 2>&1; then
        cat "$out" >&2
        rm -f "$out"
        die "initdb failed"
    fi
    rm -f "$out"
    printf "\n# Celeriac: settings managed by scripts/pg.sh (rewritten on every start)\ninclude_if_exists = 'celeriac.conf'\n" >>"$DIR/postgresql.conf"
}

# Rewritten on every start so a changed CELERIAC_PG_PORT takes effect.
write_settings() {
    local esc_dir="${DIR//\'/\'\'}"
    cat >"$DIR/celeriac.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$esc_dir'
max_connections = 300
shared_buffers = 256MB
fsync = on
# A queue writes every row several times: with the default 1GB a drain forced a checkpoint
# every 11 s, and the first change to each page after one writes the whole page to the WAL.
max_wal_size = 8GB
EOF
    if is_root; then
        chown postgres:postgres "$DIR/celeriac.conf"
    fi
}

superuser_psql() {
    (cd / && "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d postgres "$@")
}

ensure_role_and_db() {
    superuser_psql >/dev/null <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '$DB_USER') THEN
        CREATE ROLE $DB_USER LOGIN CREATEDB CREATEROLE PASSWORD '$DB_PASSWORD';
    ELSE
        ALTER ROLE $DB_USER LOGIN CREATEDB CREATEROLE PASSWORD '$DB_PASSWORD';
    END IF;
END
\$\$;
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER'
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = '$DB_NAME')
\gexec
ALTER DATABASE $DB_NAME OWNER TO $DB_USER;
GRANT ALL PRIVILEGES ON DATABASE $DB_NAME TO $DB_USER;
-- The role is named like Celeriac's schema: with the default search_path ("\$user", public)
-- a user's own unqualified CREATE TABLE would land in that schema. Their tables go to public.
ALTER ROLE $DB_USER SET search_path = public;
-- CREATEROLE (above): "celeriac migrate --roles" creates the least-privilege roles (sql/repeatable/roles.sql).
-- Lets the benchmark flush dirty buffers between measurements (CHECKPOINT).
SELECT 'GRANT pg_checkpoint TO $DB_USER'
WHERE NOT pg_has_role('$DB_USER', 'pg_checkpoint', 'MEMBER')
\gexec
SQL
}

wait_ready() {
    local deadline=$((SECONDS + START_TIMEOUT))
    until "$BINDIR/pg_isready" -q -h "$DIR" -p "$PORT" -U postgres -d postgres -t 1 >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "last lines of $LOG:"
            tail -n 30 "$LOG" >&2 2>/dev/null || true
            die "PostgreSQL did not become ready within ${START_TIMEOUT}s; see $LOG"
        fi
        sleep 0.2
    done
}

# Serialise start/stop/destroy so concurrent invocations (parallel make, CI) don't race.
take_lock() {
    command -v flock >/dev/null 2>&1 || return 0
    local lock="/tmp/celeriac-pg-$PORT.$(id -u).lock"
    if [ -e "$lock" ] && [ ! -w "$lock" ]; then
        return 0
    fi
    exec 9>>"$lock"
    if ! flock -n 9; then
        log "waiting for another pg.sh holding $lock"
        flock -w 120 9 || die "timed out waiting for lock $lock"
    fi
}

cmd_start() {
    take_lock
    cmd_install
    require_bindir
    ensure_postgres_user
    ensure_cluster
    if is_running; then
        log "already running (port $PORT, dir $DIR)"
    else
        write_settings
        log "starting PostgreSQL ($BINDIR) on 127.0.0.1:$PORT, log $LOG"
        # -w: pg_ctl waits for startup and notices if the postmaster dies early.
        if ! as_owner "$BINDIR/pg_ctl" start -D "$DIR" -l "$LOG" -w -t "$START_TIMEOUT" >/dev/null; then
            log "last lines of $LOG:"
            tail -n 30 "$LOG" >&2 2>/dev/null || true
            die "PostgreSQL failed to start (or was not ready within ${START_TIMEOUT}s); see $LOG"
        fi
    fi
    wait_ready
    ensure_role_and_db
    echo "$URL"
}

cmd_stop() {
    [ -f "$DIR/PG_VERSION" ] || { log "no cluster at $DIR"; return 0; }
    require_bindir
    take_lock
    if is_running; then
        log "stopping PostgreSQL ($DIR)"
        as_owner "$BINDIR/pg_ctl" stop -D "$DIR" -m fast -w -t 60 >/dev/null
    else
        log "not running"
    fi
}

# Restarts the server in the given shutdown mode (fast or immediate), for fault tests.
cmd_restart() {
    local mode="${1:-fast}"
    case "$mode" in fast | immediate | smart) ;; *) die "restart mode must be fast, immediate or smart" ;; esac
    [ -f "$DIR/PG_VERSION" ] || die "no cluster at $DIR (run: $0 start)"
    require_bindir
    take_lock
    log "restarting PostgreSQL ($DIR) in $mode mode"
    as_owner "$BINDIR/pg_ctl" restart -D "$DIR" -m "$mode" -l "$LOG" -w -t "$START_TIMEOUT" >/dev/null
}

# Makes the server listen on more addresses (the fault suite's network namespaces) and
# accept password logins from 10.231.0.0/16; `listen 127.0.0.1` restores the default.
cmd_listen() {
    local addrs="${1:-127.0.0.1}"
    [[ "$addrs" =~ ^[0-9.,]+$ ]] || die "listen takes comma-separated IPv4 addresses"
    [ -f "$DIR/PG_VERSION" ] || die "no cluster at $DIR (run: $0 start)"
    require_bindir
    is_running || die "not running (run: $0 start)"
    superuser_psql -c "ALTER SYSTEM SET listen_addresses = '$addrs'" >/dev/null
    if ! grep -q 'celeriac-netns' "$DIR/pg_hba.conf"; then
        echo "host all all 10.231.0.0/16 scram-sha-256  # celeriac-netns" >>"$DIR/pg_hba.conf"
    fi
    cmd_restart fast
}

cmd_destroy() {
    cmd_stop
    case "$DIR" in
        '' | / | /tmp | /tmp/ | "$HOME" | "$HOME/") die "refusing to remove '$DIR'" ;;
    esac
    if [ -e "$DIR" ]; then
        log "removing $DIR"
        rm -rf -- "$DIR"
    fi
}

cmd_status() {
    if [ ! -f "$DIR/PG_VERSION" ]; then
        echo "stopped (no cluster at $DIR)"
        return 3
    fi
    require_bindir
    if is_running; then
        echo "running: $URL (dir $DIR, log $LOG)"
    else
        echo "stopped (cluster at $DIR)"
        return 3
    fi
}

cmd_psql() {
    local psql=psql
    BINDIR="$(find_bindir)"
    if [ -n "$BINDIR" ] && [ -x "$BINDIR/psql" ]; then
        psql="$BINDIR/psql"
    fi
    exec "$psql" "$URL" "$@"
}

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

main() {
    local cmd="${1:-}"
    [ $# -gt 0 ] && shift
    case "$cmd" in
        install) cmd_install ;;
        start) cmd_start ;;
        stop) cmd_stop ;;
        restart) cmd_restart "$@" ;;
        listen) cmd_listen "$@" ;;
        destroy) cmd_destroy ;;
        url) echo "$URL" ;;
        status) cmd_status ;;
        psql) cmd_psql "$@" ;;
        -h | --help | help) usage ;;
        *)
            usage >&2
            exit 2
            ;;
    esac
}

main "$@"
