"""
### roster_user_cache_warmup_worker

Consumes the asynchronous warmup: a deferrable SQS sensor on `ROSTER_WARMUP_QUEUE_URL` waits for
`{"usernames": [...]}` messages (in the triggerer, holding no worker slot), then `warm_messages` warms their users
and deletes each message only after its users were written. The roster application's own messages (Symfony
Messenger's SQS transport: `type` and `Content-Type` attributes, stamps, retries) are read alike. Malformed messages
are logged with their id and removed (or moved to `ROSTER_WARMUP_DEAD_LETTER_QUEUE_URL`). One run at a time, one
after the other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from roster.operators.warmup import UserCacheWarmupMessagesOperator
from roster.sensors.warmup import WarmupMessageSensor
from roster.settings import SQS_CONN_ID, WARMUP_POOL, required_setting

QUEUE_URL = "{{ roster_setting('ROSTER_WARMUP_QUEUE_URL') }}"

with DAG(
    dag_id="roster_user_cache_warmup_worker",
    description="Warm the users named by SQS messages",
    schedule="@continuous",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    user_defined_macros={"roster_setting": required_setting},
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    tags=["roster", "cache", "sqs"],
    doc_md=__doc__,
) as dag:
    wait = WarmupMessageSensor(
        task_id="wait_for_messages",
        aws_conn_id=SQS_CONN_ID,
        sqs_queue=QUEUE_URL,
        # Up to 100 messages (10,000 users) a run. Each receive waits at most a second, so all ten stay well
        # inside the visibility timeout: a longer poll lets received messages reappear and arrive twice.
        max_messages=10,
        num_batches=10,
        wait_time_seconds=1,
        visibility_timeout=300,
        # Deleted by warm_messages once their users are written: a crash in between redelivers them.
        delete_message_on_reception=False,
        deferrable=True,
        poke_interval=5,
        # An idle hour ends the run quietly (skipped, not failed); @continuous starts the next one.
        timeout=timedelta(hours=1).total_seconds(),
        soft_fail=True,
    )
    wait >> UserCacheWarmupMessagesOperator(
        task_id="warm_messages", sensor_task_id=wait.task_id, queue_url=QUEUE_URL, pool=WARMUP_POOL
    )
