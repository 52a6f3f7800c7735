"""roster_user_cache_warmup and its SQS worker, run end to end against MariaDB, Redis and the moto SQS server."""

from __future__ import annotations

import orjson
import pytest
from airflow.sdk.definitions.param import ParamValidationError

from conftest import queue_named_by
from tests.warmup.test_shard import cached_users


def _cache_keys(redis_client) -> set[bytes]:
    """What the cache holds besides the summary's record of the latest run (for roster_health)."""
    from roster.warmup.runs import LAST_RUN_KEY

    return set(redis_client.keys("*")) - {LAST_RUN_KEY.encode()}


def _xcom(dagrun, task_id, map_index=-1):
    ti = next(t for t in dagrun.get_task_instances() if t.task_id == task_id and t.map_index == map_index)
    return ti.xcom_pull(task_ids=task_id, map_indexes=map_index)


def test_sync_run_warms_every_user(dagbag, warmup_data, redis_client):
    users, line_items = warmup_data
    dagrun = dagbag.dags["roster_user_cache_warmup"].test(run_conf={"modulo": 4, "batch": 40})

    assert dagrun.state == "success"
    assert cached_users(redis_client) == users
    shards = [ti for ti in dagrun.get_task_instances() if ti.task_id == "warm_shard"]
    assert sorted(ti.map_index for ti in shards) == [0, 1, 2, 3]
    summary = _xcom(dagrun, "summary")
    assert summary["users_warmed"] == len(users)
    assert summary["shards_done"] == 4 and summary["shards_failed"] == []
    assert summary["users_without_assignments"] == sum(1 for d in users.values() if not d["assignments"])
    assert redis_client.exists(*[f"lineItem.{i}" for i in line_items]) == len(line_items)


def test_application_schema_through_a_select_only_user(dagbag, app_database, redis_client, monkeypatch, capfd):
    # The application's own database (plain indexes, its names, no roster DDL) behind a SELECT-only user.
    monkeypatch.setenv("AIRFLOW_CONN_ROSTER_DB", app_database.reader_url)
    dagrun = dagbag.dags["roster_user_cache_warmup"].test(run_conf={"modulo": 3, "batch": 40})

    assert dagrun.state == "success"
    assert cached_users(redis_client) == app_database.users
    for line_item_id, document in app_database.line_items.items():
        assert orjson.loads(redis_client.get(f"lineItem.{line_item_id}")) == document
    assert _xcom(dagrun, "summary")["users_warmed"] == len(app_database.users)
    # The plan task logs `roster db check`'s report.
    logged = "".join(capfd.readouterr())
    assert "recommended index idx_assignments_user (user_id, id, state" in logged
    assert "access path: index IDX_308A50DDA76ED395 (user_id)" in logged
    assert app_database.reader_password not in logged


def test_a_redis_url_that_contradicts_itself_fails_the_shard_without_retries(dagbag, warmup_data, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_ROSTER_REDIS", "redis://127.0.0.1:6379/1?db=2")
    dagrun = dagbag.dags["roster_user_cache_warmup"].test(run_conf={"modulo": 1})

    assert dagrun.state == "failed"
    shard = next(ti for ti in dagrun.get_task_instances() if ti.task_id == "warm_shard")
    assert shard.state == "failed" and shard.try_number == 1  # retries: 2, none used


def test_scoped_run_from_the_trigger_form(dagbag, warmup_data, redis_client):
    users, _ = warmup_data
    dagrun = dagbag.dags["roster_user_cache_warmup"].test(
        run_conf={"usernames": ["zoë_ünïcødé", "user_10"], "modulo": 2, "remainder": 0}
    )

    assert dagrun.state == "success"
    expected = {n: users[n] for n in ("zoë_ünïcødé", "user_10") if users[n]["id"] % 2 == 0}
    assert cached_users(redis_client) == expected


def test_names_one_per_line_from_the_form_text_box(dagbag, warmup_data, redis_client):
    users, _ = warmup_data
    dagrun = dagbag.dags["roster_user_cache_warmup"].test(run_conf={"usernames": " user_10\nzoë_ünïcødé \n\n"})

    assert dagrun.state == "success"
    assert cached_users(redis_client) == {n: users[n] for n in ("zoë_ünïcødé", "user_10")}
    assert _xcom(dagrun, "summary")["users_warmed"] == 2


def test_unknown_usernames_are_reported_and_the_rest_warmed(dagbag, warmup_data, redis_client):
    users, _ = warmup_data
    dagrun = dagbag.dags["roster_user_cache_warmup"].test(run_conf={"usernames": ["user_10", "nobody_11"]})

    assert dagrun.state == "success"
    assert cached_users(redis_client) == {"user_10": users["user_10"]}
    summary = _xcom(dagrun, "summary")
    assert summary["users_warmed"] == 1
    assert summary["users_unknown"] == 1 and summary["usernames_unknown"] == ["nobody_11"]
    assert _xcom(dagrun, "plan") and dagrun.get_task_instance("plan").xcom_pull(
        task_ids="plan", key="usernames_unknown"
    ) == ["nobody_11"]


@pytest.mark.parametrize(
    "conf",
    [
        {"usernames": ["nobody_1", "nobody_2"]},  # the whole explicit scope is unknown
        {"unknown_param": 1},  # a typo must not warm everyone
        {"username": ["user_10"]},  # singular: unknown, not ignored
    ],
)
def test_a_scope_that_names_nobody_fails_the_plan_and_warms_nothing(dagbag, warmup_data, redis_client, conf):
    dagrun = dagbag.dags["roster_user_cache_warmup"].test(run_conf=conf)

    assert dagrun.state == "failed"
    states = {ti.task_id: ti.state for ti in dagrun.get_task_instances()}
    assert states["plan"] == "failed" and states["summary"] == "failed", states
    assert redis_client.dbsize() == 0


@pytest.mark.parametrize(
    "conf",
    [
        {"usernames": []},
        {"usernames": ""},
        {"usernames": ",,,"},
        {"usernames": " \n, "},
        {"usernames": [""]},
        {"line_item_slugs": []},
    ],
)
def test_an_empty_scope_is_refused_before_the_run(dagbag, conf):
    with pytest.raises(ParamValidationError, match=f"param {next(iter(conf))}"):
        dagbag.dags["roster_user_cache_warmup"].test(run_conf=conf)


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"batch": 0}, "batch"),
        ({"modulo": 0}, "modulo"),
        ({"modulo": 101}, "modulo"),
        ({"modulo": "four"}, "modulo"),
        ({"mode": "later"}, "mode"),
    ],
)
def test_bad_params_are_refused_before_the_run(dagbag, conf, message):
    with pytest.raises(ParamValidationError, match=f"param {message}"):
        dagbag.dags["roster_user_cache_warmup"].test(run_conf=conf)


def test_remainder_not_below_modulo_fails_the_plan_without_work(dagbag, warmup_data, redis_client):
    dagrun = dagbag.dags["roster_user_cache_warmup"].test(run_conf={"modulo": 4, "remainder": 4})

    assert dagrun.state == "failed"
    states = {ti.task_id: ti.state for ti in dagrun.get_task_instances()}
    assert states["plan"] == "failed" and states["summary"] == "failed"
    assert _cache_keys(redis_client) == set()


def test_failed_shard_fails_the_run(dagbag, warmup_data, redis_client, monkeypatch):
    from conftest import free_port

    monkeypatch.setenv("AIRFLOW_CONN_ROSTER_REDIS", f"redis://127.0.0.1:{free_port()}/0")
    dag = dagbag.dags["roster_user_cache_warmup"]
    # dag.test() waits out real retry delays: this test is about the final outcome, so no retries.
    monkeypatch.setitem(dag.task_dict["warm_shard"].partial_kwargs, "retries", 0)
    dagrun = dag.test(run_conf={"modulo": 2})

    assert dagrun.state == "failed"
    states = {(ti.task_id, ti.map_index): ti.state for ti in dagrun.get_task_instances()}
    assert states[("warm_shard", 0)] == "failed", states
    assert states[("summary", -1)] == "failed", states


@pytest.fixture
def warmup_queue(sqs_client, monkeypatch):
    yield from queue_named_by(sqs_client, monkeypatch, "ROSTER_WARMUP_QUEUE_URL", "roster-warmup")


def _queue_depth(sqs_client, url) -> int:
    attrs = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_async_mode_publishes_then_the_worker_warms(dagbag, warmup_data, redis_client, sqs_client, warmup_queue):
    users, _ = warmup_data
    publish = dagbag.dags["roster_user_cache_warmup"].test(run_conf={"mode": "async", "modulo": 2})

    assert publish.state == "success"
    assert _cache_keys(redis_client) == set()
    assert _xcom(publish, "summary")["users_published"] == len(users)
    messages = _queue_depth(sqs_client, warmup_queue)
    assert messages == sum(-(-sum(1 for d in users.values() if d["id"] % 2 == r) // 100) for r in (0, 1))

    worker = dagbag.dags["roster_user_cache_warmup_worker"].test()

    assert worker.state == "success"
    assert cached_users(redis_client) == users
    assert _queue_depth(sqs_client, warmup_queue) == 0
    summary = _xcom(worker, "warm_messages")
    assert summary["messages_done"] == messages and summary["messages_malformed"] == 0


def test_worker_removes_malformed_messages_and_warms_the_rest(
    dagbag, warmup_data, redis_client, sqs_client, warmup_queue
):
    users, _ = warmup_data
    bodies = [
        "not json at all",
        orjson.dumps({"users": ["user_5"]}).decode(),
        orjson.dumps({"usernames": ["user_5", "nobody_by_this_name"]}).decode(),
        orjson.dumps({"usernames": ["用户_名", "user_10"]}).decode(),
    ]
    for body in bodies:
        sqs_client.send_message(QueueUrl=warmup_queue, MessageBody=body)

    worker = dagbag.dags["roster_user_cache_warmup_worker"].test()

    assert worker.state == "success"
    summary = _xcom(worker, "warm_messages")
    assert summary["messages_done"] == 1 and summary["messages_malformed"] == 3
    reasons = " | ".join(m["reason"] for m in summary["malformed"])
    assert "not JSON" in reasons and "exactly one key" in reasons and "nobody_by_this_name" in reasons
    docs = cached_users(redis_client)
    assert docs["用户_名"] == users["用户_名"] and docs["user_10"] == users["user_10"]
    assert _queue_depth(sqs_client, warmup_queue) == 0
