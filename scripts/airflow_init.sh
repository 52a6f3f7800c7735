# Sourced by standalone.sh and cluster.sh: the set-up both run before starting Airflow's components.
# init_airflow RUNNER SEED NAME: migrate Airflow's metadata database, import the pools (lanes), seed the demo data
# once when SEED is not empty, create or upgrade the job table, serialize the DAGs, then unpause ROSTER_UNPAUSE
# (default: every roster DAG). Each step runs through RUNNER (the script's interruptible step runner), logged to
# $HOME_DIR/setup.log; a failed step ends the script with the log's end. Sets UNPAUSED to the DAG ids unpaused.

init_airflow() {
  local runner=$1 seed=$2 name=$3 dag_id
  : >"$HOME_DIR/setup.log"
  _init_step "$runner" airflow db migrate
  _init_step "$runner" roster pools --import
  if [ -n "$seed" ] && [ ! -e "$HOME_DIR/.seeded" ]; then
    _init_step "$runner" roster seed --users "${DEMO_USERS:-5000}" --assignments-per-user 5 --line-items 50
    touch "$HOME_DIR/.seeded"
  fi
  _init_step "$runner" roster jobs update-schema
  _init_step "$runner" airflow dags reserialize
  UNPAUSED=${ROSTER_UNPAUSE-roster_user_cache_warmup roster_user_cache_warmup_worker roster_job_queue roster_job_broker
    roster_job_maintenance roster_clear_finished_jobs roster_failed_jobs}
  for dag_id in $UNPAUSED; do
    "$runner" airflow dags unpause "$dag_id" >>"$HOME_DIR/setup.log" 2>&1 || echo "$name: could not unpause $dag_id" >&2
  done
}

_init_step() {  # _init_step RUNNER CMD...
  "$@" >>"$HOME_DIR/setup.log" 2>&1 || { tail -30 "$HOME_DIR/setup.log"; exit 1; }
}
