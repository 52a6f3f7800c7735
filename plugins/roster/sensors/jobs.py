"""JobQueueSensor: wait until a lane has jobs to claim, for deployments without SQS (the table is polled)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowException

from roster import settings
from roster.sensors.warmup import WarmupMessageSensor

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


class JobMessageSensor(WarmupMessageSensor):
    """The broker's :class:`SqsSensor`: its messages carry their receive count (and attributes), so that a message
    whose job stays READY is given up after ``ROSTER_SQS_MAX_RECEIVES`` deliveries instead of coming back forever."""
