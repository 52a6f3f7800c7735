"""
### roster_job_maintenance and roster_clear_finished_jobs

`roster_job_maintenance` (every 10 minutes): re-broker BACK_TO_BROKER and BROKER_FAILED jobs, and rescue jobs stuck
in PROCESSING past their lease (their consumer died): READY again, or failed for good after too many attempts;
and send each lane's depth per state and oldest ready job's age as gauges (`roster.jobs.depth`, ...).

`roster_clear_finished_jobs` (daily): delete finished jobs older than param `days` (default 14), in small batches.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, Param

from roster.operators.health import JobQueueGaugesOperator
from roster.operators.job_maintenance import ClearFinishedJobsOperator, RebrokerJobsOperator, RescueJobsOperator

with DAG(
    dag_id="roster_job_maintenance",
    description="Re-broker and rescue jobs",
    schedule="*/10 * * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=30)},
    tags=["roster", "jobs"],
    doc_md=__doc__,
) as dag:
    RescueJobsOperator(task_id="rescue_expired") >> RebrokerJobsOperator(task_id="rebroker")
    JobQueueGaugesOperator(task_id="lane_gauges")

with DAG(
    dag_id="roster_clear_finished_jobs",
    description="Delete finished jobs older than `days`",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    params={"days": Param(14, type="number", minimum=0, title="Days",
                          description="Delete jobs finished more than this many days ago.")},  # fmt: skip
    tags=["roster", "jobs"],
    doc_md=__doc__,
) as clear_finished_dag:
    ClearFinishedJobsOperator(task_id="clear_finished", days="{{ params.days }}")
