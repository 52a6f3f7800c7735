"""The SQS broker against the moto server: ids are sent only for committed jobs, one message per transaction and
lane; deliveries claim at most once; messages are settled when all their jobs are taken or done."""

from __future__ import annotations

import uuid

import orjson
import pytest
from sqlalchemy import text

from roster.jobs import JobQueue, State
from roster.jobs.broker import SqsBroker, decode_job_ids, handle_job_messages

from .conftest import runs, states


@pytest.fixture
def jobs_queue_url(sqs_client):
    url = sqs_client.create_queue(QueueName=f"roster-jobs-{uuid.uuid4().hex}")["QueueUrl"]
    yield url
    sqs_client.delete_queue(QueueUrl=url)


def _receive(sqs_client, url, limit=20) -> list[dict]:
    out = []
    for _ in range(limit):  # bounded
        batch = sqs_client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages")
        if not batch:
            break
        out.extend(batch)
    return out


def test_ids_are_sent_after_commit_and_never_for_a_rollback(engine, sqs_client, jobs_queue_url):
    queue = JobQueue(engine, broker=SqsBroker(jobs_queue_url, client=sqs_client))
    queue.update_schema()
    with pytest.raises(RuntimeError):
        with queue.transaction() as conn:
            queue.publish("noop", conn=conn)
            assert _receive(sqs_client, jobs_queue_url, limit=1) == []  # not before the commit
            raise RuntimeError("the caller's own work failed")
    assert states(engine) == {}
    assert _receive(sqs_client, jobs_queue_url) == []

    with queue.transaction() as conn:
        committed = queue.publish("noop", conn=conn)
        conn.execute(text("SELECT 1"))
    single = queue.publish("noop")
    with queue.bulk() as bulk_ids:
        queue.publish("noop")
        queue.publish("noop")
    messages = _receive(sqs_client, jobs_queue_url)
    assert len(messages) == 3  # one per publishing transaction (all three in the general lane)
    sent = sorted(i for m in messages for i in decode_job_ids(m["Body"]))
    assert sent == sorted([committed, single, *bulk_ids])


def test_broker_outage_leaves_broker_failed_then_rebroker_sends(engine, sqs_client, jobs_queue_url):
    down = JobQueue(engine, broker=SqsBroker("http://127.0.0.1:9/000000000000/nowhere", client=sqs_client))
    job_id = down.publish("noop")
    assert states(engine)[job_id] == State.BROKER_FAILED
    assert down.process()["claimed"] == 0  # not claimable until re-brokered

    up = JobQueue(engine, broker=SqsBroker(jobs_queue_url, client=sqs_client))
    assert up.rebroker() == {"sent": 1, "ready": 1, "failed": 0}
    assert states(engine)[job_id] == State.READY
    assert [decode_job_ids(m["Body"]) for m in _receive(sqs_client, jobs_queue_url)] == [[job_id]]


def test_duplicate_delivery_claims_once_and_malformed_messages_are_removed(engine, sqs_client, jobs_queue_url):
    queue = JobQueue(engine, broker=SqsBroker(jobs_queue_url, client=sqs_client))
    job_id = queue.publish("record", {"key": "once"})
    sqs_client.send_message(QueueUrl=jobs_queue_url, MessageBody=orjson.dumps({"id": job_id}).decode())
    bad = ("not json", '{"id": "seven"}', '{"id": -1}', '{"job": 1}', '{"ids": []}', '{"ids": [1, "x"]}',
           '{"ids": [true]}', '{"ids": 5}', '{"ids": [1], "id": 1}')
    for body in bad:
        sqs_client.send_message(QueueUrl=jobs_queue_url, MessageBody=body)

    messages = _receive(sqs_client, jobs_queue_url)
    summary = handle_job_messages(queue, sqs_client, jobs_queue_url, messages)

    assert summary["messages"] == 2 + len(bad) and summary["messages_malformed"] == len(bad)
    assert summary["claimed"] == 1 and summary["finished"] == 1
    assert [r[0] for r in runs(engine)] == ["once"]
    assert _receive(sqs_client, jobs_queue_url, limit=2) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT processed_by_broker FROM background_job")).scalar_one() == 1
    # Delivered again later: the job is done, nothing is claimed.
    sqs_client.send_message(QueueUrl=jobs_queue_url, MessageBody=orjson.dumps({"id": job_id}).decode())
    again = handle_job_messages(queue, sqs_client, jobs_queue_url, _receive(sqs_client, jobs_queue_url))
    assert again["claimed"] == 0 and len(runs(engine)) == 1
