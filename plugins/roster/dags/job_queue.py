"""
### roster_job_queue

Every minute, drains the `background_job` table lane by lane. Each lane of `roster/pools.json` (a pool with a
`priorities` key) gets as many mapped consumer tasks as its pool has slots, each in that pool, each draining the
lane's priority range (most urgent first) until it is empty or 50 s have passed. The pool's slots bound how many
consumers of a lane run at once, here and in `roster_job_broker` alike. `outcomes` adds up the consumers' counts and
fails, turning the run red, when a job failed for good (the consumers, and the jobs that went well, stay green).
`announce_batches` emits an Asset event (`roster://batches/<name>`) for each batch that completed, so DAGs scheduled
on a batch's Asset run once it is done.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from roster.jobs.lanes import lane_specs
from roster.operators.job_batches import AnnounceBatchesOperator
from roster.operators.job_outcomes import JobOutcomesOperator
from roster.operators.jobs import ProcessJobsOperator

with DAG(
    dag_id="roster_job_queue",
    description="Drain the job table, one mapped consumer per pool slot of each lane",
    schedule="* * * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=5),
    default_args={"retries": 1, "retry_delay": timedelta(seconds=10)},
    tags=["roster", "jobs"],
    doc_md=__doc__,
) as dag:
    consumers = [
        ProcessJobsOperator.partial(
            task_id=f"consume_{pool}", pool=pool, priorities=lane["priorities"], time_limit=50,
            map_index_template="consumer {{ task.consumer }}",
        ).expand(consumer=list(range(lane["slots"])))
        for pool, lane in lane_specs().items()
    ]  # fmt: skip
    consumers >> JobOutcomesOperator(task_id="outcomes", lane_results=[consumer.output for consumer in consumers])
    consumers >> AnnounceBatchesOperator(task_id="announce_batches", trigger_rule="all_done")
