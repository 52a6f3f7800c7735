"""Flow control reads its own two indexes (index only on MariaDB) and leaves them alone for plain jobs: a key's PROCESSING
jobs and a batch's unfinished ones are read through the computed ``concurrency_state`` / ``batch_state`` (the job's
state where it has a key or a batch, NULL otherwise), on MariaDB and SQLite."""

from __future__ import annotations

from sqlalchemy import text

from roster.jobs import JobQueue
from roster.jobs.publisher import PUBLISH_CHUNK, insert_many_sql
from roster.jobs.store import Tx
from tests.plans import explain


def _indexes(plan: list[dict]) -> str:
    """Every index the plan names (MariaDB's ``key`` column, SQLite's ``detail``), as one string to search."""
    return " ".join(str(row.get("key") or row.get("detail") or "") for row in plan)


def _fill(engine) -> int:
    queue = JobQueue(engine)
    with queue.bulk():
        for i in range(300):
            queue.publish("noop", {"i": i})
            queue.publish("noop", {"i": i}, concurrency_key=f"tenant-{i % 7}", concurrency=2)
    with queue.batch("plans") as batch:
        for i in range(50):
            batch.publish("noop", {"i": i})
    with engine.begin() as conn:
        conn.execute(text("ANALYZE background_job" if engine.dialect.name == "sqlite" else "ANALYZE TABLE background_job"))
        return conn.execute(text("SELECT MAX(id) FROM background_job_batch")).scalar()


def test_the_concurrency_check_and_the_batch_completion_read_their_indexes(engine):
    batch_id = _fill(engine)
    claim = {"queue": "default", "low": 0, "high": 1000, "now": "2999-01-01", "batch": 10, "every_id": 1, "only": [0]}
    assert "idx_background_job_concurrency_state" in _indexes(explain(engine, "jobs/claim_candidates", claim))
    running = explain(engine, "jobs/flow_running", {"keys": ["tenant-1", "tenant-2"]})
    assert "idx_background_job_concurrency_state" in _indexes(running)
    counts = explain(engine, "jobs/batch_counts", {"id": batch_id})
    assert "idx_background_job_batch_state" in _indexes(counts)
    if engine.dialect.name != "sqlite":  # index only (SQLite reads the row of a computed column's index entry)
        assert all("Using index" in (row["Extra"] or "") for row in running + counts), running + counts


def test_the_computed_states_follow_the_job_and_stay_null_without_a_key(engine):
    _fill(engine)
    queue = JobQueue(engine)
    assert queue.process()["finished"] == 650
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT concurrency_key IS NULL, batch_id IS NULL, concurrency_state, batch_state, state, COUNT(*)"
            " FROM background_job GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2")).all()  # fmt: skip
    # keyed: its state; in a batch: its state; plain: NULL in both (never in either index on SQLite)
    assert [tuple(r) for r in rows] == [(0, 1, 3, None, 3, 300), (1, 0, None, 3, 3, 50), (1, 1, None, None, 3, 300)]


def test_a_chunk_of_plain_jobs_is_inserted_without_the_flow_fields(engine, monkeypatch):
    """A bulk chunk of plain jobs runs insert_many without its "-- flow" lines (the server reads no flow field of any
    row); a chunk with one flow job runs all of it. Either way every row holds what was published."""
    dialect = engine.dialect.name
    plain, flow = insert_many_sql(dialect, flow=False), insert_many_sql(dialect, flow=True)
    assert "-- flow" in flow and "-- flow" not in plain
    assert not any(name in plain for name in ("concurrency_key", "concurrency_limit", "rate_key", "rate_limit", "batch_id"))
    ran = []
    rows_of = Tx.rows_of
    monkeypatch.setattr(Tx, "rows_of", lambda tx, sql, **params: ran.append(sql) or rows_of(tx, sql, **params))
    queue = JobQueue(engine)
    with queue.bulk() as ids:
        for i in range(PUBLISH_CHUNK):  # the first chunk: plain jobs only
            queue.publish("noop", {"i": i}, serial_group=f"g{i % 3}" if i % 2 else None)
        queue.publish("noop", {"i": -1})  # the second: one plain job, one keyed
        queue.publish("noop", {"i": -2}, concurrency_key="tenant-1", concurrency=2)
    assert [sql == plain for sql in ran if "INSERT INTO background_job " in sql] == [True, False]
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, serial_group, concurrency_key, concurrency_limit, rate_key, batch_id"
                                 " FROM background_job ORDER BY id")).all()  # fmt: skip
    assert [row[0] for row in rows] == ids and len(ids) == PUBLISH_CHUNK + 2
    assert all(row[2:] == (None, None, None, None) for row in rows[:-1])
    assert rows[-1][2:] == ("tenant-1", 2, None, None)
    assert [row[1] for row in rows[:4]] == [None, "g1", None, "g0"]
