#!/usr/bin/env bash
# start-postgres.sh — run a private PostgreSQL cluster (Debian's `postgresql` package)
# on 127.0.0.1 for tests and local trials: initdb + pg_ctl in DATA_DIR, as a non-root
# user (as root: the `postgres` system user the package creates).
#
# usage: start-postgres.sh [DATA_DIR] [PORT]
#   DATA_DIR  cluster, socket, log and password live here (default /tmp/pgdata)
#   PORT      TCP port on 127.0.0.1 (default 15432); "auto": the port this DATA_DIR
#             used last, else a free one at random
# env (all optional):
#   PG_USER         superuser and database name (default artifact_gui)
#   PG_PASSWORD     default: random, generated once per DATA_DIR and kept there
#   PG_NO_FSYNC     1 (default) = fsync, synchronous_commit and full_page_writes off
#                   (fast, not crash-safe: tests only); 0 = PostgreSQL's defaults
#   PG_READY_TIMEOUT seconds to wait for the server (default 60)
# Prints one line: PG_URL=postgresql://USER:PASSWORD@127.0.0.1:PORT/USER (also written
# to DATA_DIR/pg.env). Idempotent: run again while the cluster runs, it prints the same
# line. Stop with stop-postgres.sh DATA_DIR [--purge].
set -euo pipefail

log() { echo "[start-postgres] $*" >&2; }
die() { echo "[start-postgres] ERROR: $*" >&2; exit 1; }

DATA_DIR=${1:-/tmp/pgdata}
PORT=${2:-15432}
PG_USER=${PG_USER:-artifact_gui}
NO_FSYNC=${PG_NO_FSYNC:-1}
READY_TIMEOUT=${PG_READY_TIMEOUT:-60}
# a port is in use when something accepts a connection on it
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# first port of COUNT consecutive free ports in 10000..(the first ephemeral port)
# Below the kernel's ephemeral ports: a server restarted on its ports must not find one taken as
# the local port of some client's connection (a memcached restarted on one did).
EPHEMERAL_START=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[[ "$EPHEMERAL_START" =~ ^[0-9]+$ ]] && [ "$EPHEMERAL_START" -gt 11000 ] || EPHEMERAL_START=32768
free_port_block() {
  local base p
  for _ in $(seq 1 200); do
    base=$(( 10000 + (RANDOM * 32768 + RANDOM) % (EPHEMERAL_START - 10000 - $1) ))
    for ((p = base; p < base + $1; p++)); do port_in_use "$p" && continue 2; done
    echo "$base"; return 0
  done
  return 1
}
if [ "$PORT" = auto ]; then
  PORT=$(sed -n 's|^PG_URL=.*@127.0.0.1:\([0-9]*\)/.*|\1|p' "$DATA_DIR/pg.env" 2>/dev/null || true)
  [ -n "$PORT" ] || PORT=$(free_port_block 1) || die "found no free port on 127.0.0.1"
fi
[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1024 ] && [ "$PORT" -le 65535 ] || die "PORT must be 1024..65535 or auto, got '$PORT'"
[[ "$PG_USER" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "PG_USER must match [a-z_][a-z0-9_]*, got '$PG_USER'"
case "$DATA_DIR" in *[[:space:]]*) die "DATA_DIR must not contain spaces";; esac

# ---------------------------------------------------------------- 1. package
if ! ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed and installing needs root (run: sudo apt-get install postgresql)"
  log "installing postgresql"
  t0=$(date +%s)
  export DEBIAN_FRONTEND=noninteractive
  own_policy=0   # the package would start its own cluster: block that while we install
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; own_policy=1
  fi
  APT_LOG=$(mktemp -t start-postgres-apt.XXXXXX)   # kept on failure, named in the error
  APT=(apt-get -o DPkg::Lock::Timeout=300 -y -q --no-install-recommends)
  if ! "${APT[@]}" install postgresql >"$APT_LOG" 2>&1; then
    { apt-get -o DPkg::Lock::Timeout=300 -q update && "${APT[@]}" install postgresql; } >>"$APT_LOG" 2>&1 || {
      [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
      die "apt-get could not install postgresql: $(grep -E '^(E|W):' "$APT_LOG" | tail -n 2 | tr '\n' ' ')(full log: $APT_LOG)"
    }
  fi
  [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  rm -f "$APT_LOG"
  log "installed in $(( $(date +%s) - t0 )) s"
fi
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

# ---------------------------------------------------------------- 2. who runs it
# initdb and postgres refuse to run as root
if [ "$(id -u)" = 0 ]; then
  RUN_USER=postgres
  id -u "$RUN_USER" >/dev/null 2>&1 || die "running as root needs the 'postgres' user (made by the postgresql package)"
  as_user() { runuser -u "$RUN_USER" -- "$@"; }
else
  RUN_USER=$(id -un)
  as_user() { "$@"; }
fi

mkdir -p "$DATA_DIR"
DATA_DIR=$(cd "$DATA_DIR" && pwd -P)
PGDATA=$DATA_DIR/cluster; SOCK=$DATA_DIR/run; LOGD=$DATA_DIR/log
mkdir -p "$PGDATA" "$SOCK" "$LOGD"
if [ "$(id -u)" = 0 ]; then
  chmod a+x "$DATA_DIR"   # the postgres user must reach its folders inside
  chown "$RUN_USER" "$PGDATA" "$SOCK" "$LOGD"
  as_user test -w "$PGDATA" || die "user $RUN_USER cannot reach $PGDATA: every folder above it must be searchable (chmod a+x)"
fi
chmod 700 "$PGDATA"

PG_CTL=("$BIN/pg_ctl" -D "$PGDATA")
URL_FILE=$DATA_DIR/pg.env

# ---------------------------------------------------------------- 3. already running?
if as_user "${PG_CTL[@]}" status >/dev/null 2>&1; then
  grep -qs "@127.0.0.1:$PORT/" "$URL_FILE" \
    || die "a cluster already runs in $PGDATA but not on port $PORT ($(cat "$URL_FILE" 2>/dev/null | sed 's/:[^:@]*@/:***@/')); stop it first with scripts/stop-postgres.sh $DATA_DIR"
  log "already running for $DATA_DIR"
  cat "$URL_FILE"
  exit 0
fi
if port_in_use "$PORT"; then die "port $PORT on 127.0.0.1 is already in use"; fi

# ---------------------------------------------------------------- 4. cluster
if [ -n "${PG_PASSWORD:-}" ]; then PASSWORD=$PG_PASSWORD
elif [ -s "$DATA_DIR/secret" ]; then PASSWORD=$(cat "$DATA_DIR/secret")
else PASSWORD=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'); fi
[[ "$PASSWORD" =~ ^[A-Za-z0-9._~-]+$ ]] || die "PG_PASSWORD may only use [A-Za-z0-9._~-] (it goes into a URL unescaped)"
( umask 077; printf '%s' "$PASSWORD" > "$DATA_DIR/secret" )

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  PWFILE=$(mktemp)
  printf '%s\n' "$PASSWORD" > "$PWFILE"
  [ "$(id -u)" = 0 ] && chown "$RUN_USER" "$PWFILE"
  as_user "$BIN/initdb" -D "$PGDATA" -U "$PG_USER" --pwfile="$PWFILE" --auth-host=scram-sha-256 \
    --auth-local=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$LOGD/initdb.log" 2>&1 \
    || { rm -f "$PWFILE"; die "initdb failed: $(tail -n 3 "$LOGD/initdb.log" | tr '\n' ' ')"; }
  rm -f "$PWFILE"
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$SOCK'"
    if [ "$NO_FSYNC" = 1 ]; then
      echo "fsync = off"; echo "synchronous_commit = off"; echo "full_page_writes = off"
    fi
  } | as_user tee -a "$PGDATA/postgresql.conf" >/dev/null
  NEW_CLUSTER=1
fi

# ---------------------------------------------------------------- 5. start
t0=$(date +%s.%N)
as_user "${PG_CTL[@]}" start -w -t "$READY_TIMEOUT" -l "$LOGD/postgres.log" -o "-p $PORT" >/dev/null 2>&1 \
  || die "pg_ctl start failed: $(tail -n 5 "$LOGD/postgres.log" 2>/dev/null | tr '\n' ' ')"
if [ "${NEW_CLUSTER:-0}" = 1 ]; then
  PGPASSWORD=$PASSWORD as_user "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$PG_USER" "$PG_USER" \
    || die "createdb $PG_USER failed"
fi
log "PostgreSQL $(basename "$(dirname "$BIN")") ready in $(awk "BEGIN{printf \"%.2f\", $(date +%s.%N) - $t0}") s"

LINE="PG_URL=postgresql://$PG_USER:$PASSWORD@127.0.0.1:$PORT/$PG_USER"
( umask 077; echo "$LINE" > "$URL_FILE" )
echo "$LINE"
