"""Bad job messages through SQS (moto): each body is refused as malformed and deleted, or settled by the state of
its jobs; a message whose job stays READY is given up after ROSTER_SQS_MAX_RECEIVES deliveries."""

from __future__ import annotations

import time
import uuid

import pytest

from roster.jobs import JobQueue, State
from roster.jobs.broker import MalformedJobMessageError, decode_job_ids, settle_backlog, settle_messages

from .conftest import states

MALFORMED = [
    ("{", "body is not JSON"),
    ("null", 'body must be {"ids": [<positive job id>, ...]} or {"id": <positive job id>}'),
    ("[1]", 'body must be {"ids"'),
    ("7", 'body must be {"ids"'),
    ('{"ids": 1}', 'body must be {"ids"'),
    ('{"ids": [1], "x": 2}', 'body must be {"ids"'),
    ('{"IDS": [1]}', 'body must be {"ids"'),
    ('{"ids": []}', '"ids" must be a non-empty list of positive job ids'),
    ('{"ids": [0]}', '"ids" must be a non-empty list of positive job ids'),
    ('{"ids": [-1]}', '"ids" must be a non-empty list of positive job ids'),
    ('{"ids": [true]}', '"ids" must be a non-empty list of positive job ids'),
    ('{"ids": ["1"]}', '"ids" must be a non-empty list of positive job ids'),
    ('{"ids": [1.5]}', '"ids" must be a non-empty list of positive job ids'),
    ('{"ids": [null]}', '"ids" must be a non-empty list of positive job ids'),
    ('{"id": 1.5}', '"ids" must be a non-empty list of positive job ids'),
    ('{"id": "1"}', '"ids" must be a non-empty list of positive job ids'),
]


@pytest.mark.parametrize(("body", "reason"), MALFORMED)
def test_malformed_bodies_are_refused_by_reason_and_deleted(maria, sqs_client, jobs_queue_url, body, reason):
    with pytest.raises(MalformedJobMessageError) as refused:
        decode_job_ids(body)
    assert reason in str(refused.value)

    sqs_client.send_message(QueueUrl=jobs_queue_url, MessageBody=body)
    queue = JobQueue(maria)
    queue.update_schema()

    summary = settle_messages(queue, sqs_client, jobs_queue_url, _receive(sqs_client, jobs_queue_url))

    assert summary == {"messages": 1, "messages_deleted": 1, "messages_kept": 0, "messages_malformed": 1}
    assert _left(sqs_client, jobs_queue_url) == 0


def test_well_formed_bodies_are_settled_by_the_state_of_their_jobs(maria, sqs_client, jobs_queue_url):
    queue = JobQueue(maria)
    finished = queue.publish("noop")
    queue.process(time_limit=30)
    ready = queue.publish("noop", delay=3600)
    bodies = [f'{{"id": {finished}}}', f'{{"ids": [{finished}, {finished}]}}', '{"ids": [999999999]}',
              f'{{"ids": [{ready}]}}', f'{{"ids": [{finished}, {ready}]}}']  # fmt: skip
    for body in bodies:
        sqs_client.send_message(QueueUrl=jobs_queue_url, MessageBody=body)

    summary = settle_messages(queue, sqs_client, jobs_queue_url, _receive(sqs_client, jobs_queue_url))

    assert summary == {"messages": 5, "messages_deleted": 3, "messages_kept": 2, "messages_malformed": 0}
    assert states(maria) == {finished: State.FINISHED, ready: State.READY}


def test_a_message_whose_job_stays_ready_is_given_up_after_max_receives(maria, sqs_client, jobs_queue_url, monkeypatch):
    """A READY job of another queue (or a long delay): its message no longer comes back forever."""
    monkeypatch.setenv("ROSTER_SQS_MAX_RECEIVES", "3")
    other = JobQueue(maria, queue="other")
    job_id = other.publish("noop", queue="other")
    sqs_client.send_message(QueueUrl=jobs_queue_url, MessageBody=f'{{"ids": [{job_id}]}}')
    queue = JobQueue(maria)

    settled = []
    for _ in range(3):
        _wait_visible(sqs_client, jobs_queue_url)  # a kept message is visible again BACKLOG_VISIBILITY s later
        settled.append(settle_backlog(queue, sqs_client, jobs_queue_url))
    kept, last = [s["messages_kept"] for s in settled[:2]], settled[2]

    assert kept == [1, 1]
    assert last["messages_deleted"] == 1 and last["messages_kept"] == 0
    assert _left(sqs_client, jobs_queue_url) == 0
    assert states(maria) == {job_id: State.READY}  # the table stays the truth: its own queue's lanes claim it


@pytest.fixture
def jobs_queue_url(sqs_client):
    url = sqs_client.create_queue(QueueName=f"roster-bad-jobs-{uuid.uuid4().hex}")["QueueUrl"]
    yield url
    sqs_client.delete_queue(QueueUrl=url)


def _receive(sqs_client, url: str) -> list[dict]:
    return sqs_client.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60, MessageSystemAttributeNames=["ApproximateReceiveCount"]
    ).get("Messages", [])  # fmt: skip


def _left(sqs_client, url: str, *, visible_only: bool = False) -> int:
    attributes = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    visible = int(attributes["ApproximateNumberOfMessages"])
    return visible if visible_only else visible + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _wait_visible(sqs_client, url: str) -> None:
    for _ in range(40):  # bounded: 10 s
        if _left(sqs_client, url, visible_only=True):
            return
        time.sleep(0.25)
    raise AssertionError("the kept message did not come back")
