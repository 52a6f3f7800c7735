# Sourced by cluster.sh: start long-running processes each in its own session, remember them by pid, and stop
# them, with everything they started, by pid. Needs PIDS_FILE (lines "NAME PID", appended as they start).

STARTED=()  # session leaders' pids, in start order
STEP=       # the set-up step running now (run_step), stopped with the rest if a signal comes meanwhile

start_process() {  # start_process NAME LOG COMMAND...: run COMMAND in a new session, output to LOG
  local name=$1 log=$2; shift 2
  setsid "$@" >"$log" 2>&1 </dev/null &
  STARTED+=("$!")
  echo "$name $!" >>"$PIDS_FILE"
}

run_step() {  # run_step CMD...: CMD in a session of its own, waited for with `wait` (which a signal interrupts)
  local status=0
  setsid "$@" </dev/null &
  STEP=$!
  wait "$STEP" || status=$?
  STEP=
  return "$status"
}

watch_caller() {  # watch_caller PID: when PID ends (even by SIGKILL), SIGTERM this script, which stops the rest
  (while kill -0 "$1" 2>/dev/null; do sleep 0.5; done; kill -TERM $$ 2>/dev/null) </dev/null >/dev/null 2>&1 &
  STARTED+=("$!")
}

process_tree() {  # process_tree PID: PID and all its descendants (some, e.g. task processes, leave its session)
  local pid=$1 child
  echo "$pid"
  for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do process_tree "$child"; done
}

running() {  # running PID: alive and not a zombie waiting to be reaped
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) && [ "${state:0:1}" != Z ]
}

stop_processes() {  # stop every started process tree, newest first: TERM, up to 30 s in all, then KILL
  local pids=() i pid
  [ -n "$STEP" ] && pids+=($(process_tree "$STEP"))
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    pids+=($(process_tree "${STARTED[$i]}"))
  done
  [ ${#pids[@]} -eq 0 ] && return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 60); do
    alive=()
    for pid in "${pids[@]}"; do running "$pid" && alive+=("$pid"); done
    [ ${#alive[@]} -eq 0 ] && return 0
    sleep 0.5
  done
  kill -KILL "${alive[@]}" 2>/dev/null || true
}
