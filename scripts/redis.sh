# Sourced by demo.sh and standalone.sh: ensure_redis DIR sets AIRFLOW_CONN_ROSTER_REDIS when it is not set:
# the Redis on 127.0.0.1:6379 when one answers, else a redis-server started on a free port (pid and log in DIR,
# pid in STARTED_REDIS_PID).
# Needs $PY (the venv's python).

redis_answers() {  # redis_answers PORT
  "$PY" -c "import redis; redis.Redis(host='127.0.0.1', port=$1, socket_connect_timeout=1).ping()" 2>/dev/null
}

ensure_redis() {  # ensure_redis DIR
  local dir=$1 port
  [ -n "${AIRFLOW_CONN_ROSTER_REDIS:-}" ] && return 0
  if redis_answers 6379; then
    export AIRFLOW_CONN_ROSTER_REDIS="redis://127.0.0.1:6379/0"
    echo "$(basename "$0" .sh): using the Redis at 127.0.0.1:6379"
  elif command -v redis-server >/dev/null; then
    port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
    for _ in $(seq 1 50); do redis_answers "$port" && break; sleep 0.1; done
    STARTED_REDIS_PID=$(cat "$dir/redis.pid" 2>/dev/null || true)  # standalone.sh stops it on exit
    export AIRFLOW_CONN_ROSTER_REDIS="redis://127.0.0.1:$port/0"
    echo "$(basename "$0" .sh): started redis-server on 127.0.0.1:$port (stop it: kill \$(cat $dir/redis.pid))"
  else
    echo "$(basename "$0" .sh): no Redis answers on 127.0.0.1:6379 and redis-server is not installed." >&2
    echo "  Install one (Debian: apt-get install redis-server) or set AIRFLOW_CONN_ROSTER_REDIS=redis://host:port/db" >&2
    return 1
  fi
}
