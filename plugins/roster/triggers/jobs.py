"""Triggers of the job queue: JobQueueTrigger waits until a lane has jobs to claim, polling the table;
JobMessageTrigger is the broker's wait for job messages on SQS."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TaskSkippedEvent, TaskSuccessEvent, TriggerEvent

from roster import settings
from roster.triggers.sqs import AttributedSqsTrigger


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


class JobMessageTrigger(AttributedSqsTrigger):
    """The broker's wait for job messages, wholly in the triggerer: the scheduler starts it there (the sensor's
    ``start_from_trigger``) and it ends the sensor there, its messages as the XCom ``messages``, so no worker
    process starts or resumes for the wait, and the lanes are scheduled as soon as a message arrives.

    It long-polls without a pause in between (``waiter_delay`` only paces short polls, ``wait_time_seconds=0``).
    Trigger arguments are not templated, so the queue URL may be given as ``queue_setting``: the name of the
    environment variable or Airflow Variable that holds it, read here. After ``give_up_after`` seconds without a
    message the sensor is skipped (so is the rest of its run) and the next run waits afresh.
    """

    def __init__(self, *, queue_setting: str | None = None, give_up_after: float = 3600.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.queue_setting = queue_setting
        self.give_up_after = give_up_after

    def serialize(self) -> tuple[str, dict[str, Any]]:
        _, kwargs = super().serialize()
        return (f"{type(self).__module__}.{type(self).__qualname__}",
                {**kwargs, "queue_setting": self.queue_setting, "give_up_after": self.give_up_after})  # fmt: skip

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from asgiref.sync import sync_to_async

        from roster.jobs.broker import decoded

        if not self.sqs_queue and self.queue_setting:
            self.sqs_queue = await sync_to_async(settings.required_setting)(self.queue_setting)
        deadline = time.monotonic() + self.give_up_after
        async with await self.hook.get_async_conn() as client:
            while True:
                messages = await self.poke(client=client)
                if messages:
                    self.log.info("%d job message(s) received on %s", len(messages), self.sqs_queue)
                    yield TaskSuccessEvent(xcoms={"messages": json_safe(decoded(messages))})
                    return
                if time.monotonic() >= deadline:
                    self.log.info("no job message within %.0f s: this run is skipped", self.give_up_after)
                    yield TaskSkippedEvent()
                    return
                if not self.wait_time_seconds:  # a long poll is the wait itself: a pause would only add latency
                    await asyncio.sleep(self.waiter_delay)


def json_safe(value: Any) -> Any:
    """``value`` as JSON can hold it (an XCom): binary message attributes as base64 text."""
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    return value
