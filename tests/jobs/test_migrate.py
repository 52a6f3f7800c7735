"""An older job table (the first release's) is brought up to date by the numbered upgrades, keeping its rows: the
same columns and indexes as a table made new, on MariaDB and SQLite; a second run adds nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from roster.db import statements
from roster.jobs import JobQueue
from roster.jobs.migrate import migrations, update_schema

V1 = Path(__file__).with_name("background_job_v1.sql")


def _shape(engine) -> tuple[set, set]:
    with engine.connect() as conn:
        inspector = inspect(conn)
        columns = {(c["name"], str(c["type"]).split("(")[0].upper(), c["nullable"])
                   for c in inspector.get_columns("background_job")}  # fmt: skip
        indexes = {(i["name"], tuple(i["column_names"])) for i in inspector.get_indexes("background_job")}
    return columns, indexes


def test_an_older_table_gets_the_upgrades_it_lacks_and_keeps_its_rows(engine):
    fresh = JobQueue(engine)
    fresh.update_schema()
    expected = _shape(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE background_job"))
        v1 = V1.with_suffix(".sqlite.sql") if engine.dialect.name == "sqlite" else V1
        for statement in statements(v1.read_text(encoding="utf-8")):
            conn.execute(text(statement))
        conn.execute(text("INSERT INTO background_job (callback_name, parameters, state) VALUES ('noop', '{}', 1)"))
    assert _shape(engine) != expected

    added = update_schema(engine)

    assert added == [f"{kind} {name}" for _, kind, name in migrations()]
    assert added == ["column cancel_requested", "index idx_background_job_attempted", "column claim_id",
                     "column lease_renewed_at", "column concurrency_key", "column concurrency_limit", "column rate_key",
                     "column rate_limit", "column batch_id", "column concurrency_state", "column batch_state",
                     "index idx_background_job_concurrency_state", "index idx_background_job_batch_state"]  # fmt: skip
    assert _shape(engine) == expected
    assert update_schema(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT callback_name, cancel_requested FROM background_job")).all() == [("noop", 0)]
    queue = JobQueue(engine)
    queue.publish("noop")
    assert queue.process()["finished"] == 2  # the upgraded table works: the old row and a new one
    with queue.batch("after-upgrade") as batch:  # and its new columns and tables: flow control, batches
        batch.publish("limited", {"key": "x"}, concurrency_key="t")
    assert queue.process()["finished"] == 1 and queue.announce_batches() == ["after-upgrade"]


def _v1_table(engine) -> None:
    """The first release's job table, alone: none of the upgrades nor the tables added since."""
    with engine.begin() as conn:
        for table in inspect(conn).get_table_names():
            if table.startswith("background_job"):
                conn.execute(text(f"DROP TABLE {table}"))
        v1 = V1.with_suffix(".sqlite.sql") if engine.dialect.name == "sqlite" else V1
        for statement in statements(v1.read_text(encoding="utf-8")):
            conn.execute(text(statement))


def test_the_read_only_views_name_an_older_table_and_leave_it_as_it_is(engine):
    """Looking (the page's API, ``roster jobs stats``) never upgrades: on an older table each view says what it
    lacks and how to upgrade, instead of failing on a column it does not have."""
    from roster.errors import NoJobTableError
    from roster.jobs.migrate import pending

    _v1_table(engine)
    before = _shape(engine)
    queue = JobQueue(engine)
    with pytest.raises(NoJobTableError, match=r"predates this roster \(it lacks column cancel_requested, .*"
                                              r"table background_job_batch.*\): `roster jobs update-schema`"):
        queue.require_table()
    assert _shape(engine) == before
    assert "column batch_id" in pending(engine) and "table background_job_minute" in pending(engine)

    update_schema(engine)

    assert pending(engine) == []
    JobQueue(engine).require_table()
    assert JobQueue(engine).stats() is not None


def test_a_missing_table_is_told_apart_from_an_older_one(engine):
    from roster.errors import NoJobTableError
    from roster.jobs.migrate import pending

    _v1_table(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE background_job"))
    assert pending(engine) is None
    with pytest.raises(NoJobTableError, match="no job table yet"):
        JobQueue(engine).require_table()
