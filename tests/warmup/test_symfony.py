"""Symfony Messenger's envelope on SQS: headers from attributes, the checks, retry stamps; and roster's messages
read back by the real transport's receiver (tests/php/messenger.php) into the application's class."""

from __future__ import annotations

import uuid

import orjson
import pytest

from roster.warmup import symfony
from roster.warmup.messages import MalformedMessageError, decode, decode_message, publish_usernames
from tests.messenger import messenger

TYPE = symfony.DEFAULT_MESSAGE_TYPE
STAMPS = {
    "X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\BusNameStamp": '[{"busName":"messenger.bus.default"}]',
    symfony.REDELIVERY_STAMP_HEADER: '[{"retryCount":1,"redeliveredAt":"2026-11-24T14:43:02+00:00"},'
    '{"retryCount":2,"redeliveredAt":"2026-11-24T14:44:02+00:00"}]',
}


def _string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def _message(body: str = '{"usernames":["user_5"]}', **attributes: str) -> dict:
    return {"MessageId": "m1", "Body": body, "MessageAttributes": {k: _string(v) for k, v in attributes.items()}}


def test_headers_merge_the_special_attribute_as_the_receiver_does():
    message = _message(
        type=TYPE, **{"Content-Type": "application/json", "X-Symfony-Messenger": orjson.dumps(STAMPS).decode()}
    )
    message["MessageAttributes"]["binary"] = {"DataType": "Binary", "BinaryValue": b"x"}  # skipped, as in PHP

    headers = symfony.headers(message)

    assert headers == {"type": TYPE, "Content-Type": "application/json", **STAMPS}
    assert symfony.retry_count(headers) == 2
    assert decode_message(message, TYPE) == ["user_5"]


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        ({"type": "App\\Message\\Other"}, 'header "type" is .*ROSTER_WARMUP_MESSAGE_TYPE'),
        ({"type": TYPE, "Content-Type": "application/xml"}, "symfony_serializer with JSON"),
        ({"X-Symfony-Messenger": "[1, 2]"}, "X-Symfony-Messenger is not a JSON object"),
    ],
)
def test_foreign_envelopes_are_refused_by_name(attributes, reason):
    with pytest.raises(MalformedMessageError, match=reason):
        decode_message(_message(**attributes), TYPE)


def test_plain_messages_and_unreadable_stamps_still_pass():
    assert decode_message({"Body": '{"usernames":["a"]}'}, TYPE) == ["a"]
    assert symfony.retry_count({symfony.REDELIVERY_STAMP_HEADER: "not json"}) == 0


def test_the_application_may_send_more_than_100_usernames():
    assert len(decode(orjson.dumps({"usernames": [f"u{i}" for i in range(500)]}))) == 500


@pytest.fixture
def queue(sqs_client):
    url = sqs_client.create_queue(QueueName=f"roster-symfony-{uuid.uuid4().hex}")["QueueUrl"]
    yield url
    sqs_client.delete_queue(QueueUrl=url)


def test_roster_messages_decode_into_the_application_class(sqs_client, queue):
    usernames = ["user_1", "zoë_ünïcødé", "用户_名", 'quote"and\\slash'] + [f"user_{i}" for i in range(2, 150)]

    sent, users = publish_usernames(sqs_client, queue, [usernames])

    assert (sent, users) == (2, len(usernames))
    handled = messenger("consume", queue, 2)
    assert [m["class"] for m in handled] == [TYPE, TYPE]
    assert sorted(name for m in handled for name in m["usernames"]) == sorted(usernames)
    assert int(sqs_client.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"][
        "ApproximateNumberOfMessages"]) == 0  # fmt: skip


def test_the_message_class_is_a_setting(sqs_client, queue, monkeypatch):
    monkeypatch.setenv("ROSTER_WARMUP_MESSAGE_TYPE", "App\\Message\\WarmUp")

    publish_usernames(sqs_client, queue, [["user_1"]])

    received = sqs_client.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"]
    assert symfony.headers(received[0]) == {"type": "App\\Message\\WarmUp", "Content-Type": "application/json"}


def test_a_php_serialized_envelope_names_the_serializer_to_use(sqs_client, queue):
    messenger("dispatch-php", queue, "user_1")

    received = sqs_client.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"]

    with pytest.raises(MalformedMessageError, match="serializer to messenger.transport.symfony_serializer"):
        decode_message(received[0], TYPE)


def test_a_dead_lettered_application_message_keeps_its_envelope(
    mariadb_engine, redis_client, sqs_client, queue, monkeypatch
):
    from roster.warmup import UserCacheWarmer
    from roster.warmup.messages import handle_messages

    from .conftest import load_dataset

    load_dataset(mariadb_engine)
    dead_letter = sqs_client.create_queue(QueueName=f"roster-dlq-{uuid.uuid4().hex}")["QueueUrl"]
    monkeypatch.setenv("ROSTER_WARMUP_DEAD_LETTER_QUEUE_URL", dead_letter)
    messenger("dispatch", queue, "user_5", "nobody_by_this_name")
    received = sqs_client.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"]

    summary = handle_messages(UserCacheWarmer(mariadb_engine, redis_client), sqs_client, queue, received)

    assert summary["messages_malformed"] == 1
    parked = sqs_client.receive_message(QueueUrl=dead_letter, MessageAttributeNames=["All"])["Messages"]
    headers = symfony.headers(parked[0])
    assert headers["type"] == TYPE and "nobody_by_this_name" in headers["roster_error"]
    assert "X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\BusNameStamp" in headers
    sqs_client.delete_queue(QueueUrl=dead_letter)
