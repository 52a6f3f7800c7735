"""
### roster_job_broker

Broker mode: an SQS sensor on `ROSTER_JOBS_QUEUE_URL` receives messages `{"ids": [...]}`, one per publishing
transaction and lane (the old `{"id": N}` too). It starts and ends in the triggerer: no worker process runs it, so
an idle queue costs no worker slot and a message wakes the lanes within about a second. Then every lane at once, each
in its own pool, claims and runs the delivered jobs of its priority range (most urgent first; a delivery of more
than 1,000 ids is simply drained), drains the rest of its backlog, and keeps looking for new jobs until it has been
idle for `ROSTER_BROKER_IDLE_WAIT` seconds (10), all within 50 s. Then `settle_messages` deletes the messages all
of whose jobs were claimed or found done (a duplicate delivery claims nothing) and the malformed ones; a message
naming a job still waiting its turn stays. It then receives whatever else waits in the queue, ten at a time, and
settles it the same way, so a backlog is cleared in one run. `outcomes` adds up the lanes' counts and fails,
turning the run red, when a job failed for good (the lanes, and the jobs that went well, stay green). One run at a
time, one after the other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from roster.jobs.lanes import lane_specs
from roster.operators.job_outcomes import JobOutcomesOperator
from roster.operators.jobs import BrokeredJobsOperator, SettleJobMessagesOperator
from roster.sensors.jobs import JobMessageSensor
from roster.settings import SQS_CONN_ID, broker_idle_wait, required_setting

QUEUE_URL = "{{ roster_setting('ROSTER_JOBS_QUEUE_URL') }}"
IDLE_WAIT = broker_idle_wait()  # an environment variable: no I/O at parse time

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
    wait = JobMessageSensor(
        task_id="wait_for_job_ids",
        aws_conn_id=SQS_CONN_ID,
        sqs_queue=QUEUE_URL,
        queue_setting="ROSTER_JOBS_QUEUE_URL",  # the wait starts and ends in the triggerer: no worker for it
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
    lanes = [
        BrokeredJobsOperator(
            task_id=f"run_{pool}", pool=pool, priorities=lane["priorities"], sensor_task_id=wait.task_id, drain=True,
            idle_wait=IDLE_WAIT,
        )  # fmt: skip
        for pool, lane in lane_specs().items()
    ]
    settle = SettleJobMessagesOperator(task_id="settle_messages", sensor_task_id=wait.task_id, queue_url=QUEUE_URL)
    wait >> lanes >> settle
    lanes >> JobOutcomesOperator(task_id="outcomes", lane_results=[lane.output for lane in lanes])
