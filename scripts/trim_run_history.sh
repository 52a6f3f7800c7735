#!/usr/bin/env bash
# Keeps the grid readable: roster_job_queue (every minute) and roster_job_broker (a run per burst of jobs) make
# many runs that say little once they are a day old. This deletes their runs started more than
# ROSTER_RUN_HISTORY_HOURS (24) hours ago, with their task instances, through `airflow db clean` (no archive
# tables). Every other DAG's history is left alone, and Airflow keeps each DAG's latest scheduled run.
# Job outcomes outlive it: they are in the background_job table (`roster jobs failed show`, roster_failed_jobs).
#
# Run it where the airflow CLI reaches the metadata database: cron on the scheduler's host, e.g.
#   17 * * * *  cd /path/to/roster && scripts/trim_run_history.sh
# `make standalone` runs it every hour. (A task cannot: Airflow 3 gives tasks no metadata database access.)
set -euo pipefail

hours=${ROSTER_RUN_HISTORY_HOURS:-24}
case $hours in '' | *[!0-9]*) echo "trim_run_history: ROSTER_RUN_HISTORY_HOURS=$hours is not a whole number of hours" >&2; exit 2 ;; esac
before=$(date -u -d "-$hours hours" '+%Y-%m-%d %H:%M:%S+00:00')
exec airflow db clean --tables dag_run --dag-ids roster_job_queue,roster_job_broker \
  --clean-before-timestamp "$before" --skip-archive --yes
