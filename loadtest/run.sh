#!/usr/bin/env bash
# Huddle-morning load test (issue 8): gunicorn + locust headless, then a summary.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/icn_load REDIS_URL=redis://127.0.0.1:6379/14 \
#       loadtest/run.sh
#
# The database is migrated and seeded (seed_demo) first: use a throwaway one, the pharmacists
# log real visits. Overridable: USERS (50), SPAWN_RATE (10), DURATION (5m), PORT (8765),
# WORKERS (4), CSV (/tmp/loadtest), WAIT_MIN/WAIT_MAX (think time, 1..3 s), DEMO_PASSWORD.
# At scale, on generate_synthetic data (its --password as DEMO_PASSWORD), without seeding:
#   SEED=0 NETWORKS=synthetic-eastwick-moor,synthetic-... ACCOUNT='synthetic.{role}.1.{short}'
#   (see loadtest/journeys.py; the pharmacists' visits are written there too).
# Every account logs in once before the users start (timed and printed on its own: password
# hashing is slow by design) and warms each worker up (WARM_UP rounds, 3); statistics are
# then reset once every user is spawned (RESET_STATS=1, the default), leaving the ramp-up
# out. RESET_STATS=0 keeps it in. The database connection is kept as in production
# (CONN_MAX_AGE, 60 s).
# Goal (issues 8 and 20): p95 < GOAL_P95 ms and no errors: 300 on the demo data at 50 users
# (the default), 500 on the synthetic data at 25 users (GOAL_P95=500).
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DATABASE_URL:?set DATABASE_URL to a throwaway database}"
USERS=${USERS:-50}
SPAWN_RATE=${SPAWN_RATE:-10}
DURATION=${DURATION:-5m}
PORT=${PORT:-8765}
WORKERS=${WORKERS:-4}
CSV=${CSV:-/tmp/loadtest}
RESET_STATS=${RESET_STATS:-1}
PY=.venv/bin/python

# Local settings with DEBUG off: production settings force secure cookies (HTTPS only).
export DJANGO_SETTINGS_MODULE=icn.settings.local DEBUG=false ICN_READ_DOTENV=false
export DATABASE_URL REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/14}"
export CONN_MAX_AGE="${CONN_MAX_AGE:-60}"

$PY manage.py migrate --verbosity 0
if [ "${SEED:-1}" = 1 ]; then
    $PY manage.py seed_demo --verbosity 0
fi

.venv/bin/gunicorn icn.wsgi -w "$WORKERS" -b "127.0.0.1:$PORT" --log-level warning &
GUNICORN=$!
trap 'kill "$GUNICORN" 2>/dev/null; wait "$GUNICORN" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
    sleep 0.2
done

.venv/bin/locust -f loadtest/locustfile.py --headless -u "$USERS" -r "$SPAWN_RATE" \
    -t "$DURATION" --host "http://127.0.0.1:$PORT" --csv "$CSV" --only-summary \
    $([ "$RESET_STATS" = 1 ] && echo --reset-stats) || true

$PY - "$CSV" "${GOAL_P95:-300}" <<'EOF'
import csv, sys

prefix = sys.argv[1]
rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))
print("\n== Per endpoint (ms) ==")
print(f"{'endpoint':48} {'reqs':>6} {'fails':>5} {'p50':>5} {'p95':>5} {'p99':>5} {'rps':>6}")
for r in rows:
    name = "TOTAL" if r["Name"] == "Aggregated" else f"{r['Type']} {r['Name']}"
    print(
        f"{name:48} {r['Request Count']:>6} {r['Failure Count']:>5} {r['50%']:>5}"
        f" {r['95%']:>5} {r['99%']:>5} {float(r['Requests/s']):>6.1f}"
    )
total = next(r for r in rows if r["Name"] == "Aggregated")
if total["Request Count"] == "0":
    sys.exit("No requests were measured: the logins and warm-up took the whole DURATION.")
p95 = float(total["95%"])
fails = int(total["Failure Count"])
print(
    f"\nSummary: {float(total['Requests/s']):.1f} req/s, p50 {total['50%']} ms,"
    f" p95 {total['95%']} ms, p99 {total['99%']} ms, {fails} failures"
    f" of {total['Request Count']} requests"
)
try:
    errors = list(csv.DictReader(open(f"{prefix}_exceptions.csv")))
except FileNotFoundError:
    errors = []
for e in errors:
    print(f"Exception x{e['Count']}: {e['Message']}")
fails += sum(int(e["Count"]) for e in errors)
goal = float(sys.argv[2])
print(f"Goal p95 < {goal:.0f} ms and no errors:", "MET" if p95 < goal and fails == 0 else "NOT MET")
EOF
