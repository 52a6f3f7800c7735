"""The broker at scale (issue 15): a bulk publish sends one message per lane, not one per job; messages are
chunked under SQS's limits; a message is deleted only when all its jobs are taken or done; a backlog of messages
is settled in one call, ten deletions a request. SQS requests are counted through botocore's event hooks."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter

import orjson
import pytest

from roster.jobs import JobQueue, State
from roster.jobs.broker import (
    MESSAGE_BYTES, SqsBroker, decode_job_ids, encode_job_ids, lane_of, settle_backlog, settle_messages,
)  # fmt: skip
from roster.sqs import SQS_BATCH_BYTES, batches

from .conftest import states


@pytest.fixture
def jobs_queue_url(sqs_client):
    url = sqs_client.create_queue(QueueName=f"roster-jobs-{uuid.uuid4().hex}")["QueueUrl"]
    yield url
    sqs_client.delete_queue(QueueUrl=url)


@pytest.fixture
def requests(sqs_client):
    """SQS requests made by ``sqs_client``, by operation name."""
    counts: Counter = Counter()

    def count(event_name, **_):
        counts[event_name.rsplit(".", 1)[-1]] += 1

    sqs_client.meta.events.register("before-call.sqs.*", count)
    yield counts
    sqs_client.meta.events.unregister("before-call.sqs.*", count)


def _receive_all(sqs_client, url, visibility: int = 60, limit: int = 50) -> list[dict]:
    out: list[dict] = []
    for _ in range(limit):  # bounded
        batch = sqs_client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=visibility)
        if not batch.get("Messages"):
            break
        out.extend(batch["Messages"])
    return out


def test_a_bulk_of_20000_sends_one_message_per_lane_in_one_request(maria, sqs_client, jobs_queue_url, requests):
    queue = JobQueue(maria, broker=SqsBroker(jobs_queue_url, client=sqs_client))
    with queue.bulk() as ids:
        for i in range(20_000):
            queue.publish("noop", priority=i % 20)  # half urgent (0-9), half general (10-19)
    assert len(ids) == 20_000
    assert requests == {"SendMessageBatch": 1}

    messages = _receive_all(sqs_client, jobs_queue_url)
    assert len(messages) == 2 and all(len(m["Body"]) < MESSAGE_BYTES for m in messages)
    by_lane = sorted((decode_job_ids(m["Body"]) for m in messages), key=len)
    assert sorted(by_lane[0] + by_lane[1]) == sorted(ids)
    urgent = next(lane for lane in by_lane if ids[1] in lane)  # ids[1] has priority 1
    assert urgent == [job_id for i, job_id in enumerate(ids) if i % 20 < 10]


def test_a_transaction_sends_one_message_per_lane(engine, sqs_client, jobs_queue_url, requests):
    queue = JobQueue(engine, broker=SqsBroker(jobs_queue_url, client=sqs_client))
    with queue.transaction() as conn:
        published = [queue.publish("noop", priority=p, conn=conn) for p in (3, 40, 5, 90, 0)]
    assert requests == {"SendMessageBatch": 1}
    lanes = sorted(decode_job_ids(m["Body"]) for m in _receive_all(sqs_client, jobs_queue_url))
    assert lanes == sorted([[published[0], published[2], published[4]], [published[1], published[3]]])


def test_ids_are_chunked_under_the_message_and_request_limits(sqs_client, jobs_queue_url, requests):
    ids = list(range(10_000_000, 10_120_000))  # 120,000 ids of 8 digits: about 1 MB of JSON
    bodies = encode_job_ids(ids)
    assert len(bodies) == 5 and all(len(body) <= MESSAGE_BYTES for body in bodies)
    assert [i for body in bodies for i in orjson.loads(body)["ids"]] == ids
    assert all(sum(len(e["MessageBody"]) for e in b) <= SQS_BATCH_BYTES for b in batches([{"MessageBody": b} for b in bodies]))

    SqsBroker(jobs_queue_url, client=sqs_client).send(ids)  # SQS (moto) would refuse anything over its limits
    assert requests["SendMessageBatch"] == 5
    received = _receive_all(sqs_client, jobs_queue_url)
    assert sorted(i for m in received for i in decode_job_ids(m["Body"])) == ids


def test_a_job_s_lane_is_the_narrowest_holding_its_priority():
    lanes = {"all": (0, 2**31 - 1), "urgent": (0, 9), "imports": (10, 49)}
    assert [lane_of(p, lanes) for p in (0, 9, 10, 49, 50)] == ["urgent", "urgent", "imports", "imports", "all"]
    assert lane_of(-1, lanes) is None


def test_a_message_is_deleted_only_when_all_its_jobs_are_taken_or_done(engine, sqs_client, jobs_queue_url):
    queue = JobQueue(engine)
    done = [queue.publish("noop") for _ in range(3)]
    queue.process()
    later = queue.publish("noop", delay=3600)
    for body in ({"ids": done}, {"ids": [done[0], later]}, {"id": done[1]}):  # the old form too
        sqs_client.send_message(QueueUrl=jobs_queue_url, MessageBody=orjson.dumps(body).decode())
    messages = _receive_all(sqs_client, jobs_queue_url, visibility=1)

    summary = settle_messages(queue, sqs_client, jobs_queue_url, messages)

    assert summary == {"messages": 3, "messages_deleted": 2, "messages_kept": 1, "messages_malformed": 0}
    assert states(engine)[later] == State.READY
    time.sleep(1.5)  # the kept one comes back after its visibility timeout
    left = _receive_all(sqs_client, jobs_queue_url)
    assert [decode_job_ids(m["Body"]) for m in left] == [[done[0], later]]


def test_a_backlog_of_messages_is_settled_in_one_call(maria, sqs_client, jobs_queue_url, requests):
    queue = JobQueue(maria, broker=SqsBroker(jobs_queue_url, client=sqs_client))
    ids = [queue.publish("noop") for _ in range(45)]  # 45 messages: the per-job backlog of issue 15
    waiting = queue.publish("noop", delay=3600)
    queue.process()
    requests.clear()

    summary = settle_backlog(queue, sqs_client, jobs_queue_url)

    assert summary["messages"] == 46 and summary["messages_deleted"] == 45 and summary["messages_kept"] == 1
    assert requests["DeleteMessageBatch"] == 5  # ten a request
    assert requests["ReceiveMessage"] == summary["receives"] <= 7
    assert len(ids) == 45 and states(maria)[waiting] == State.READY


def test_lanes_take_the_messages_of_a_sensor_or_of_the_triggering_asset_events():
    from types import SimpleNamespace

    from roster.operators.jobs import delivered_messages

    message = {"MessageId": "m1", "Body": '{"ids": [4, 5]}'}
    sensor = SimpleNamespace(xcom_pull=lambda task_ids, key: [message] if (task_ids, key) == ("wait", "messages") else None)
    assert delivered_messages({"ti": sensor}, "wait") == [message]
    # A sensor ended in the triggerer: Airflow stores the XCom of its task-end event as JSON text.
    as_text = SimpleNamespace(xcom_pull=lambda task_ids, key: json.dumps([message]))
    assert delivered_messages({"ti": as_text}, "wait") == [message]
    events = {"asset": [SimpleNamespace(extra={"from_trigger": True, "payload": {"message_batch": [message]}}),
                        SimpleNamespace(extra={})]}  # fmt: skip
    assert delivered_messages({"triggering_asset_events": events}, None) == [message]
    assert delivered_messages({}, None) == []


def test_a_message_is_decoded_once_where_it_is_received(jobs_queue_url, sqs_client, caplog):
    """The sensor's receive decodes each body once (a malformed one is logged there); downstream, in other task
    processes, the ids are read from the message as received, never decoded again."""
    from types import SimpleNamespace

    from roster.jobs.broker import JOB_IDS, delivered_ids
    from roster.sensors.jobs import JobMessageSensor

    for body in ('{"ids": [4, 5]}', "not json"):
        sqs_client.send_message(QueueUrl=jobs_queue_url, MessageBody=body)
    pushed = {}
    ti = SimpleNamespace(xcom_push=lambda key, value: pushed.__setitem__(key, value))
    sensor = JobMessageSensor(task_id="wait", sqs_queue=jobs_queue_url, aws_conn_id="roster_sqs", max_messages=10,
                              num_batches=2, wait_time_seconds=1)  # fmt: skip
    assert sensor.poke({"ti": ti}) is True
    assert sorted(map(repr, (m[JOB_IDS] for m in pushed["messages"]))) == ["None", "[4, 5]"]
    assert caplog.text.count("is malformed") == 1
    caplog.clear()
    as_received = [{**m, "Body": "changed after the receive"} for m in pushed["messages"]]
    assert delivered_ids(as_received) == [4, 5]
    assert "malformed" not in caplog.text
