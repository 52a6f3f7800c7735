"""Job queue fixtures: a JobQueue on MariaDB and on SQLite over an empty table, and the job_runs side table."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from conftest import MARIADB_URL, TEST_DATABASE

RUNS_DDL = "CREATE TABLE IF NOT EXISTS job_runs (run_key VARCHAR(64), pid INT, started DOUBLE, finished DOUBLE)"


@pytest.fixture(scope="session")
def sqlite_jobs_engine(tmp_path_factory):
    from roster.db import _sqlite_pragmas
    from sqlalchemy import event

    engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('jobs') / 'jobs.db'}")
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@pytest.fixture(params=["mariadb", "sqlite"])
def engine(request, mariadb_engine, sqlite_jobs_engine):
    return reset(mariadb_engine if request.param == "mariadb" else sqlite_jobs_engine)


def reset(engine):
    """An empty queue, and an empty job_runs table where the test callbacks record their runs."""
    runs_url = f"{MARIADB_URL}/{TEST_DATABASE}" if engine.dialect.name != "sqlite" else str(engine.url)
    os.environ["ROSTER_TEST_RUNS_URL"] = runs_url
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS background_job"))
        conn.execute(text("DROP TABLE IF EXISTS background_job_control"))
        conn.execute(text("DROP TABLE IF EXISTS background_job_counter"))
        for table in ("background_job_limit", "background_job_start", "background_job_batch", "background_job_attempt",
                      "background_job_minute"):
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        conn.execute(text(RUNS_DDL))
        conn.execute(text("DELETE FROM job_runs"))
    return engine


@pytest.fixture
def queue(engine):
    from roster.jobs import JobQueue

    return JobQueue(engine, lease_seconds=30)


def runs(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT run_key, pid, started, finished FROM job_runs ORDER BY started")).fetchall()


def states(engine) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, state FROM background_job")).fetchall())


def row(engine, job_id: int) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT * FROM background_job WHERE id = :id"), {"id": job_id}).mappings().one())
