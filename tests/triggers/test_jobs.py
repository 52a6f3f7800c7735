"""JobQueueTrigger run as the triggerer runs it (an asyncio loop), against MariaDB."""

from __future__ import annotations

import asyncio
import os

import pytest

from roster.jobs import JobQueue
from roster.triggers.jobs import JobQueueTrigger
from tests.jobs.conftest import reset

os.environ["ROSTER_JOB_MODULES"] = "tests.jobs.callbacks"


@pytest.fixture
def maria(mariadb_engine):
    return reset(mariadb_engine)


def test_trigger_fires_when_a_job_of_its_lane_becomes_ready(maria):
    queue = JobQueue(maria)
    queue.publish("noop", priority=50)
    trigger = JobQueueTrigger(priorities="0-9", poll_interval=0.2)

    async def scenario():
        task = asyncio.ensure_future(trigger.run().__anext__())
        await asyncio.sleep(1.0)
        assert not task.done()  # only another lane's job so far
        await asyncio.to_thread(queue.publish, "urgent", {"key": "now"})
        return await asyncio.wait_for(task, timeout=10)

    event = asyncio.run(scenario())
    assert event.payload == {"status": "success", "ready": 1}
