#!/bin/sh
# Run once by the postgres image on an empty data volume (/docker-entrypoint-initdb.d), after
# 10-icn-app-role.sh: when REPLICATION_PASSWORD is set (the optional `scale` profile of
# docker-compose.yml, docs/deployment.md), creates "replicator", the role a streaming replica
# copies the primary as, and lets it connect for replication. Nothing else may: it is not a
# superuser and reads no table. Also run by hand against an existing cluster (then reload):
#   POSTGRES_USER=icn REPLICATION_PASSWORD=... PGDATA=/var/lib/postgresql/data \
#     sh deploy/postgres-init/20-replication-role.sh && psql -U icn -c 'SELECT pg_reload_conf()'
set -eu
if [ -z "${REPLICATION_PASSWORD:-}" ]; then
  echo "REPLICATION_PASSWORD not set: no replication role (no replica)"
  exit 0
fi
psql -v ON_ERROR_STOP=1 ${PGHOST:+--host "$PGHOST"} ${PGPORT:+--port "$PGPORT"} \
  --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  -v password="$REPLICATION_PASSWORD" <<'SQL'
SELECT 'CREATE ROLE replicator LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE'
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'replicator') \gexec
ALTER ROLE replicator LOGIN REPLICATION PASSWORD :'password';
SQL
if ! grep -q "^host replication replicator" "$PGDATA/pg_hba.conf"; then
  echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
fi
