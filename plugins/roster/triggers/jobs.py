"""JobQueueTrigger: waits in the triggerer until a lane has jobs to claim, polling the table."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from roster import settings


def ready_count(db_conn_id: str, queue_name: str, priorities: str | None) -> int:
    from roster.jobs import JobQueue

    queue = JobQueue.from_conn_id(db_conn_id, queue=queue_name)
    try:
        return queue.ready_count(priorities)
    finally:
        queue.engine.dispose()


class JobQueueTrigger(BaseTrigger):
    """Fires once the lane (``priorities`` of ``queue_name``) has a job to claim; polls every ``poll_interval`` s.

    The query is one indexed COUNT, run in a thread so the triggerer's event loop never blocks on the database.
    """

    def __init__(
        self, *, priorities: str | None = None, queue_name: str = "default",
        db_conn_id: str = settings.DB_CONN_ID, poll_interval: float = 5.0,
    ) -> None:  # fmt: skip
        super().__init__()
        self.priorities = priorities
        self.queue_name = queue_name
        self.db_conn_id = db_conn_id
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "roster.triggers.jobs.JobQueueTrigger",
            {"priorities": self.priorities, "queue_name": self.queue_name, "db_conn_id": self.db_conn_id,
             "poll_interval": self.poll_interval},
        )  # fmt: skip

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            count = await asyncio.to_thread(ready_count, self.db_conn_id, self.queue_name, self.priorities)
            if count:
                yield TriggerEvent({"status": "success", "ready": count})
                return
            await asyncio.sleep(self.poll_interval)
