"""The job queue's triggers run as the triggerer runs them (an asyncio loop): JobQueueTrigger against MariaDB,
JobMessageTrigger against the moto SQS server."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from airflow.triggers.base import TaskSkippedEvent, TaskSuccessEvent

from conftest import queue_named_by
from roster.jobs import JobQueue
from roster.jobs.broker import JOB_IDS
from roster.triggers.jobs import JobMessageTrigger, JobQueueTrigger


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


@pytest.fixture
def jobs_queue(sqs_client, monkeypatch):
    """An SQS queue of this test; ROSTER_TEST_JOBS_QUEUE_URL names it, as ROSTER_JOBS_QUEUE_URL would."""
    yield from queue_named_by(sqs_client, monkeypatch, "ROSTER_TEST_JOBS_QUEUE_URL", "roster-trigger")


def _message_trigger(**kwargs) -> JobMessageTrigger:
    args = {"sqs_queue": "", "queue_setting": "ROSTER_TEST_JOBS_QUEUE_URL", "aws_conn_id": "roster_sqs",
            "max_messages": 10, "wait_time_seconds": 1, "visibility_timeout": 30,
            "delete_message_on_reception": False, "waiter_delay": 0, **kwargs}  # fmt: skip
    # As the triggerer builds it: from its serialized form.
    classpath, serialized = JobMessageTrigger(**args).serialize()
    assert classpath == "roster.triggers.jobs.JobMessageTrigger"
    return JobMessageTrigger(**serialized)


def _first_event(trigger, timeout: float = 30):
    async def first():
        async for event in trigger.run():
            return event

    return asyncio.run(asyncio.wait_for(first(), timeout=timeout))


def test_message_trigger_ends_the_sensor_with_the_messages_as_its_xcom(jobs_queue, sqs_client):
    sqs_client.send_message(QueueUrl=jobs_queue, MessageBody='{"ids": [7, 8]}', MessageAttributes={
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}})  # fmt: skip

    event = _first_event(_message_trigger())

    assert isinstance(event, TaskSuccessEvent)
    (message,) = event.xcoms["messages"]
    assert message["Body"] == '{"ids": [7, 8]}'
    assert message[JOB_IDS] == [7, 8]  # decoded here, once: the lanes and the settle task read the ids
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"  # for the poison-message rule
    assert message["MessageAttributes"]["blob"]["BinaryValue"] == "AP8="  # JSON can hold it
    json.dumps(event.xcoms)
    # Not deleted on reception: settle_messages does that once the lanes had the jobs.
    assert sqs_client.get_queue_attributes(QueueUrl=jobs_queue, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])[
        "Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"  # fmt: skip


def test_message_trigger_long_polls_without_a_pause_in_between(jobs_queue, sqs_client):
    trigger = _message_trigger(waiter_delay=60)  # a pause after an empty poll would outlast the wait below

    async def scenario():
        first = asyncio.ensure_future(trigger.run().__anext__())
        await asyncio.sleep(2.5)  # the first long polls (1 s each) came back empty
        assert not first.done()
        await asyncio.to_thread(sqs_client.send_message, QueueUrl=jobs_queue, MessageBody='{"ids": [1]}')
        return await asyncio.wait_for(first, timeout=15)

    event = asyncio.run(scenario())
    assert isinstance(event, TaskSuccessEvent) and event.xcoms["messages"][0]["Body"] == '{"ids": [1]}'


def test_message_trigger_skips_the_run_when_no_message_comes(jobs_queue):
    started = time.monotonic()

    event = _first_event(_message_trigger(give_up_after=1.5))

    assert isinstance(event, TaskSkippedEvent)
    assert 1.5 <= time.monotonic() - started < 20


def test_message_trigger_names_the_missing_setting(monkeypatch):
    monkeypatch.delenv("ROSTER_TEST_JOBS_QUEUE_URL", raising=False)
    with pytest.raises(Exception, match="ROSTER_TEST_JOBS_QUEUE_URL"):
        _first_event(_message_trigger())
