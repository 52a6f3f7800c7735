"""An older job table (the first release's) is brought up to date by the numbered upgrades, keeping its rows: the
same columns and indexes as a table made new, on MariaDB and SQLite; a second run adds nothing."""

from __future__ import annotations

from pathlib import Path

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
                     "column rate_limit", "column batch_id", "index idx_background_job_concurrency",
                     "index idx_background_job_batch"]  # fmt: skip
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
