"""roster.jobs on MariaDB and SQLite: publishing, every outcome and transition, lanes, maintenance."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from roster.errors import InvalidOptionError
from roster.jobs import JobQueue, State, UnknownCallbackError
from roster.jobs.outcome_errors import JobParametersError
from roster.jobs.job_queue import backoff

from .conftest import row, runs, states


def test_every_callback_outcome(queue, engine):
    ids = {name: queue.publish(name) for name in ("noop", "skip", "fail_permanently", "fail_temporarily", "wait")}

    summary = queue.process()

    assert states(engine) == {
        ids["noop"]: State.FINISHED, ids["skip"]: State.FINISHED, ids["fail_permanently"]: State.PERMANENTLY_FAILED,
        ids["fail_temporarily"]: State.TEMPORARILY_FAILED, ids["wait"]: State.WAITING,
    }  # fmt: skip
    assert (summary["finished"], summary["skipped"], summary["permanently_failed"]) == (1, 1, 1)
    assert (summary["temporarily_failed"], summary["waiting"]) == (1, 1)
    noop = row(engine, ids["noop"])
    assert noop["number_of_attempts"] == 1 and noop["finished_at"] is not None and noop["locked_until"] is None
    assert noop["pid"] > 0 and noop["hostname"] and noop["execution_time_ms"] is not None and noop["memory"]
    assert "this can never work" in row(engine, ids["fail_permanently"])["error_message"]
    assert "skipped" in row(engine, ids["skip"])["metadata"]
    temporary = row(engine, ids["fail_temporarily"])
    assert "ConnectionError: remote API down" in temporary["error_message"]
    assert _as_datetime(temporary["available_at"]) > datetime.utcnow() + timedelta(seconds=50)
    # A wait is not an attempt.
    assert row(engine, ids["wait"])["number_of_attempts"] == 0


def _as_datetime(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def test_waiting_job_runs_again_and_only_finishes_by_running(queue, engine, monkeypatch):
    job_id = queue.publish("record", {"key": "w"})
    with engine.begin() as conn:  # as if it had been WAITING and is due now
        conn.execute(text("UPDATE background_job SET state = 6 WHERE id = :id"), {"id": job_id})
    assert queue.process()["finished"] == 1
    assert states(engine)[job_id] == State.FINISHED
    assert [r[0] for r in runs(engine)] == ["w"]


def test_backoff_doubles_up_to_sixteen_minutes():
    assert [backoff(n).total_seconds() / 60 for n in range(1, 8)] == [1, 2, 4, 8, 16, 16, 16]


def test_due_retry_is_promoted_and_run(queue, engine):
    job_id = queue.publish("record", {"key": "r"})
    with engine.begin() as conn:
        conn.execute(text("UPDATE background_job SET state = 4, number_of_attempts = 2 WHERE id = :id"), {"id": job_id})
    queue.process()
    assert states(engine)[job_id] == State.FINISHED and row(engine, job_id)["number_of_attempts"] == 3


def test_most_urgent_first_then_oldest(queue, engine):
    for key, priority in [("c", 30), ("a", 10), ("d", 30), ("b", 20), ("e", 50)]:
        queue.publish("record", {"key": key}, priority=priority)
    queue.process(batch=2)
    assert [r[0] for r in runs(engine)] == ["a", "b", "c", "d", "e"]


def test_lanes_take_only_their_priority_range(queue, engine):
    queue.publish("urgent", {"key": "u"})  # callback default priority 1
    queue.publish("record", {"key": "general"})  # callback default priority 50
    assert queue.process(priorities="0-9")["finished"] == 1
    assert [r[0] for r in runs(engine)] == ["u"]
    assert queue.process(priorities="10-")["finished"] == 1


def test_publish_refuses_unknown_callbacks_and_non_json(queue, engine):
    queue.update_schema()
    with pytest.raises(UnknownCallbackError, match="no_such_callback"):
        queue.publish("no_such_callback")
    with pytest.raises(JobParametersError, match="JSON"):
        queue.publish("noop", {"when": datetime.now()})
    with pytest.raises(JobParametersError, match="JSON"):
        queue.publish("noop", {"data": b"bytes"})
    with pytest.raises(InvalidOptionError, match="identifier"):
        queue.publish("noop", unique=True)
    assert states(engine) == {}


def test_unique_jobs_run_once_later_duplicates_are_redundant(queue, engine):
    first = queue.publish("record", {"key": "once"}, identifier="invoice-1", unique=True)
    second = queue.publish("record", {"key": "once"}, identifier="invoice-1", unique=True)
    queue.process()
    third = queue.publish("record", {"key": "once"}, identifier="invoice-1", unique=True)
    queue.process()
    assert states(engine) == {first: State.FINISHED, second: State.REDUNDANT, third: State.REDUNDANT}
    assert len(runs(engine)) == 1


def test_delayed_job_waits_for_its_time(queue, engine):
    later = queue.publish("record", {"key": "later"}, delay=3600)
    now = queue.publish("record", {"key": "now"})
    queue.process()
    assert states(engine) == {later: State.READY, now: State.FINISHED}


def test_serial_group_runs_in_order_of_priority_then_id(queue, engine):
    for key, priority in [("g1", 50), ("g2", 50), ("g0", 10), ("g3", 50)]:
        queue.publish("record", {"key": key}, serial_group="invoice-7", priority=priority)
    queue.publish("record", {"key": "other"}, priority=40)
    claimed = queue.claim(batch=10)
    # Only the head of the group (most urgent) is claimable, beside jobs of no group.
    assert sorted(job.parameters["key"] for job in claimed) == ["g0", "other"]
    with engine.begin() as conn:  # hand the claimed jobs back
        conn.execute(text("UPDATE background_job SET state = 1, number_of_attempts = 0 WHERE state = 2"))
    queue.process()
    assert [r[0] for r in runs(engine) if r[0].startswith("g")] == ["g0", "g1", "g2", "g3"]


def test_failed_job_blocks_its_serial_group(queue, engine):
    first = queue.publish("fail_temporarily", serial_group="s", priority=50)
    second = queue.publish("record", {"key": "after"}, serial_group="s", priority=50)
    queue.process()
    assert states(engine) == {first: State.TEMPORARILY_FAILED, second: State.READY}


def test_bulk_publish_returns_ids_in_order(queue, engine):
    with queue.bulk() as ids:
        for i in range(1203):
            queue.publish("noop", {"i": i}, priority=i % 3)
        unique = queue.publish("noop", identifier="u", unique=True)
    assert len(ids) == 1203 and ids == sorted(ids) and unique not in ids
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT id, parameters FROM background_job")).fetchall())
    assert '"i":1202' in stored[ids[-1]].replace(" ", "")
    assert queue.process(batch=100)["finished"] == 1204


def test_limit_and_die_stop_the_consumer(queue, engine):
    for _ in range(5):
        queue.publish("noop")
    assert queue.process(limit=2)["claimed"] == 2
    queue.publish("die", priority=0)
    summary = queue.process()
    assert summary["stopped_by"] == "die" and summary["temporarily_failed"] == 1
    assert sum(1 for s in states(engine).values() if s == State.READY) == 3


def test_idle_wait_runs_jobs_published_while_the_lane_is_empty(queue, engine):
    import threading
    import time

    publisher = threading.Timer(0.6, lambda: JobQueue(engine).publish("record", {"key": "late"}))
    publisher.start()
    started = time.monotonic()
    summary = queue.process(idle_wait=1.5)
    took = time.monotonic() - started
    publisher.join()

    # The job published 0.6 s in ran in this consumer, which then stopped after 1.5 s without new jobs.
    assert summary["finished"] == 1 and summary["stopped_by"] == "empty"
    assert [r[0] for r in runs(engine)] == ["late"]
    assert 2.0 <= took < 10
    assert queue.process(idle_wait=0)["claimed"] == 0  # without it, an empty lane stops at once


def test_idle_wait_ends_at_the_time_limit(queue, engine):
    summary = queue.process(idle_wait=30, time_limit=0.5)
    assert summary["stopped_by"] == "time_limit" and summary["seconds"] < 5


def test_stop_consumers_stops_runs_started_before(queue, engine):
    queue.publish("noop")
    queue.stop_consumers()
    summary = JobQueue(engine).process()
    # A run that starts after the stop request is not stopped by it.
    assert summary["stopped_by"] == "empty" and summary["finished"] == 1


def test_rescue_expired_leases(queue, engine):
    retry_id = queue.publish("record", {"key": "rescued"})
    give_up_id = queue.publish("noop")
    queue.claim(batch=10)
    with engine.begin() as conn:
        conn.execute(text("UPDATE background_job SET locked_until = '2000-01-01 00:00:00'"))
        conn.execute(text("UPDATE background_job SET number_of_attempts = 10 WHERE id = :id"), {"id": give_up_id})
    assert queue.rescue_expired() == {"rescued": 1, "failed": 1}
    assert states(engine) == {retry_id: State.READY, give_up_id: State.PERMANENTLY_FAILED}
    assert "lease expired" in row(engine, give_up_id)["error_message"]
    queue.process()
    assert states(engine)[retry_id] == State.FINISHED


def test_clear_finished_keeps_every_unfinished_job(queue, engine):
    done = [queue.publish("noop") for _ in range(3)]
    queue.process()
    pending = queue.publish("noop")
    failed = queue.publish("fail_permanently")
    queue.process(job_ids=[failed])
    with engine.begin() as conn:
        conn.execute(text("UPDATE background_job SET finished_at = '2000-01-01 00:00:00' WHERE state = 3"))
    assert queue.clear_finished(days=14) == 3
    assert set(states(engine)) == {pending, failed}
    assert not set(done) & set(states(engine))


def test_failed_show_retry_remove_exact_ids(queue, engine):
    ids = [queue.publish("fail_permanently") for _ in range(4)]
    queue.process()
    assert [f["id"] for f in queue.failed()] == ids
    assert queue.retry([ids[0], ids[1]]) == 2
    assert queue.remove([ids[2]]) == 1
    assert states(engine) == {ids[0]: State.READY, ids[1]: State.READY, ids[3]: State.PERMANENTLY_FAILED}
    with pytest.raises(InvalidOptionError):
        queue.remove([])


def test_unfinished_identifiers(queue, engine):
    queue.publish("noop", identifier="a")
    queue.publish("fail_temporarily", identifier="b")
    queue.process()
    queue.publish("noop", identifier="c")
    assert queue.unfinished_identifiers(["a", "b", "c", "d"]) == ["b", "c"]


def test_stats_per_state_and_lane(queue, engine):
    queue.publish("urgent", {"key": "u"})
    queue.publish("noop")
    queue.publish("fail_permanently", priority=5)
    queue.process(priorities="5")
    stats = queue.stats()
    assert stats["queues"]["default"] == {"READY": 2, "PERMANENTLY_FAILED": 1}
    assert stats["ready_per_lane"] == {"roster_jobs_urgent": 1, "roster_jobs_all": 2}
    assert stats["oldest_ready_age_seconds"] >= 0


def test_update_schema_upgrades_an_older_table_without_losing_rows(queue, engine):
    ids = [queue.publish("noop") for _ in range(3)]
    with engine.begin() as conn:
        for index in ("idx_background_job_lease", "idx_background_job_batch_state"):
            conn.execute(text(f"DROP INDEX {index} ON background_job" if engine.dialect.name != "sqlite"
                              else f"DROP INDEX {index}"))  # fmt: skip
        conn.execute(text("ALTER TABLE background_job DROP COLUMN metadata"))
    added = queue.update_schema()
    # The numbered upgrade first (it adds the batch index), then what only background_job.sql defines.
    assert added == ["index idx_background_job_batch_state", "column metadata", "index idx_background_job_lease"]
    assert queue.update_schema() == []
    if engine.dialect.name == "sqlite":  # partial, as a new table has it: a plain job is not in it
        with engine.connect() as conn:
            ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'idx_background_job_batch_state'"))
            assert ddl.scalar().endswith("WHERE batch_id IS NOT NULL")
    assert set(states(engine)) == set(ids)
    assert queue.process()["finished"] == 3


def test_claim_reads_the_claim_index_without_filesort(mariadb_engine):
    from tests.plans import explain

    engine = mariadb_engine
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS background_job"))
    queue = JobQueue(engine)

    with queue.bulk():
        for i in range(2000):
            queue.publish("noop", priority=i % 20)
    with engine.connect() as conn:
        conn.execute(text("ANALYZE TABLE background_job"))
    params = {"queue": "default", "low": 0, "high": 9, "now": "2999-01-01", "batch": 10, "every_id": 1, "only": [0]}
    plan = explain(engine, "jobs/claim_candidates", params)
    outer = plan[0]
    assert outer["key"] == "idx_background_job_claim", plan
    assert "filesort" not in (outer["Extra"] or ""), plan
