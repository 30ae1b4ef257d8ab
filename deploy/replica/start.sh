#!/bin/sh
# The `postgres-replica` service (docker-compose.yml, profile `scale`; docs/deployment.md):
# on an empty volume, copy the primary with pg_basebackup -R (which also writes the standby
# signal and primary_conninfo, so it streams the primary's WAL from then on); then run
# PostgreSQL as a hot standby. Read-only: the web app sends it only reads that tolerate lag
# (core/replica.py). Runs as the postgres user. Also by hand, on any host with PostgreSQL's
# binaries on PATH:
#   PRIMARY_HOST=db1 REPLICATION_PASSWORD=... PGDATA=/srv/replica sh deploy/replica/start.sh
set -eu
: "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}"
: "${PGDATA:?set PGDATA}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  export PGPASSWORD="$REPLICATION_PASSWORD"
  tries=0
  until pg_basebackup --host "${PRIMARY_HOST:-postgres}" --port "${PRIMARY_PORT:-5432}" \
      --username replicator --pgdata "$PGDATA" --write-recovery-conf --wal-method stream \
      --checkpoint fast; do
    tries=$((tries + 1))
    [ "$tries" -lt 30 ] || { echo "the primary never answered"; exit 1; }
    echo "waiting for the primary ($tries)"
    rm -rf "${PGDATA:?}"/*
    sleep 2
  done
  chmod 700 "$PGDATA"
fi
exec postgres -D "$PGDATA" -c hot_standby=on ${REPLICA_PORT:+-p "$REPLICA_PORT"} "$@"
