"""WarmupMessageSensor against the moto SQS server: poking and deferring both receive the message attributes."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from airflow.sdk.exceptions import TaskDeferred

from roster.sensors.warmup import WarmupMessageSensor
from roster.triggers.warmup import WarmupMessageTrigger
from roster.warmup import symfony
from roster.warmup.messages import publish_usernames


class _TaskInstance:
    """Records the sensor's XCom (the task instance is the one Airflow piece a lone poke needs)."""

    def __init__(self) -> None:
        self.xcom: dict = {}

    def xcom_push(self, key, value) -> None:
        self.xcom[key] = value


@pytest.fixture
def queue(sqs_client):
    url = sqs_client.create_queue(QueueName=f"roster-sensor-{uuid.uuid4().hex}")["QueueUrl"]
    publish_usernames(sqs_client, url, [["user_1"]])
    yield url
    sqs_client.delete_queue(QueueUrl=url)


def _sensor(queue: str, **kwargs) -> WarmupMessageSensor:
    return WarmupMessageSensor(
        task_id="wait", aws_conn_id="roster_sqs", sqs_queue=queue, wait_time_seconds=1, num_batches=1,
        visibility_timeout=30, delete_message_on_reception=False, **kwargs,
    )  # fmt: skip


def _assert_symfony_message(messages: list) -> None:
    assert len(messages) == 1
    assert symfony.headers(messages[0])["type"] == symfony.DEFAULT_MESSAGE_TYPE
    assert messages[0]["Attributes"]["ApproximateReceiveCount"] == "1"


def test_poke_receives_the_attributes(queue):
    ti = _TaskInstance()

    assert _sensor(queue).poke({"ti": ti}) is True

    _assert_symfony_message(ti.xcom["messages"])


def test_deferring_uses_the_trigger_that_receives_the_attributes(queue):
    with pytest.raises(TaskDeferred) as deferred:
        _sensor(queue, deferrable=True, poke_interval=1, timeout=30).execute({})
    trigger = deferred.value.trigger
    assert isinstance(trigger, WarmupMessageTrigger) and trigger.sqs_queue == queue

    async def first_event():
        async for event in trigger.run():
            return event.payload

    payload = asyncio.run(asyncio.wait_for(first_event(), timeout=30))

    _assert_symfony_message(payload["message_batch"])
