"""The overview's reads behind the page's waiting list and its cancel checks, on MariaDB and SQLite: the most
urgent waiting jobs in claim order, bounded, with counts that agree with the table."""

from __future__ import annotations

from sqlalchemy import text

from roster.jobs import JobQueue, State
from roster.monitor.overview import QueueOverview
from tests.monitor.conftest import put
from tests.plans import explain


def _waiting_in_claim_order(engine) -> list[int]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text(
            "SELECT id FROM background_job WHERE queue = 'default' AND state IN (1, 4, 6) ORDER BY priority, id"))]  # fmt: skip


def test_waiting_lists_the_most_urgent_first_and_counts_them_all(jobs_engine):
    put(jobs_engine, priority=50, state=State.READY, count=3)
    put(jobs_engine, priority=5, state=State.TEMPORARILY_FAILED, count=2)
    put(jobs_engine, priority=20, state=State.WAITING, count=1)
    put(jobs_engine, priority=1, state=State.READY, count=2)
    for state in (State.PROCESSING, State.FINISHED, State.PERMANENTLY_FAILED, State.CANCELLED):
        put(jobs_engine, priority=0, state=state)  # the most urgent, but not waiting
    JobQueue(jobs_engine, queue="other").publish("noop", {}, priority=0)  # another queue

    everything = QueueOverview(jobs_engine).waiting(limit=50)
    top = QueueOverview(jobs_engine).waiting(limit=3)

    assert everything["counts"] == {"ready": 5, "temporarily_failed": 2, "waiting": 1, "waiting_for_limit": 0,
                                    "ready_to_run": 5}  # fmt: skip
    assert [job["id"] for job in everything["jobs"]] == _waiting_in_claim_order(jobs_engine)
    assert [(job["priority"], job["state"]) for job in everything["jobs"]][:4] == [
        (1, "ready"), (1, "ready"), (5, "temporarily_failed"), (5, "temporarily_failed")]  # fmt: skip
    assert top["counts"] == everything["counts"] and top["jobs"] == everything["jobs"][:3]
    job = everything["jobs"][0]
    assert job["callback_name"] == "noop" and job["available_at"].endswith("+00:00") and "{" in job["parameters"]


def test_jobs_held_back_by_their_limits_are_counted_apart_from_those_ready_to_run(jobs_engine):
    queue = JobQueue(jobs_engine)
    for i in range(3):
        queue.publish("limited", {"key": f"t{i}"}, concurrency_key="tenant", concurrency=1)
    for i in range(25):
        queue.publish("rated", {"key": f"r{i}"})  # 20 per 2 s
    assert len(queue.claim(batch=30)) == 21  # one of the tenant's, 20 of the rated callback's: the rest wait
    put(jobs_engine, priority=50, state=State.READY, count=2)

    counts = QueueOverview(jobs_engine).waiting(limit=5)["counts"]

    assert counts["ready"] == 2 + 5 + 2  # the tenant's two, the five rated ones deferred, two plain ones...
    assert (counts["waiting_for_limit"], counts["ready_to_run"]) == (7, 2)  # ...of which two may run now


def test_job_states_and_identifier_jobs_find_only_what_exists(jobs_engine):
    ready = put(jobs_engine, priority=50, state=State.READY, count=2)
    done = put(jobs_engine, priority=50, state=State.FINISHED)
    elsewhere = JobQueue(jobs_engine, queue="other").publish("noop", {}, identifier="order-7")
    JobQueue(jobs_engine).publish("noop", {}, identifier="order-7")
    overview = QueueOverview(jobs_engine)

    assert overview.job_states([*ready, *done, elsewhere, 999_999]) == {
        ready[0]: State.READY, ready[1]: State.READY, done[0]: State.FINISHED, elsewhere: State.READY}  # fmt: skip
    assert overview.identifier_jobs("order-7") == 1  # this queue's only
    assert overview.identifier_jobs("order-8") == 0


def _outcomes_plan(engine) -> str:
    """Which index the failure rate's statement reads and how: MariaDB's EXPLAIN key and Extra, SQLite's plan."""
    rows = explain(engine, "monitor/outcomes_since", {"queue": "default", "since": "2999-01-01"})
    return " | ".join(row["detail"] if "detail" in row else f"{row['key']}: {row['Extra']}" for row in rows)


def test_update_schema_adds_the_failure_rate_index_to_an_existing_table(jobs_engine):
    """A table made before idx_background_job_attempted existed: the upgrade adds it, keeps every row, and the
    failure rate then reads it alone instead of every finished job."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import inspect

    engine = jobs_engine
    queue = JobQueue(engine)
    with queue.bulk():
        for i in range(2000):
            queue.publish("noop", {"i": i}, priority=i % 100)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with engine.begin() as conn:  # mostly finished long ago; a few outcomes in the window
        conn.execute(text("UPDATE background_job SET state = 3, last_attempt_at = :old WHERE id % 100 < 97"),
                     {"old": now - timedelta(days=3)})  # fmt: skip
        conn.execute(text("UPDATE background_job SET state = 4, last_attempt_at = :new WHERE id % 100 = 97"),
                     {"new": now - timedelta(minutes=2)})  # fmt: skip
        conn.execute(text("UPDATE background_job SET state = 3, last_attempt_at = :new WHERE id % 100 = 98"),
                     {"new": now - timedelta(minutes=2)})  # fmt: skip
        on = "" if engine.dialect.name == "sqlite" else " ON background_job"
        conn.execute(text(f"DROP INDEX idx_background_job_attempted{on}"))
    before = _outcomes_plan(engine)

    assert queue.update_schema() == ["index idx_background_job_attempted"]

    indexes = {index["name"]: index["column_names"] for index in inspect(engine).get_indexes("background_job")}
    assert indexes["idx_background_job_attempted"] == ["queue", "state", "last_attempt_at"]
    assert queue.update_schema() == []
    with engine.begin() as conn:
        conn.execute(text("ANALYZE" if engine.dialect.name == "sqlite" else "ANALYZE TABLE background_job"))
        assert conn.execute(text("SELECT COUNT(*) FROM background_job")).scalar() == 2000
    after = _outcomes_plan(engine)
    assert "idx_background_job_attempted" not in before, before
    # The index alone, read as ranges on (queue, state, last_attempt_at): no row of the table is looked at.
    assert after in ("idx_background_job_attempted: Using where; Using index",
                     "SEARCH background_job USING COVERING INDEX idx_background_job_attempted "
                     "(queue=? AND state=? AND last_attempt_at>?)"), after  # fmt: skip
    assert QueueOverview(engine).outcomes_since(now - timedelta(minutes=15)) == {
        "finished": 20, "temporarily_failed": 20, "permanently_failed": 0}  # fmt: skip


def test_a_consumer_late_renewing_its_lease_shows_before_it_loses_its_jobs(jobs_engine):
    """Renewed 200 s ago on a 300 s lease: late (over half a lease), not yet expired; renewed 10 s ago: on time."""
    from datetime import timedelta

    from roster.jobs import JobQueue
    from roster.jobs.store import ts
    from roster.monitor.overview import QueueOverview, utcnow

    queue = JobQueue(jobs_engine)
    ids = [queue.publish("noop") for _ in range(3)]
    now = utcnow().replace(microsecond=0)
    with jobs_engine.begin() as conn:
        for job_id, pid, renewed in [(ids[0], 11, 200), (ids[1], 11, 200), (ids[2], 22, 10)]:
            conn.execute(
                text("UPDATE background_job SET state = 2, pid = :pid, hostname = 'h', last_attempt_at = :r, "
                     "lease_renewed_at = :r, locked_until = :u WHERE id = :id"),
                {"pid": pid, "r": ts(now - timedelta(seconds=renewed)), "u": ts(now + timedelta(seconds=300 - renewed)),
                 "id": job_id},
            )  # fmt: skip

    consumers = {c["pid"]: c for c in QueueOverview(jobs_engine).consumers(now=now)}

    assert consumers[11]["renewal_late"] and not consumers[11]["lease_expired"]
    assert (consumers[11]["renewed_seconds_ago"], consumers[11]["lease_seconds"], consumers[11]["jobs"]) == (200, 300, 2)
    assert not consumers[22]["renewal_late"] and consumers[22]["renewed_seconds_ago"] == 10
