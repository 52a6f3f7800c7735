"""Bad warmup messages through SQS (moto), end to end: each body is refused with the reason logged and removed,
or accepted and warmed; none stays in the queue. Poison messages are given up after ROSTER_SQS_MAX_RECEIVES."""

from __future__ import annotations

import uuid

import pytest
import redis

from roster.errors import ServiceUnavailableError
from roster.warmup import UserCacheWarmer
from roster.warmup.messages import handle_messages
from roster.warmup.symfony import message_type

PHP_ENVELOPE = 'O:36:"Symfony\\Component\\Messenger\\Envelope":2:{s:44:"\\0Symfony\\Component\\Messenger\\Envelope\\0stamps";a:0:{}}'
TOO_LONG = "a" * 300

BODIES = [
    # (body, message attributes, the reason it is refused, or None: accepted and warmed)
    ("{", {}, "body is not JSON"),
    ("null", {}, 'body must be an object with exactly one key, "usernames"'),
    ("[]", {}, 'body must be an object with exactly one key, "usernames"'),
    ('"user_4"', {}, 'body must be an object with exactly one key, "usernames"'),
    ('{"Usernames": ["user_4"]}', {}, 'body must be an object with exactly one key, "usernames"'),
    ('{"usernames": ["user_4"], "x": 1}', {}, 'body must be an object with exactly one key, "usernames"'),
    ('{"usernames": "user_4"}', {}, '"usernames" must be a non-empty list of usernames'),
    ('{"usernames": []}', {}, '"usernames" must be a non-empty list of usernames'),
    ('{"usernames": [1]}', {}, '"usernames" must hold non-empty strings only'),
    ('{"usernames": [null]}', {}, '"usernames" must hold non-empty strings only'),
    ('{"usernames": [""]}', {}, '"usernames" must hold non-empty strings only'),
    ('{"usernames": ["user_4\\ud800"]}', {}, "body is not JSON"),
    ('{"usernames": ["nobody_here"]}', {}, "unknown user(s): nobody_here"),
    ('{"usernames": ["user_4", "nobody"]}', {}, "unknown user(s): nobody"),
    ('{"usernames": ["\\u0000"]}', {}, "unknown user(s): \x00"),
    ('{"usernames": ["' + TOO_LONG + '"]}', {}, f"unknown user(s): {TOO_LONG}"),
    (PHP_ENVELOPE, {}, "body is a PHP-serialized envelope"),
    ('{"usernames": ["user_4"]}', {"type": "App\\Message\\Other"}, 'header "type" is'),
    ('{"usernames": ["user_4"]}', {"Content-Type": "application/x-php"}, 'header "Content-Type" is'),
    ('{"usernames": ["user_4"]}', {}, None),
    ('{"usernames": ["user_5", "user_5"]}', {}, None),
    ('  {"usernames": ["zoë_ünïcødé"]}\n', {}, None),
    ('{"usernames": ["用户_名", "user_10"]}', {"type": "<default>", "Content-Type": "application/json"}, None),
]


@pytest.fixture(scope="module")
def warmed_database(mariadb_engine):
    from .conftest import load_dataset

    load_dataset(mariadb_engine)
    return mariadb_engine


@pytest.fixture
def queue(sqs_client):
    url = sqs_client.create_queue(QueueName=f"roster-bad-{uuid.uuid4().hex}")["QueueUrl"]
    yield url
    sqs_client.delete_queue(QueueUrl=url)


def _send_and_receive(sqs_client, url: str, body: str, attributes: dict[str, str], *, visibility: int = 60) -> list:
    attributes = {k: message_type() if v == "<default>" else v for k, v in attributes.items()}
    sqs_client.send_message(QueueUrl=url, MessageBody=body, MessageAttributes={
        k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()})  # fmt: skip
    return _receive(sqs_client, url, visibility=visibility)


def _receive(sqs_client, url: str, *, visibility: int = 60) -> list:
    return sqs_client.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=visibility, MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["ApproximateReceiveCount"],
    ).get("Messages", [])  # fmt: skip


def _left(sqs_client, url: str) -> int:
    attributes = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


@pytest.mark.parametrize(("body", "attributes", "reason"), BODIES, ids=[b[:40] for b, *_ in BODIES])
def test_each_body_is_refused_by_reason_or_warmed(warmed_database, redis_client, sqs_client, queue, body, attributes, reason):
    received = _send_and_receive(sqs_client, queue, body, attributes)
    assert len(received) == 1

    summary = handle_messages(UserCacheWarmer(warmed_database, redis_client), sqs_client, queue, received)

    if reason is None:
        assert summary["messages_done"] == 1 and summary["malformed"] == []
        assert summary["users_warmed"] >= 1
        assert len(list(redis_client.scan_iter("user.*"))) == summary["users_warmed"]
    else:
        assert summary["messages_done"] == 0
        assert len(summary["malformed"]) == 1 and reason in summary["malformed"][0]["reason"]
    assert _left(sqs_client, queue) == 0


def test_a_dead_letter_queue_that_fails_never_holds_back_the_handled_messages(
    warmed_database, redis_client, sqs_client, queue, monkeypatch
):
    monkeypatch.setenv("ROSTER_WARMUP_DEAD_LETTER_QUEUE_URL", queue.rsplit("/", 1)[0] + "/no-such-queue")
    monkeypatch.setenv("ROSTER_SQS_MAX_RECEIVES", "3")
    sqs_client.send_message(QueueUrl=queue, MessageBody='{"usernames": ["user_4"]}')
    sqs_client.send_message(QueueUrl=queue, MessageBody="{broken")
    warmer = UserCacheWarmer(warmed_database, redis_client)

    first = handle_messages(warmer, sqs_client, queue, _receive(sqs_client, queue, visibility=0))

    assert first["messages_done"] == 1 and first["messages_kept"] == 1  # the DLQ refused the broken one: it stays
    assert redis_client.exists("user.user_4") == 1
    for receive in (2, 3):  # bounded: the broken message comes back until its third receive
        again = _receive(sqs_client, queue, visibility=0)
        assert [m["Body"] for m in again] == ["{broken"]
        assert again[0]["Attributes"]["ApproximateReceiveCount"] == str(receive)
        summary = handle_messages(warmer, sqs_client, queue, again)
    assert summary["messages_kept"] == 0 and summary["messages_malformed"] == 1
    assert _left(sqs_client, queue) == 0


def test_messages_that_cannot_be_warmed_are_dead_lettered_after_max_receives(
    warmed_database, sqs_client, queue, monkeypatch
):
    from conftest import free_port

    dead_letter = sqs_client.create_queue(QueueName=f"roster-dlq-{uuid.uuid4().hex}")["QueueUrl"]
    monkeypatch.setenv("ROSTER_WARMUP_DEAD_LETTER_QUEUE_URL", dead_letter)
    monkeypatch.setenv("ROSTER_SQS_MAX_RECEIVES", "2")
    down = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    sqs_client.send_message(QueueUrl=queue, MessageBody='{"usernames": ["user_4"]}')
    warmer = UserCacheWarmer(warmed_database, down)

    for _ in range(2):  # Redis is down: the first receive leaves the message for later, the second gives it up
        with pytest.raises(ServiceUnavailableError, match="cache Redis"):
            handle_messages(warmer, sqs_client, queue, _receive(sqs_client, queue, visibility=0))

    assert _left(sqs_client, queue) == 0
    parked = _receive(sqs_client, dead_letter)
    assert [m["Body"] for m in parked] == ['{"usernames": ["user_4"]}']
    assert "not warmed after 2 receives" in parked[0]["MessageAttributes"]["roster_error"]["StringValue"]
    sqs_client.delete_queue(QueueUrl=dead_letter)
