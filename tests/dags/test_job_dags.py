"""The job DAGs run end to end with dag.test() against MariaDB and the moto SQS server."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import orjson
import pytest
from airflow.sdk.definitions.param import ParamValidationError
from sqlalchemy import text

from conftest import queue_named_by
from roster.jobs import JobQueue, State
from roster.jobs.broker import SqsBroker
from tests.jobs.conftest import runs, states


def _ti_states(dagrun) -> dict:
    return {(ti.task_id, ti.map_index): ti.state for ti in dagrun.get_task_instances()}


def test_job_queue_dag_drains_every_lane_most_urgent_first(dagbag, maria):
    dag = dagbag.dags["roster_job_queue"]
    assert sorted(t.task_id for t in dag.tasks) == ["announce_batches", "consume_roster_jobs_all",
                                                   "consume_roster_jobs_urgent", "outcomes"]  # fmt: skip
    assert dag.task_dict["outcomes"].upstream_task_ids == {"consume_roster_jobs_all", "consume_roster_jobs_urgent"}
    queue = JobQueue(maria)
    for key, priority in [("p50", 50), ("p3", 3), ("p20", 20), ("p1", 1), ("p99", 99), ("p5", 5)]:
        queue.publish("record", {"key": key}, priority=priority)

    dagrun = dag.test()

    assert dagrun.state == "success"
    assert set(states(maria).values()) == {State.FINISHED}
    assert [r[0] for r in runs(maria)] == ["p1", "p3", "p5", "p20", "p50", "p99"]
    # One mapped consumer per pool slot of each lane (roster/pools.json: 1 urgent, 3 general).
    mapped = sorted(key for key in _ti_states(dagrun) if key[0] not in ("outcomes", "announce_batches"))
    assert mapped == [("consume_roster_jobs_all", i) for i in range(3)] + [("consume_roster_jobs_urgent", 0)]
    outcomes = dagrun.get_task_instance("outcomes").xcom_pull(task_ids="outcomes", key="outcomes")
    assert outcomes["finished"] == 6 and outcomes["permanently_failed"] == 0


def _asset_events(uri: str) -> list:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return list(session.scalars(select(AssetEvent.extra).join(AssetModel, AssetEvent.asset_id == AssetModel.id)
                                    .where(AssetModel.uri == uri)))  # fmt: skip


def test_job_queue_dag_announces_a_completed_batch_as_an_asset_event_once(dagbag, maria):
    uri = "roster://batches/dag-test-import"
    before = len(_asset_events(uri))
    queue = JobQueue(maria)
    with queue.batch("dag-test-import", on_complete="batch_report") as batch:
        for i in range(30):
            batch.publish("batch_item", {"key": f"d{i}", "fail": i == 7})

    dagrun = dagbag.dags["roster_job_queue"].test()

    assert dagrun.state == "failed"  # the outcomes task reports the job failed for good; the rest went well
    announce = dagrun.get_task_instance("announce_batches")
    assert announce.state == "success"
    assert announce.xcom_pull(task_ids="announce_batches") == ["dag-test-import"]
    assert [r[0] for r in runs(maria) if r[0].startswith("report")] == ["report dag-test-import 30 29 1 0"]
    assert len(_asset_events(uri)) == before + 1
    dagbag.dags["roster_job_queue"].test()
    assert len(_asset_events(uri)) == before + 1  # announced once


def test_job_queue_dag_on_an_empty_table_finishes_in_seconds(dagbag, maria):
    JobQueue(maria).update_schema()
    started = time.monotonic()
    dagrun = dagbag.dags["roster_job_queue"].test()
    assert dagrun.state == "success"
    assert time.monotonic() - started < 30


@pytest.fixture
def jobs_queue_url(sqs_client, monkeypatch):
    yield from queue_named_by(sqs_client, monkeypatch, "ROSTER_JOBS_QUEUE_URL", "roster-jobs")


def test_broker_dag_runs_delivered_jobs_once_and_drops_malformed(dagbag, maria, sqs_client, jobs_queue_url):
    queue = JobQueue(maria, broker=SqsBroker(jobs_queue_url, client=sqs_client))
    ids = [queue.publish("record", {"key": f"b{i}"}, priority=p) for i, p in enumerate([50, 2, 30])]
    sqs_client.send_message(QueueUrl=jobs_queue_url, MessageBody=orjson.dumps({"id": ids[0]}).decode())  # duplicate
    sqs_client.send_message(QueueUrl=jobs_queue_url, MessageBody="not a job id")

    dagrun = dagbag.dags["roster_job_broker"].test()

    assert dagrun.state == "success"
    assert all(states(maria)[i] == State.FINISHED for i in ids)
    assert sorted(r[0] for r in runs(maria)) == ["b0", "b1", "b2"]
    attrs = sqs_client.get_queue_attributes(QueueUrl=jobs_queue_url, AttributeNames=["All"])["Attributes"]
    assert int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 0
    with maria.connect() as conn:
        assert conn.execute(text("SELECT MIN(processed_by_broker) FROM background_job")).scalar_one() == 1


def test_broker_dag_settles_a_backlog_of_messages_in_one_run(dagbag, maria, sqs_client, jobs_queue_url):
    """45 messages (45 single publishes, the old per-job backlog) and a bulk of 1,500 (one message per lane, more
    ids than are claimed by id): one run finishes every job and leaves the queue empty."""
    queue = JobQueue(maria, broker=SqsBroker(jobs_queue_url, client=sqs_client))
    for i in range(45):
        queue.publish("noop", priority=i % 20)
    with queue.bulk():
        for i in range(1_500):
            queue.publish("noop", priority=i % 20)

    dagrun = dagbag.dags["roster_job_broker"].test()

    assert dagrun.state == "success"
    assert set(states(maria).values()) == {State.FINISHED} and len(states(maria)) == 1_545
    attrs = sqs_client.get_queue_attributes(QueueUrl=jobs_queue_url, AttributeNames=["All"])["Attributes"]
    assert int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 0
    settled = dagrun.get_task_instance("settle_messages").xcom_pull(task_ids="settle_messages")
    assert settled["messages"] + settled["backlog_messages"] == 47


def test_maintenance_dag_rescues_a_killed_consumers_job(dagbag, maria, monkeypatch):
    monkeypatch.setenv("ROSTER_JOB_LEASE_SECONDS", "2")
    queue = JobQueue(maria, lease_seconds=2)
    job_id = queue.publish("record", {"key": "victim", "sleep": 30})
    consumer = subprocess.Popen([sys.executable, "-m", "tests.jobs.consumer", maria.url.render_as_string(False), "2"])
    deadline = time.monotonic() + 30
    while states(maria)[job_id] != State.PROCESSING and time.monotonic() < deadline:
        time.sleep(0.1)
    os.kill(consumer.pid, signal.SIGKILL)
    consumer.wait(timeout=10)
    time.sleep(2.5)

    assert dagbag.dags["roster_job_maintenance"].test().state == "success"
    assert states(maria)[job_id] == State.READY
    with maria.begin() as conn:  # the rerun need not take 30 s
        conn.execute(text("UPDATE background_job SET parameters = '{\"key\": \"victim\"}'"))
    assert dagbag.dags["roster_job_queue"].test().state == "success"
    assert states(maria)[job_id] == State.FINISHED


def test_clear_finished_dag_keeps_every_unfinished_job(dagbag, maria):
    queue = JobQueue(maria)
    old = [queue.publish("noop") for _ in range(3)]
    queue.process()
    unfinished = [queue.publish("noop"), queue.publish("fail_temporarily"), queue.publish("noop", delay=3600)]
    queue.process(job_ids=[unfinished[1]])
    with maria.begin() as conn:
        conn.execute(text("UPDATE background_job SET finished_at = '2000-01-01', created_at = '2000-01-01'"))
        conn.execute(text("UPDATE background_job SET finished_at = NULL WHERE state <> 3"))

    dagrun = dagbag.dags["roster_clear_finished_jobs"].test(run_conf={"days": 7})

    assert dagrun.state == "success"
    assert sorted(states(maria)) == sorted(unfinished)
    assert not set(old) & set(states(maria))


def test_failed_jobs_dag_retries_and_removes_exactly_the_ids_given(dagbag, maria):
    queue = JobQueue(maria)
    ids = [queue.publish("fail_permanently") for _ in range(4)]
    other = queue.publish("fail_temporarily")
    queue.process()

    shown = dagbag.dags["roster_failed_jobs"].test(run_conf={"action": "show"})
    assert shown.state == "success"
    # As the form's text box sends them: one per line or comma separated.
    retried = dagbag.dags["roster_failed_jobs"].test(run_conf={"action": "retry", "ids": f"{ids[0]},\n{ids[2]} "})
    assert retried.state == "success"
    typo = dagbag.dags["roster_failed_jobs"].test(run_conf={"action": "retry", "id": [ids[3]], "all": True})
    assert typo.state == "failed"  # an unknown param is refused, not ignored (which would retry all)
    assert states(maria)[ids[3]] == State.PERMANENTLY_FAILED
    refused = dagbag.dags["roster_failed_jobs"].test(run_conf={"action": "remove", "ids": [ids[1]]})
    assert refused.state == "failed"  # no confirmation
    assert states(maria)[ids[1]] == State.PERMANENTLY_FAILED
    removed = dagbag.dags["roster_failed_jobs"].test(run_conf={"action": "remove", "ids": [ids[1]], "confirm": True})
    assert removed.state == "success"

    assert states(maria) == {
        ids[0]: State.READY, ids[2]: State.READY, ids[3]: State.PERMANENTLY_FAILED, other: State.TEMPORARILY_FAILED,
    }  # fmt: skip


def test_cancel_jobs_dag(dagbag, maria):
    queue = JobQueue(maria)
    ids = [queue.publish("noop") for _ in range(3)]
    refused = dagbag.dags["roster_cancel_jobs"].test(run_conf={"ids": None, "identifier": None})
    assert refused.state == "failed"  # neither ids nor identifier
    assert dagbag.dags["roster_cancel_jobs"].test(run_conf={"ids": ids[:2]}).state == "success"
    assert states(maria) == {ids[0]: State.CANCELLED, ids[1]: State.CANCELLED, ids[2]: State.READY}


@pytest.mark.parametrize("ids", ["", ",", "1, x", "0", []])
def test_failed_jobs_bad_ids_are_refused_before_the_run(dagbag, ids):
    with pytest.raises(ParamValidationError, match="ids"):
        dagbag.dags["roster_failed_jobs"].test(run_conf={"action": "show", "ids": ids})


def test_every_roster_form_field_has_a_title_and_help_text(dagbag):
    for dag_id, dag in dagbag.dags.items():
        for name, param in dag.params.items():
            param = dag.params.get_param(name)
            title, description = param.schema.get("title", ""), param.description or ""
            assert title[:1].isupper() and description.endswith("."), (dag_id, name, title, description)
            if name in ("usernames", "line_item_slugs", "ids"):  # lists are typed as text: one per line or commas
                assert "string" in param.schema["type"] and "one per line or comma separated" in description


def test_warm_users_jobs_run_in_the_lanes_like_any_job(dagbag, maria, warmup_data, redis_client):
    """The built-in callback warm_users: a cache warmup enqueued as a job and run by roster_job_queue."""
    from tests.warmup.test_shard import cached_users

    users, _ = warmup_data
    queue = JobQueue(maria)
    warm = queue.publish("warm_users", {"usernames": ["zoë_ünïcødé", "user_10", "nobody_here"]}, priority=5)
    nobody = queue.publish("warm_users", {"usernames": ["nobody_here", "nor_here"]})

    dagrun = dagbag.dags["roster_job_queue"].test()

    # The job naming nobody failed for good: the lanes stay green, the outcomes task (and so the run) turns red.
    ti_states = _ti_states(dagrun)
    assert dagrun.state == "failed" and ti_states.pop(("outcomes", -1)) == "failed"
    assert set(ti_states.values()) == {"success"}, ti_states
    assert cached_users(redis_client) == {n: users[n] for n in ("zoë_ünïcødé", "user_10")}
    assert states(maria) == {warm: State.FINISHED, nobody: State.PERMANENTLY_FAILED}
    outcomes = dagrun.get_task_instance("outcomes").xcom_pull(task_ids="outcomes", key="outcomes")
    assert [(j["id"], j["callback"]) for j in outcomes["failed_for_good"]] == [(nobody, "warm_users")]
    assert "none of these users exist" in outcomes["failed_for_good"][0]["error"]
    with maria.connect() as conn:
        error = conn.execute(text("SELECT error_message FROM background_job WHERE id = :id"), {"id": nobody}).scalar()
    assert "none of these users exist: nobody_here, nor_here" in error


def test_warm_users_parameters_follow_the_scope_rule_at_publish(maria, warmup_data, redis_client, caplog):
    from roster.jobs.outcome_errors import JobParametersError
    from tests.warmup.test_shard import cached_users

    users, _ = warmup_data
    queue = JobQueue(maria)
    queue.update_schema()
    for params, message in [
        ({"username": ["user_10"]}, "job warm_users: unknown param(s) username (did you mean usernames?)"),
        ({}, "job warm_users: missing param(s) usernames"),
        ({"usernames": []}, "param usernames is empty"),
        ({"usernames": ",,,"}, "param usernames is empty"),
    ]:
        with pytest.raises(JobParametersError, match=re.escape(message)):
            queue.publish("warm_users", params)
    assert states(maria) == {}  # nothing was published
    one = queue.publish("warm_users", {"usernames": "user_10"})  # a string is one name, not its letters

    with caplog.at_level("INFO", logger="roster.jobs"):
        queue.process(priorities="0-")

    assert states(maria) == {one: State.FINISHED}
    assert cached_users(redis_client) == {"user_10": users["user_10"]}
    assert f"job {one} (warm_users) started in lane 0-, attempt 1" in caplog.text
    assert re.search(rf"job {one} \(warm_users\) in lane 0-: FINISHED in \d+ ms", caplog.text)
