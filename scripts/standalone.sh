#!/usr/bin/env bash
# roster under a real Airflow, without Docker (make standalone): `airflow standalone` runs the scheduler
# (LocalExecutor), the dag-processor, the triggerer and the api-server, with an SQLite metadata DB in
# $STANDALONE_HOME/airflow, and with this project's settings:
#   DAGs from dags/, the plugin from the package (.venv, entry point), the pools (lanes) imported by roster pools --import;
#   roster database: AIRFLOW_CONN_ROSTER_DB, else SQLite in $STANDALONE_HOME/roster.db (seeded when new);
#   Redis: AIRFLOW_CONN_ROSTER_REDIS, else the one on 127.0.0.1:6379 (db 0), else a redis-server it starts;
#   SQS: AIRFLOW_CONN_ROSTER_SQS with ROSTER_JOBS_QUEUE_URL and ROSTER_WARMUP_QUEUE_URL, else a local moto server
#     on a free loopback port with the queues roster-jobs and roster-user-cache-warmup (stopped with this script);
#   the roster DAGs unpaused (ROSTER_UNPAUSE="dag_id ..." chooses which; "" leaves them all paused).
# Other settings: STANDALONE_HOME (default .standalone), AIRFLOW_PORT (default 8080), and anything Airflow or
# roster reads from the environment (ROSTER_JOB_MODULES, CACHE_TTL_*, AIRFLOW__...) is passed on.
# It writes $STANDALONE_HOME/env.sh: source it in another shell to run `airflow ...` or `roster ...` against
# the same set-up. Ctrl-C (or SIGTERM) stops Airflow and the moto server, and so does the end of the process
# STANDALONE_WATCH_PID when it is given (a test or a bench that started this script: a caller that dies, even by
# SIGKILL, leaves nothing running). Every step that takes long runs in its own process group, waited for with
# `wait` (which a signal interrupts), so a stop takes seconds at any point.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
HOME_DIR=$(mkdir -p "${STANDALONE_HOME:-$ROOT/.standalone}" && cd "${STANDALONE_HOME:-$ROOT/.standalone}" && pwd)
PORT=${AIRFLOW_PORT:-8080}

RUNNING_GROUP=  # the process group of the step running now (run_group): a set-up command, or airflow standalone
MOTO_PID=
WATCHDOG_PID=
TRIM_GROUP=
stop() {
  trap - EXIT INT TERM
  if [ -n "$TRIM_GROUP" ]; then kill -- "-$TRIM_GROUP" 2>/dev/null || true; fi
  if [ -n "$RUNNING_GROUP" ]; then  # TERM, up to 20 s to end, then KILL
    kill -TERM -- "-$RUNNING_GROUP" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 -- "-$RUNNING_GROUP" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$RUNNING_GROUP" 2>/dev/null || true
  fi
  if [ -n "$MOTO_PID" ]; then
    kill "$MOTO_PID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$MOTO_PID" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$MOTO_PID" 2>/dev/null || true
  fi
  if [ -n "${STARTED_REDIS_PID:-}" ]; then kill "$STARTED_REDIS_PID" 2>/dev/null || true; fi
  if [ -n "$WATCHDOG_PID" ]; then kill "$WATCHDOG_PID" 2>/dev/null || true; fi
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
run_group() {  # run_group CMD...: CMD in a process group of its own, which stop() ends; returns CMD's status
  local status=0
  setsid "$@" &
  RUNNING_GROUP=$!
  wait "$RUNNING_GROUP" || status=$?  # a trapped signal interrupts `wait` at once
  RUNNING_GROUP=
  return "$status"
}
if [ -n "${STANDALONE_WATCH_PID:-}" ]; then
  (while kill -0 "$STANDALONE_WATCH_PID" 2>/dev/null; do sleep 0.5; done; kill -TERM $$) &
  WATCHDOG_PID=$!
fi

run_group scripts/install.sh requirements-test.txt  # moto (the local SQS) is a test requirement
PY="$ROOT/.venv/bin/python"
export PATH="$ROOT/.venv/bin:$PATH"  # `airflow standalone` starts its components as `airflow ...` from PATH

export AIRFLOW_HOME="$HOME_DIR/airflow"
export AIRFLOW__CORE__DAGS_FOLDER=${AIRFLOW__CORE__DAGS_FOLDER:-"$ROOT/dags"}  # a bench may add its own DAG files
export AIRFLOW__CORE__PLUGINS_FOLDER="$ROOT/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__EXECUTOR=LocalExecutor
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-"sqlite:///$AIRFLOW_HOME/airflow.db"}
export AIRFLOW__API__HOST=${AIRFLOW__API__HOST:-127.0.0.1}
export AIRFLOW__API__PORT=$PORT
export AIRFLOW__API__BASE_URL="http://127.0.0.1:$PORT"  # the workers reach the Execution API here
export AIRFLOW__API__WORKERS=${AIRFLOW__API__WORKERS:-1}
export AIRFLOW__CORE__PARALLELISM=${AIRFLOW__CORE__PARALLELISM:-16}  # task processes at once (LocalExecutor)
export AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL=${AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL:-30}
export AIRFLOW_CONN_ROSTER_DB=${AIRFLOW_CONN_ROSTER_DB:-"sqlite:///$HOME_DIR/roster.db"}
mkdir -p "$AIRFLOW_HOME"
. scripts/redis.sh
ensure_redis "$HOME_DIR"


if [ -z "${AIRFLOW_CONN_ROSTER_SQS:-}" ]; then
  moto_port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$PY" -m moto.server -H 127.0.0.1 -p "$moto_port" >"$HOME_DIR/moto.log" 2>&1 &
  MOTO_PID=$!
  for _ in $(seq 1 100); do "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $moto_port), 1)" 2>/dev/null && break; sleep 0.2; done
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
  export AIRFLOW_CONN_ROSTER_SQS="aws://testing:testing@/?region_name=us-east-1&endpoint_url=http%3A%2F%2F127.0.0.1%3A$moto_port"
  urls=$("$PY" - "$moto_port" <<'PY'
import sys
import boto3
sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1")
print(sqs.create_queue(QueueName="roster-jobs")["QueueUrl"], sqs.create_queue(QueueName="roster-user-cache-warmup")["QueueUrl"])
PY
)
  export ROSTER_JOBS_QUEUE_URL=${urls%% *} ROSTER_WARMUP_QUEUE_URL=${urls##* }
  echo "standalone: SQS is a moto server on 127.0.0.1:$moto_port (log: $HOME_DIR/moto.log)"
fi

{
  echo "# roster standalone set-up: . $HOME_DIR/env.sh"
  echo "export PATH=\"$ROOT/.venv/bin:\$PATH\""
  env | grep -E '^(AIRFLOW_HOME|AIRFLOW__|AIRFLOW_CONN_ROSTER_|ROSTER_|AWS_|CACHE_TTL_|PYTHONPATH)' | sort | while IFS='=' read -r name value; do
    printf 'export %s=%q\n' "$name" "$value"
  done
} >"$HOME_DIR/env.sh"

echo "standalone: initialising Airflow in $AIRFLOW_HOME (log: $HOME_DIR/setup.log)"
seed=
[ "$AIRFLOW_CONN_ROSTER_DB" = "sqlite:///$HOME_DIR/roster.db" ] && seed=1  # the demo database it made
. scripts/airflow_init.sh
init_airflow run_group "$seed" standalone
unpause=$UNPAUSED
echo "standalone: unpaused: ${unpause:-none}"
echo "standalone: UI on http://127.0.0.1:$PORT (user admin; password in $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated)"
echo "standalone: in another shell: . $HOME_DIR/env.sh; roster jobs stats"

# Every hour, the job DAGs' runs older than a day leave the grid (scripts/trim_run_history.sh). Its own process
# group: stop() ends the loop and its sleep together.
setsid bash -c 'while sleep 3600; do scripts/trim_run_history.sh || true; done' >>"$HOME_DIR/trim.log" 2>&1 &
TRIM_GROUP=$!
run_group airflow standalone  # scheduler, dag-processor, triggerer, api-server: all in this group
