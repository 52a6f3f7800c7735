"""Side by side with the roster application on one warmup queue: its real Symfony Messenger transport
(tests/php/messenger.php) publishes and roster_user_cache_warmup_worker warms; roster_user_cache_warmup publishes
and the application's worker reads roster's messages into its own class."""

from __future__ import annotations

import pytest

from roster.warmup.symfony import DEFAULT_MESSAGE_TYPE
from tests.messenger import messenger
from tests.warmup.test_shard import cached_users

from .test_warmup_dags import _cache_keys, _queue_depth, _xcom, warmup_queue  # noqa: F401 (a fixture)

NAMES = ["user_5", "zoë_ünïcødé", "用户_名", 'quote"and\\slash']


def _run_worker(dagbag) -> dict:
    worker = dagbag.dags["roster_user_cache_warmup_worker"].test()
    assert worker.state == "success"
    return _xcom(worker, "warm_messages")


def test_the_application_publishes_and_the_worker_warms(dagbag, warmup_data, redis_client, sqs_client, warmup_queue):
    users, _ = warmup_data
    messenger("dispatch", warmup_queue, *NAMES[:2])
    messenger("dispatch", warmup_queue, *NAMES[2:])

    summary = _run_worker(dagbag)

    assert summary["messages_done"] == 2 and summary["messages_malformed"] == 0, summary
    assert cached_users(redis_client) == {name: users[name] for name in NAMES}
    assert _queue_depth(sqs_client, warmup_queue) == 0


def test_a_message_the_application_retried_is_warmed_and_deleted(
    dagbag, warmup_data, redis_client, sqs_client, warmup_queue
):
    users, _ = warmup_data
    # The application's worker failed the message and sent it again with its RedeliveryStamp (retry #1).
    messenger("fail-once", warmup_queue, "学生_7", "učitel_8")
    assert _queue_depth(sqs_client, warmup_queue) == 1

    summary = _run_worker(dagbag)

    # Only the stamp, received through the sensor's message attributes, tells this new message was a retry.
    assert summary["messages_done"] == 1 and summary["messages_redelivered"] == 1, summary
    assert summary["users_warmed"] == 2
    assert cached_users(redis_client) == {name: users[name] for name in ("学生_7", "učitel_8")}
    assert _queue_depth(sqs_client, warmup_queue) == 0


def test_a_message_delivered_twice_is_warmed_at_each_delivery_then_deleted(
    dagbag, warmup_data, redis_client, sqs_client, warmup_queue
):
    users, _ = warmup_data
    messenger("dispatch", warmup_queue, "user_9", "user_10")
    # First delivery: the users are written, then the run's delete never reaches SQS.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("roster.warmup.messages.delete_batches", lambda *args, **kwargs: 0)
        worker = dagbag.dags["roster_user_cache_warmup_worker"].test()
    first = _xcom(worker, "warm_messages")
    assert first["messages_done"] == 1 and first["users_warmed"] == 2, first
    assert set(cached_users(redis_client)) == {"user_9", "user_10"}
    # Its visibility timeout runs out: SQS delivers it again, to the next run.
    sensor = next(ti for ti in worker.get_task_instances() if ti.task_id == "wait_for_messages")
    received = sensor.xcom_pull(task_ids="wait_for_messages", key="messages")
    sqs_client.change_message_visibility(
        QueueUrl=warmup_queue, ReceiptHandle=received[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    redis_client.flushdb()

    second = _run_worker(dagbag)

    assert second["messages_done"] == 1 and second["messages_redelivered"] == 1 and second["users_warmed"] == 2
    assert cached_users(redis_client) == {name: users[name] for name in ("user_9", "user_10")}
    assert _queue_depth(sqs_client, warmup_queue) == 0


def test_roster_publishes_and_the_application_worker_reads(dagbag, warmup_data, redis_client, sqs_client, warmup_queue):
    publish = dagbag.dags["roster_user_cache_warmup"].test(
        run_conf={"mode": "async", "modulo": 1, "usernames": NAMES}
    )
    assert publish.state == "success"

    handled = messenger("consume", warmup_queue, 1)

    assert [message["class"] for message in handled] == [DEFAULT_MESSAGE_TYPE]
    assert sorted(handled[0]["usernames"]) == sorted(NAMES)
    assert _cache_keys(redis_client) == set()  # the application's handler writes its own cache, not roster's
    assert _queue_depth(sqs_client, warmup_queue) == 0
