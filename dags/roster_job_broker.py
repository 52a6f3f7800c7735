"""
### roster_job_broker

Broker mode: a deferrable SQS sensor on `ROSTER_JOBS_QUEUE_URL` (waiting in the triggerer) receives the ids of
newly published jobs; then each lane, most urgent first and in its own pool, claims and runs the received jobs in
its priority range, then goes on draining its lane (within the same 50 s), so one wake-up clears the backlog.
Messages are deleted once their jobs are claimed or found already done; a duplicate delivery claims nothing.
One run at a time, one after the other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.amazon.aws.sensors.sqs import SqsSensor
from airflow.sdk import DAG, chain

from roster.jobs.lanes_config import lane_specs
from roster.operators.jobs import BrokeredJobsOperator
from roster.settings import SQS_CONN_ID, required_setting

QUEUE_URL = "{{ roster_setting('ROSTER_JOBS_QUEUE_URL') }}"

with DAG(
    dag_id="roster_job_broker",
    description="Run jobs as soon as their ids arrive on SQS",
    schedule="@continuous",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    user_defined_macros={"roster_setting": required_setting},
    default_args={"retries": 1, "retry_delay": timedelta(seconds=10)},
    tags=["roster", "jobs", "sqs"],
    doc_md=__doc__,
) as dag:
    wait = SqsSensor(
        task_id="wait_for_job_ids",
        aws_conn_id=SQS_CONN_ID,
        sqs_queue=QUEUE_URL,
        # One long poll: it returns as soon as a message arrives (low latency), and an idle queue costs one
        # request per 5 s. The lanes then drain their backlog, so a wake-up is not limited to 10 ids.
        max_messages=10,
        num_batches=1,
        wait_time_seconds=5,
        visibility_timeout=300,
        delete_message_on_reception=False,
        deferrable=True,
        poke_interval=1,
        timeout=timedelta(hours=1).total_seconds(),
        soft_fail=True,
    )
    lanes = list(lane_specs().items())
    chain(
        wait,
        *[
            BrokeredJobsOperator(
                task_id=f"run_{pool}", pool=pool, priorities=lane["priorities"], sensor_task_id=wait.task_id,
                queue_url=QUEUE_URL, delete_messages=index == len(lanes) - 1, drain=True,
            )  # fmt: skip
            for index, (pool, lane) in enumerate(lanes)
        ],
    )
