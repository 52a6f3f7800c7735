"""JobQueueSensor: wait until a lane has jobs to claim, for deployments without SQS (the table is polled)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowException
from airflow.triggers.base import StartTriggerArgs

from roster import settings
from roster.sensors.sqs import AttributedSqsSensor
from roster.triggers.sqs import AttributedSqsTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context


class JobQueueSensor(BaseSensorOperator):
    """Succeeds when the lane has jobs to claim (READY, or a due retry); returns how many.

    Runs in ``mode="reschedule"`` (frees its worker slot between pokes) or ``deferrable=True`` (waits in the
    triggerer with :class:`~roster.triggers.jobs.JobQueueTrigger`).

    :param priorities: the lane's range in the ``-p`` syntax
    """

    template_fields: Sequence[str] = ("priorities", "queue_name", "db_conn_id")

    def __init__(
        self, *, priorities: str | None = None, queue_name: str = "default", db_conn_id: str = settings.DB_CONN_ID,
        deferrable: bool = False, **kwargs,
    ) -> None:  # fmt: skip
        super().__init__(**kwargs)
        self.priorities = priorities
        self.queue_name = queue_name
        self.db_conn_id = db_conn_id
        self.deferrable = deferrable

    def poke(self, context: Context) -> bool:
        from roster.triggers.jobs import ready_count

        count = ready_count(self.db_conn_id, self.queue_name, self.priorities)
        self.log.info("lane %s of queue %s: %d job(s) ready", self.priorities, self.queue_name, count)
        return count > 0

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        if self.poke(context):
            return None
        from roster.triggers.jobs import JobQueueTrigger

        self.defer(
            trigger=JobQueueTrigger(priorities=self.priorities, queue_name=self.queue_name,
                                    db_conn_id=self.db_conn_id, poll_interval=self.poke_interval),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )  # fmt: skip

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> int:
        if not event or event.get("status") != "success":
            raise AirflowException(f"JobQueueSensor trigger failed: {event}")
        return int(event["ready"])


class JobMessageSensor(AttributedSqsSensor):
    """The broker's :class:`SqsSensor`: its messages carry their receive count (and attributes), so that a message
    whose job stays READY is given up after ``ROSTER_SQS_MAX_RECEIVES`` deliveries instead of coming back forever.

    Given ``queue_setting`` (the environment variable or Airflow Variable that holds the queue URL) and
    ``deferrable=True``, it starts and ends in the triggerer (:class:`~roster.triggers.jobs.JobMessageTrigger`):
    the scheduler defers it straight away, and a message ends it with the XCom ``messages``, so neither the wait
    nor the wake-up starts a worker process; the lanes are scheduled about a second sooner. ``timeout`` then
    skips the run when no message came. Without ``queue_setting`` (or under ``dag.test()``, which runs every task
    on its worker) it runs as the SqsSensor it is.
    """

    trigger_class = AttributedSqsTrigger  # deferred by SqsSensor.execute (no queue_setting): the provider's events

    def __init__(self, *, queue_setting: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.queue_setting = queue_setting
        if queue_setting and self.deferrable:
            self.start_from_trigger = True
            self.start_trigger_args = StartTriggerArgs(
                trigger_cls="roster.triggers.jobs.JobMessageTrigger",
                trigger_kwargs=self._start_trigger_kwargs(),
                next_method="execute_complete",
                timeout=None,  # the trigger gives up itself, skipping the run (soft fail)
            )  # fmt: skip

    def poll_sqs(self, sqs_conn: Any) -> Any:
        """A receive, its messages decoded as they arrive (see :func:`roster.jobs.broker.decoded`)."""
        from roster.jobs.broker import decoded

        response = super().poll_sqs(sqs_conn)
        if response.get("Messages"):
            response["Messages"] = decoded(response["Messages"])
        return response

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> None:
        """Ended by the provider's trigger event (deferred without ``queue_setting``): its messages decoded."""
        from roster.jobs.broker import decoded

        if event and event.get("message_batch"):
            event = {**event, "message_batch": decoded(event["message_batch"])}
        super().execute_complete(context, event)

    def _start_trigger_kwargs(self) -> dict[str, Any]:
        return {
            "sqs_queue": "", "queue_setting": self.queue_setting, "give_up_after": float(self.timeout),
            "aws_conn_id": self.aws_conn_id, "max_messages": self.max_messages, "num_batches": self.num_batches,
            "wait_time_seconds": self.wait_time_seconds, "visibility_timeout": self.visibility_timeout,
            "delete_message_on_reception": self.delete_message_on_reception, "waiter_delay": int(self.poke_interval),
            "region_name": self.region_name, "verify": self.verify, "botocore_config": self.botocore_config,
        }  # fmt: skip


def received_messages(ti: Any, sensor_task_id: str) -> list[dict]:
    """The messages a :class:`JobMessageSensor` received (its XCom ``messages``), however it ended. Ended from the
    triggerer, its XCom is stored by Airflow 3.3's task-end event as JSON text (serialized twice), which is read
    back here as the list it was."""
    messages = ti.xcom_pull(task_ids=sensor_task_id, key="messages") or []
    return json.loads(messages) if isinstance(messages, str) else messages
