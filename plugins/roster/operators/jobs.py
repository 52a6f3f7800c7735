"""Operators of the job queue that run jobs: consume a lane, run what a broker delivered, settle its messages.
The maintenance and failed-jobs operators are in :mod:`roster.operators.job_maintenance`.

The job queue's name is ``queue_name``: ``queue`` is BaseOperator's (the executor's queue, e.g. Celery's).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from roster import settings
from roster.operators.metrics import measured

if TYPE_CHECKING:
    from airflow.sdk import Context

    from roster.jobs import JobQueue

@contextmanager
def job_queue(db_conn_id: str, queue: str, sqs_conn_id: str = settings.SQS_CONN_ID) -> Iterator[JobQueue]:
    """The JobQueue of a task, with the SQS broker when ``ROSTER_JOBS_QUEUE_URL`` is set; its connections are
    closed when the task is done with it."""
    from roster.jobs import JobQueue
    from roster.jobs.broker import SqsBroker

    url = settings.env_or_variable("ROSTER_JOBS_QUEUE_URL")
    broker = SqsBroker(url, aws_conn_id=sqs_conn_id) if url else None
    opened = JobQueue.from_conn_id(db_conn_id, queue=queue, broker=broker)
    try:
        yield opened
    finally:
        opened.engine.dispose()


def _worker(context: Context) -> str:
    ti = context["ti"]
    return f"{ti.dag_id}.{ti.task_id}[{ti.map_index}] {ti.run_id} try {ti.try_number}"[:255]


class ProcessJobsOperator(BaseOperator):
    """One consumer of a lane: drain its priority range until empty or ``time_limit``; returns the counts.

    :param priorities: the lane's range in the ``-p`` syntax (``0-9``, ``10-``...)
    :param time_limit: seconds; keep it under the DAG's interval so runs do not pile up
    :param job_ids: only these jobs (what a broker delivered); templated
    :param consumer: which of the lane's consumers this is (the DAG maps one per pool slot); shown in logs
    :param idle_wait: once the lane is empty, go on looking for new jobs for this many seconds (within time_limit)
    """

    template_fields: Sequence[str] = ("priorities", "job_ids", "queue_name", "db_conn_id")
    ui_color = "#cfe3f7"

    def __init__(
        self,
        *,
        priorities: str | None = None,
        time_limit: float | None = 50,
        limit: int | None = None,
        memory_limit: float | None = None,
        job_ids: Any = None,
        consumer: int | None = None,
        idle_wait: float = 0.0,
        queue_name: str = "default",
        db_conn_id: str = settings.DB_CONN_ID,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.consumer = consumer
        self.priorities = priorities
        self.time_limit = time_limit
        self.limit = limit
        self.memory_limit = memory_limit
        self.idle_wait = idle_wait
        self.job_ids = job_ids
        self.queue_name = queue_name
        self.db_conn_id = db_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from roster.monitor.minutes import record_minutes_quietly

        with job_queue(self.db_conn_id, self.queue_name) as queue, measured(queue, self.pool) as run:
            record_minutes_quietly(queue.store, queue.queue)  # the Roster page's charts: the minutes just over
            summary = run["summary"] = queue.process(
                priorities=self.priorities, limit=self.limit, time_limit=self.time_limit,
                memory_limit=self.memory_limit, worker=_worker(context), idle_wait=self.idle_wait,
                job_ids=list(self.job_ids) if self.job_ids is not None else None,
            )  # fmt: skip
        self.log.info(
            "lane %s consumer %s: %d claimed, %d finished, %d temporarily failed, %d permanently failed (stopped: %s)",
            self.priorities, self.consumer, summary["claimed"], summary["finished"], summary["temporarily_failed"],
            summary["permanently_failed"], summary["stopped_by"],
        )  # fmt: skip
        for error in summary["errors"]:
            self.log.warning("%s", error)
        return summary


def delivered_messages(context: Context, sensor_task_id: str | None) -> list[dict]:
    """The SQS messages of this run: those an SqsSensor received (its XCom ``messages``), or, without a sensor,
    those of the asset events that triggered the run (an AssetWatcher on a MessageQueueTrigger: the event's
    ``extra["payload"]["message_batch"]``)."""
    if sensor_task_id is not None:
        from roster.sensors.jobs import received_messages

        return received_messages(context["ti"], sensor_task_id)
    events = context.get("triggering_asset_events") or {}
    return [
        message
        for asset_events in events.values()
        for event in asset_events
        for message in ((event.extra or {}).get("payload") or {}).get("message_batch") or []
    ]


class BrokeredJobsOperator(BaseOperator):
    """Claim and run, within one lane's priority range, the jobs named by the messages an SqsSensor received
    (XCom ``messages``) or, with ``sensor_task_id=None``, those of the asset events that triggered the run; with
    ``drain``, then the rest of the lane's backlog. It deletes no message: several lanes share the messages, so one
    :class:`SettleJobMessagesOperator` downstream of them all does (an asset watcher's trigger deletes them).

    :param drain: after the delivered jobs, go on draining the lane until it is empty or ``time_limit``
    :param idle_wait: with ``drain``, once the lane is empty go on looking for new jobs for this many seconds
    """

    template_fields: Sequence[str] = ("priorities", "queue_name", "db_conn_id")
    ui_color = "#cfe3f7"

    def __init__(
        self, *, sensor_task_id: str | None, priorities: str | None = None, queue_name: str = "default",
        db_conn_id: str = settings.DB_CONN_ID, time_limit: float = 50, drain: bool = False, idle_wait: float = 0.0,
        **kwargs,
    ) -> None:  # fmt: skip
        super().__init__(**kwargs)
        self.sensor_task_id = sensor_task_id
        self.priorities = priorities
        self.queue_name = queue_name
        self.db_conn_id = db_conn_id
        self.time_limit = time_limit
        self.drain = drain
        self.idle_wait = idle_wait

    def execute(self, context: Context) -> dict[str, Any]:
        from roster.jobs.broker import CLAIM_BY_ID_MAX, add_counts, delivered_ids, process_delivered
        from roster.jobs.config import Deadline

        ids = delivered_ids(delivered_messages(context, self.sensor_task_id))
        # Many ids (a bulk): draining the lane claims them all the same, most urgent first, without IN lists.
        by_id = ids if not (self.drain and len(ids) > CLAIM_BY_ID_MAX) else []
        with job_queue(self.db_conn_id, self.queue_name) as queue, measured(queue, self.pool) as run:
            deadline = Deadline.after(self.time_limit)  # one budget for the delivered jobs and the drain
            summary = process_delivered(
                queue, by_id, priorities=self.priorities, deadline=deadline, worker=_worker(context)
            )  # fmt: skip
            if self.drain and not deadline.passed():
                # The rest of the lane's backlog, within the same time limit.
                drained = queue.process(
                    priorities=self.priorities, deadline=deadline, worker=_worker(context), idle_wait=self.idle_wait,
                )  # fmt: skip
                summary = add_counts(summary, drained)
            run["summary"] = summary
        self.log.info("lane %s: %d job id(s) delivered; %d job(s) claimed, %d finished",
                      self.priorities, len(ids), summary["claimed"], summary["finished"])  # fmt: skip
        return summary


class SettleJobMessagesOperator(BaseOperator):
    """After the lanes ran the delivered jobs: delete the messages all of whose jobs were claimed or are done, and
    the malformed ones; a message naming a job still READY stays, to be delivered again after its visibility
    timeout. Then the same for whatever else waits in the queue (``backlog``), ten messages a receive, so a backlog
    of messages for jobs the lanes drained is cleared in this one run. If a lane failed, this does not run: the
    messages come back and claim nothing that was taken or done."""

    template_fields: Sequence[str] = ("queue_url",)

    def __init__(
        self, *, sensor_task_id: str, queue_url: str, queue_name: str = "default",
        db_conn_id: str = settings.DB_CONN_ID, sqs_conn_id: str = settings.SQS_CONN_ID, backlog: bool = True,
        **kwargs,
    ) -> None:  # fmt: skip
        super().__init__(**kwargs)
        self.backlog = backlog
        self.sensor_task_id = sensor_task_id
        self.queue_url = queue_url
        self.queue_name = queue_name
        self.db_conn_id = db_conn_id
        self.sqs_conn_id = sqs_conn_id

    def execute(self, context: Context) -> dict[str, int]:
        from roster.connections import sqs_client
        from roster.jobs.broker import settle_backlog, settle_messages

        messages = delivered_messages(context, self.sensor_task_id)
        client = sqs_client(self.sqs_conn_id)
        with job_queue(self.db_conn_id, self.queue_name) as queue:
            result = settle_messages(queue, client, self.queue_url, messages)
            if self.backlog:
                backlog = settle_backlog(queue, client, self.queue_url)
                result.update({f"backlog_{key}": value for key, value in backlog.items()})
        self.log.info("settled: %s", result)
        return result
