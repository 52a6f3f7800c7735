#!/usr/bin/env bash
# The main job, end to end, on embedded defaults (make demo):
#   install into .venv; a local AIRFLOW_HOME in .demo/airflow (SQLite metadata DB, pools from roster pools --import);
#   a roster database (SQLite in .demo/roster.db, or the one AIRFLOW_CONN_ROSTER_DB names) seeded with demo data;
#   a Redis (127.0.0.1:6379 when one answers, else a redis-server started on a free port for the demo);
#   then `airflow dags test roster_user_cache_warmup`, its summary and one cached document.
# Settings: DEMO_USERS (default 5000), AIRFLOW_CONN_ROSTER_DB, AIRFLOW_CONN_ROSTER_REDIS.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEMO="$ROOT/.demo"
mkdir -p "$DEMO"

scripts/install.sh
PY="$ROOT/.venv/bin/python"

export AIRFLOW_HOME="$DEMO/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$ROOT/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$AIRFLOW_HOME/airflow.db"
export AIRFLOW__LOGGING__LOGGING_LEVEL=${AIRFLOW__LOGGING__LOGGING_LEVEL:-WARNING}
export AIRFLOW_CONN_ROSTER_DB=${AIRFLOW_CONN_ROSTER_DB:-"sqlite:///$DEMO/roster.db"}

. scripts/redis.sh
ensure_redis "$DEMO"

echo "demo: initialising Airflow in $AIRFLOW_HOME"
.venv/bin/airflow db migrate >"$DEMO/airflow-db-migrate.log" 2>&1 || { tail -20 "$DEMO/airflow-db-migrate.log"; exit 1; }
.venv/bin/roster pools --import >/dev/null

echo "demo: seeding the roster database with ${DEMO_USERS:-5000} users"
.venv/bin/roster seed --users "${DEMO_USERS:-5000}" --assignments-per-user 5 --line-items 50 --reset >/dev/null

echo "demo: airflow dags test roster_user_cache_warmup (log: .demo/dags-test.log)"
.venv/bin/airflow dags test roster_user_cache_warmup >"$DEMO/dags-test.log" 2>&1 || true

"$PY" - <<'PY'
import orjson
from airflow.models import DagRun
from airflow.models.xcom import XComModel as XCom
from airflow.utils.session import create_session

from roster.warmup import redis_for

with create_session() as session:
    run = session.query(DagRun).filter_by(dag_id="roster_user_cache_warmup").order_by(DagRun.id.desc()).first()
    summary = session.scalars(
        XCom.get_many(run_id=run.run_id, dag_ids=run.dag_id, task_ids="summary", key="return_value")
    ).first()
    if run is None or run.state != "success" or summary is None:
        raise SystemExit(f"demo: the warmup run failed ({run and run.state}); its log is .demo/dags-test.log")
    print("\nsummary of run", run.run_id, f"({run.state}):")
    print(orjson.dumps(XCom.deserialize_value(summary), option=orjson.OPT_INDENT_2).decode())
client = redis_for()
key = next(client.scan_iter(match="user.*", count=1000))
print(f"\none cached document: {key.decode()} (TTL {client.ttl(key)} s)")
print(orjson.dumps(orjson.loads(client.get(key)), option=orjson.OPT_INDENT_2).decode())
PY
