#!/usr/bin/env bash
# stop-postgres.sh — stop the cluster start-postgres.sh started in DATA_DIR (pg_ctl
# stop: that cluster's postmaster only, nothing else).
# usage: stop-postgres.sh [DATA_DIR] [--purge]   (--purge also deletes DATA_DIR)
# Idempotent: a cluster that is not running is not an error.
set -uo pipefail
DATA_DIR=${1:-/tmp/pgdata}
PURGE=${2:-}
PGDATA=$DATA_DIR/cluster
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ "$(id -u)" = 0 ]; then as_user() { runuser -u postgres -- "$@"; }; else as_user() { "$@"; }; fi

if [ -n "$BIN" ] && [ -s "$PGDATA/PG_VERSION" ] && as_user "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  # fast = roll back open transactions and disconnect clients; then immediate if stuck
  if as_user "$BIN/pg_ctl" -D "$PGDATA" stop -m fast -w -t 30 >/dev/null 2>&1 \
     || as_user "$BIN/pg_ctl" -D "$PGDATA" stop -m immediate -w -t 30 >/dev/null 2>&1; then
    echo "[stop-postgres] stopped the cluster in $PGDATA" >&2
  else
    echo "[stop-postgres] ERROR: the cluster in $PGDATA did not stop; see $DATA_DIR/log/postgres.log" >&2
    exit 1
  fi
else
  echo "[stop-postgres] no cluster running in $PGDATA" >&2
fi
if [ "$PURGE" = --purge ]; then rm -rf -- "$DATA_DIR"; echo "[stop-postgres] removed $DATA_DIR" >&2; fi
exit 0
