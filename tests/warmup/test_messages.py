"""Asynchronous warmup messages: their shape, publishing in batches, and handling received batches."""

from __future__ import annotations

import uuid

import orjson
import pytest

from roster.warmup import UserCacheWarmer
from roster.warmup.messages import MalformedMessageError, decode, handle_messages, publish_usernames

from .test_shard import cached_users


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{", "not JSON"),
        ("[]", "exactly one key"),
        ('{"usernames": ["a"], "extra": 1}', "exactly one key"),
        ('{"usernames": []}', "non-empty list"),
        ('{"usernames": ["a", 7]}', "non-empty strings"),
        ('{"usernames": ["a", "  "]}', "non-empty strings"),
    ],
)
def test_malformed_bodies_say_what_is_wrong(body, reason):
    with pytest.raises(MalformedMessageError, match=reason):
        decode(body)


def test_decode_accepts_unicode_usernames():
    assert decode(orjson.dumps({"usernames": ["zoë", "用户"]})) == ["zoë", "用户"]


@pytest.fixture
def queue(sqs_client):
    url = sqs_client.create_queue(QueueName=f"roster-test-{uuid.uuid4().hex}")["QueueUrl"]
    yield url
    sqs_client.delete_queue(QueueUrl=url)


def _receive_all(sqs_client, url, limit=50):
    received = []
    for _ in range(limit):  # bounded: at most `limit` receive calls
        batch = sqs_client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages")
        if not batch:
            break
        received.extend(batch)
    return received


def test_publish_splits_into_messages_of_at_most_100(sqs_client, queue):
    pages = [[f"user_{i}" for i in range(250)], [f"other_{i}" for i in range(1001)]]

    sent, users = publish_usernames(sqs_client, queue, pages)

    assert (sent, users) == (3 + 11, 1251)
    bodies = [decode(m["Body"]) for m in _receive_all(sqs_client, queue)]
    assert len(bodies) == 14 and max(map(len, bodies)) == 100
    assert sorted(name for body in bodies for name in body) == sorted(pages[0] + pages[1])


def test_duplicate_delivery_is_handled_once_and_deleted(mariadb_engine, redis_client, sqs_client, queue):
    from .conftest import load_dataset

    load_dataset(mariadb_engine)
    sqs_client.send_message(QueueUrl=queue, MessageBody=orjson.dumps({"usernames": ["user_5", "user_10"]}).decode())
    first = _receive_all(sqs_client, queue)
    # The same message again, as SQS may deliver it: with a new receipt handle.
    sqs_client.change_message_visibility(QueueUrl=queue, ReceiptHandle=first[0]["ReceiptHandle"], VisibilityTimeout=0)
    second = _receive_all(sqs_client, queue)

    summary = handle_messages(UserCacheWarmer(mariadb_engine, redis_client), sqs_client, queue, first + second)

    assert summary["messages"] == 1 and summary["messages_done"] == 1 and summary["users_warmed"] == 2
    assert set(cached_users(redis_client)) == {"user_5", "user_10"}
    assert _receive_all(sqs_client, queue, limit=2) == []


def test_malformed_messages_go_to_the_dead_letter_queue(
    mariadb_engine, redis_client, sqs_client, queue, monkeypatch
):
    from .conftest import load_dataset

    load_dataset(mariadb_engine)
    dead_letter = sqs_client.create_queue(QueueName=f"roster-dlq-{uuid.uuid4().hex}")["QueueUrl"]
    monkeypatch.setenv("ROSTER_WARMUP_DEAD_LETTER_QUEUE_URL", dead_letter)
    sqs_client.send_message(QueueUrl=queue, MessageBody="garbage")
    sqs_client.send_message(QueueUrl=queue, MessageBody=orjson.dumps({"usernames": ["user_5"]}).decode())

    summary = handle_messages(
        UserCacheWarmer(mariadb_engine, redis_client), sqs_client, queue, _receive_all(sqs_client, queue)
    )

    assert summary["messages_done"] == 1 and summary["messages_malformed"] == 1
    parked = _receive_all(sqs_client, dead_letter)
    assert [m["Body"] for m in parked] == ["garbage"]
    assert _receive_all(sqs_client, queue, limit=2) == []
    sqs_client.delete_queue(QueueUrl=dead_letter)
