#!/usr/bin/env bash
# roster on Airflow's CeleryExecutor, as plain processes on this machine (make cluster): the topology of
# docker-compose.yaml with the settings of airflow.env, which both read.
#   PostgreSQL 15 on 127.0.0.1:5432: Airflow's metadata database AIRFLOW_DB_NAME (default roster_airflow, role
#     airflow), created when missing, the server started (or installed) when down;
#   Celery's broker: a private redis-server on a free loopback port (results go to PostgreSQL);
#   roster database: AIRFLOW_CONN_ROSTER_DB, else MariaDB's roster_cluster on 127.0.0.1:3306 (seeded when new);
#   cache Redis: AIRFLOW_CONN_ROSTER_REDIS, else the one on 127.0.0.1:6379 (db 0), else one it starts;
#   SQS: AIRFLOW_CONN_ROSTER_SQS (with the queue URLs), else a moto server with airflow.env's queues;
#   api-server, scheduler, dag-processor, triggerer and CLUSTER_WORKERS (default 2) Celery workers w1, w2, ...
#     (celery hostname w1@<host>, task instances' hostname w1.<host>), CLUSTER_WORKER_CONCURRENCY (default 2)
#     task slots each.
# roster's own database and cache are the caller's (as in production); airflow.env's defaults name compose's.
# Other settings: CLUSTER_HOME (default .cluster), AIRFLOW_PORT (8080), ROSTER_UNPAUSE (DAG ids to unpause,
# default all roster DAGs), and anything Airflow or roster reads from the environment, which wins over airflow.env.
# It writes $CLUSTER_HOME/env.sh (source it to run `airflow ...` or `roster ...` against the cluster) and
# $CLUSTER_HOME/pids ("name pid" of every process it started). Ctrl-C, SIGTERM or `scripts/cluster.sh stop`
# (make cluster-stop) stops every process it started, and what they started, by pid; so does the end of the
# process CLUSTER_WATCH_PID when given (a test or bench that started it: even killed, it leaves nothing running).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
HOME_DIR=$(mkdir -p "${CLUSTER_HOME:-$ROOT/.cluster}" && cd "${CLUSTER_HOME:-$ROOT/.cluster}" && pwd)

if [ "${1:-}" = stop ]; then  # the running cluster.sh of this CLUSTER_HOME stops what it started
  pid=$(cat "$HOME_DIR/cluster.pid" 2>/dev/null) && kill -TERM "$pid" 2>/dev/null || { echo "cluster: not running"; exit 0; }
  for _ in $(seq 1 90); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.5; done
  echo "cluster: $pid still running after 45 s" >&2; exit 1
fi

scripts/install.sh requirements-test.txt  # moto (the local SQS) is a test requirement
PY="$ROOT/.venv/bin/python"
export PATH="$ROOT/.venv/bin:$PATH"
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null && return 0; sleep 0.2; done; return 1; }
. scripts/processes.sh
. scripts/postgres.sh
. scripts/redis.sh

if pid=$(cat "$HOME_DIR/cluster.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null; then
  echo "cluster: already running in $HOME_DIR (pid $pid); stop it first: CLUSTER_HOME=$HOME_DIR scripts/cluster.sh stop" >&2
  exit 1
fi
PIDS_FILE="$HOME_DIR/pids"
: >"$PIDS_FILE"
echo $$ >"$HOME_DIR/cluster.pid"
stop() {
  trap - EXIT INT TERM
  echo "cluster: stopping"
  stop_processes
  [ "$(cat "$HOME_DIR/cluster.pid" 2>/dev/null)" = $$ ] && rm -f "$HOME_DIR/cluster.pid"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
[ -n "${CLUSTER_WATCH_PID:-}" ] && watch_caller "$CLUSTER_WATCH_PID"

export AIRFLOW_HOME="$HOME_DIR/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags" AIRFLOW__CORE__PLUGINS_FOLDER="$ROOT/plugins"
export AIRFLOW_API_PORT=${AIRFLOW_PORT:-8080}
export AIRFLOW__API__HOST=${AIRFLOW__API__HOST:-127.0.0.1} AIRFLOW__API__PORT=$AIRFLOW_API_PORT
export AIRFLOW__API__BASE_URL="http://127.0.0.1:$AIRFLOW_API_PORT" AIRFLOW__API__WORKERS=${AIRFLOW__API__WORKERS:-1}
export AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=${AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT:-$(free_port)}
mkdir -p "$AIRFLOW_HOME"

# Addresses: airflow.env's compose service names, here local processes.
ensure_postgres
export AIRFLOW_DB_NAME=${AIRFLOW_DB_NAME:-roster_airflow} AIRFLOW_DB_ADDRESS=127.0.0.1:5432
ensure_airflow_database "$AIRFLOW_DB_NAME"
command -v redis-server >/dev/null || { echo "cluster: Celery's broker needs redis-server (Debian: apt-get install redis-server)" >&2; exit 1; }
broker_port=$(free_port)
start_process broker-redis "$HOME_DIR/broker-redis.log" \
  redis-server --bind 127.0.0.1 --port "$broker_port" --save "" --appendonly no
export CELERY_BROKER_ADDRESS=127.0.0.1:$broker_port AIRFLOW_API_ADDRESS=127.0.0.1:$AIRFLOW_API_PORT
wait_port "$broker_port" || { echo "cluster: Celery's Redis did not start (log: $HOME_DIR/broker-redis.log)" >&2; exit 1; }
if [ -z "${AIRFLOW_CONN_ROSTER_DB:-}" ]; then
  mariadb -uroot -h127.0.0.1 -e "CREATE DATABASE IF NOT EXISTS roster_cluster CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
  export AIRFLOW_CONN_ROSTER_DB="mysql://root@127.0.0.1:3306/roster_cluster"
  seed_demo=1
fi
rm -f "$HOME_DIR/redis.pid"
ensure_redis "$HOME_DIR"
if [ -f "$HOME_DIR/redis.pid" ]; then  # ensure_redis started a cache Redis: it is ours to stop
  STARTED+=("$(cat "$HOME_DIR/redis.pid")")
  echo "cache-redis ${STARTED[-1]}" >>"$PIDS_FILE"
fi
if [ -z "${AIRFLOW_CONN_ROSTER_SQS:-}" ]; then
  moto_port=$(free_port)
  start_process moto "$HOME_DIR/moto.log" "$PY" -m moto.server -H 127.0.0.1 -p "$moto_port"
  wait_port "$moto_port" || { echo "cluster: moto did not start (log: $HOME_DIR/moto.log)" >&2; exit 1; }
  export SQS_ADDRESS=127.0.0.1:$moto_port AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1
  create_queues=1
fi
eval "$("$PY" scripts/cluster_env.py airflow.env)"
if [ -n "${create_queues:-}" ]; then
  "$PY" -c 'import sys, boto3
sqs = boto3.client("sqs", endpoint_url=sys.argv[1], region_name="us-east-1")
for url in sys.argv[2:]: sqs.create_queue(QueueName=url.rsplit("/", 1)[1])' \
    "http://$SQS_ADDRESS" "$ROSTER_JOBS_QUEUE_URL" "$ROSTER_WARMUP_QUEUE_URL"
fi

{
  echo "# roster cluster set-up: . $HOME_DIR/env.sh"
  echo "export PATH=\"$ROOT/.venv/bin:\$PATH\""
  env | grep -E '^(AIRFLOW_HOME|AIRFLOW__\w*|AIRFLOW_CONN_ROSTER_\w*|ROSTER_\w*|AWS_\w*|CACHE_TTL_\w*|PYTHONPATH)=' | sort |
    while IFS='=' read -r name value; do printf 'export %s=%q\n' "$name" "$value"; done
} >"$HOME_DIR/env.sh"

echo "cluster: initialising Airflow in $AIRFLOW_HOME (metadata: PostgreSQL $AIRFLOW_DB_NAME; log: $HOME_DIR/setup.log)"
. scripts/airflow_init.sh
init_airflow run_step "${seed_demo:-}" cluster

for component in api-server scheduler dag-processor triggerer; do
  start_process "$component" "$HOME_DIR/$component.log" airflow "$component"
done
host=$(hostname)
for i in $(seq 1 "${CLUSTER_WORKERS:-2}"); do
  start_process "w$i" "$HOME_DIR/w$i.log" env AIRFLOW__CORE__HOSTNAME_CALLABLE=roster.hostname.worker_hostname \
    ROSTER_WORKER_HOSTNAME="w$i.$host" AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT="$(free_port)" \
    airflow celery worker --celery-hostname "w$i@%h" --concurrency "${CLUSTER_WORKER_CONCURRENCY:-2}"
done
echo "cluster: started $(wc -l <"$PIDS_FILE") processes (pids in $HOME_DIR/pids, logs in $HOME_DIR/*.log)"

# Ready: the api-server reports a healthy scheduler, triggerer and dag-processor, and every worker said so.
ready=
for _ in $(seq 1 400); do
  "$PY" - "$AIRFLOW_API_PORT" "${CLUSTER_WORKERS:-2}" "$HOME_DIR" <<'PY' && { ready=1; break; }
import json, pathlib, sys, urllib.request
port, workers, home = sys.argv[1], int(sys.argv[2]), pathlib.Path(sys.argv[3])
try:
    health = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=2))
except (OSError, ValueError):
    sys.exit(1)
healthy = all(health.get(c, {}).get("status") == "healthy" for c in ("scheduler", "triggerer", "dag_processor"))
ready = all(" ready." in (home / f"w{i}.log").read_text(errors="replace") for i in range(1, workers + 1))
sys.exit(0 if healthy and ready else 1)
PY
  for pid in "${STARTED[@]}"; do
    running "$pid" || { echo "cluster: $(grep " $pid\$" "$PIDS_FILE" | cut -d' ' -f1) exited; see $HOME_DIR/*.log" >&2; exit 1; }
  done
  sleep 0.5
done
[ -n "$ready" ] || { echo "cluster: not ready after 4 minutes; see the logs in $HOME_DIR" >&2; exit 1; }
echo "cluster: ready: UI on http://127.0.0.1:$AIRFLOW_API_PORT (user admin; password in $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated)"
echo "cluster: unpaused: ${UNPAUSED:-none}; in another shell: . $HOME_DIR/env.sh; roster jobs stats"
wait
