"""
### roster_job_events (measured by bench/jobs_latency.py against roster_job_broker)

Airflow 3's event-driven scheduling as the broker: an `Asset` whose `AssetWatcher` runs a `MessageQueueTrigger`
(common-messaging provider, scheme `sqs`) on `ROSTER_JOBS_QUEUE_URL` in the triggerer, long-polling for 20 s at a
time and deleting what it receives; each batch of messages becomes an asset event, and asset events start runs of
this DAG, whose lanes claim the delivered ids and drain their ranges as roster_job_broker's do. No sensor task and
no settling: the table is the truth, and roster_job_queue's polling runs whatever a lost wake-up leaves behind.
The queue URL must be in the environment when the file is parsed (an AssetWatcher's trigger is not templated).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.providers.common.messaging.triggers.msg_queue import MessageQueueTrigger
from airflow.sdk import DAG, Asset, AssetWatcher

from roster.jobs.lanes import lane_specs
from roster.operators.jobs import BrokeredJobsOperator
from roster.settings import SQS_CONN_ID, broker_idle_wait

QUEUE_URL = os.environ.get("ROSTER_JOBS_QUEUE_URL", "")
if QUEUE_URL and os.environ.get("ROSTER_JOB_EVENTS_QUEUE"):  # the bench: a queue of its own, beside the broker's
    QUEUE_URL = QUEUE_URL.rsplit("/", 1)[0] + "/" + os.environ["ROSTER_JOB_EVENTS_QUEUE"]
watchers = [
    AssetWatcher(
        name="roster_jobs_sqs",
        trigger=MessageQueueTrigger(
            scheme="sqs", sqs_queue=QUEUE_URL, aws_conn_id=SQS_CONN_ID, max_messages=10, wait_time_seconds=20,
            waiter_delay=0, delete_message_on_reception=True,
        ),  # fmt: skip
    )
] if QUEUE_URL else []  # fmt: skip
jobs_published = Asset(name="roster_jobs_published", uri="roster://jobs/published", watchers=watchers)

with DAG(
    dag_id="roster_job_events",
    description="Run jobs when their ids arrive on SQS (AssetWatcher + MessageQueueTrigger)",
    schedule=[jobs_published],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=10)},
    tags=["roster", "jobs", "sqs"],
    doc_md=__doc__,
) as dag:
    for pool, lane in lane_specs().items():
        BrokeredJobsOperator(
            task_id=f"run_{pool}", pool=pool, priorities=lane["priorities"], sensor_task_id=None, drain=True,
            idle_wait=broker_idle_wait(),
        )  # fmt: skip
