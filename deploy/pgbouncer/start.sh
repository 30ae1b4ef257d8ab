#!/bin/sh
# Writes pgbouncer's configuration from the environment and runs it (docs/deployment.md):
# transaction pooling, two databases for the app: "icn" (the primary) and "icn_replica" (the
# streaming replica). The web app, worker and beat then connect with DATABASE_POOLER=true,
# which turns off what a pooled session cannot keep (core/rls.py, icn/settings/base.py).
# Also by hand:
#   PRIMARY_HOST=127.0.0.1 REPLICA_HOST=127.0.0.1 REPLICA_PORT=5433 ICN_APP_PASSWORD=... \
#     PGBOUNCER_DIR=/tmp/pgb sh deploy/pgbouncer/start.sh
set -eu
: "${ICN_APP_PASSWORD:?set ICN_APP_PASSWORD}"
dir="${PGBOUNCER_DIR:-/tmp/pgbouncer}"
mkdir -p "$dir"
umask 077
printf '"icn_app" "%s"\n' "$ICN_APP_PASSWORD" > "$dir/userlist.txt"
cat > "$dir/pgbouncer.ini" <<INI
[databases]
icn = host=${PRIMARY_HOST:-postgres} port=${PRIMARY_PORT:-5432} dbname=${POSTGRES_DB:-icn}
icn_replica = host=${REPLICA_HOST:-postgres-replica} port=${REPLICA_PORT:-5432} dbname=${POSTGRES_DB:-icn}

[pgbouncer]
listen_addr = ${LISTEN_ADDR:-0.0.0.0}
listen_port = ${LISTEN_PORT:-6432}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
; server connections per database and user (docs/deployment.md: sizing)
default_pool_size = ${PGBOUNCER_POOL_SIZE:-20}
reserve_pool_size = ${PGBOUNCER_RESERVE_POOL_SIZE:-5}
max_client_conn = ${PGBOUNCER_MAX_CLIENT_CONN:-500}
max_db_connections = ${PGBOUNCER_MAX_DB_CONNECTIONS:-40}
server_reset_query =
ignore_startup_parameters = extra_float_digits
INI
exec pgbouncer "$dir/pgbouncer.ini"
