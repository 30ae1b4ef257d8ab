#!/bin/sh
# Run once by the postgres image on an empty data volume (/docker-entrypoint-initdb.d):
# creates icn_app, the role the web app, worker and beat connect as. It is not a superuser,
# cannot bypass row-level security and owns nothing; the image's POSTGRES_USER owns the
# tables and runs the migrations, after which ICN grants icn_app what it needs
# (core/rls.py, docs/adr/0006). Also run by hand against an existing cluster:
#   POSTGRES_USER=icn POSTGRES_DB=icn ICN_APP_PASSWORD=... sh deploy/postgres-init/10-icn-app-role.sh
set -eu
: "${ICN_APP_PASSWORD:?set ICN_APP_PASSWORD}"
psql -v ON_ERROR_STOP=1 ${PGHOST:+--host "$PGHOST"} --username "${POSTGRES_USER:-postgres}" \
  --dbname "${POSTGRES_DB:-postgres}" -v app_password="$ICN_APP_PASSWORD" <<'SQL'
SELECT 'CREATE ROLE icn_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT'
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'icn_app') \gexec
ALTER ROLE icn_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
-- The policies' sub-plans lift short queries over jit_above_cost, and compiling them then
-- costs ~0.5 s a query (docs/adr/0006, docs/performance.md).
ALTER ROLE icn_app SET jit = off;
SELECT format('GRANT CONNECT ON DATABASE %I TO icn_app', current_database()) \gexec
GRANT USAGE ON SCHEMA public TO icn_app;
SQL
