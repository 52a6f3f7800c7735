"""A job table on MariaDB and on SQLite, and a way to put jobs in any state, due or claimed minutes ago."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from roster.jobs import JobQueue, State
from tests.jobs.conftest import reset, sqlite_jobs_engine  # noqa: F401 - the SQLite job table fixture


@pytest.fixture(params=["mariadb", "sqlite"])
def jobs_engine(request, mariadb_engine, sqlite_jobs_engine):
    engine = reset(mariadb_engine if request.param == "mariadb" else sqlite_jobs_engine)
    JobQueue(engine).update_schema()
    return engine


def put(engine, *, priority: int, state: State, count: int = 1, due_minutes_ago: float = 0.0,
        claimed_minutes_ago: float | None = None, finished: bool = False) -> list[int]:  # fmt: skip
    """``count`` jobs of ``priority`` in ``state``, due that long ago, last claimed that long ago (or never)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    queue = JobQueue(engine)
    ids = [queue.publish("noop", {}, priority=priority) for _ in range(count)]
    claimed = None if claimed_minutes_ago is None else now - timedelta(minutes=claimed_minutes_ago)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE background_job SET state = :state, available_at = :due, last_attempt_at = :claimed, "
                 "finished_at = :finished WHERE id IN (" + ", ".join(str(i) for i in ids) + ")"),
            {"state": int(state), "due": now - timedelta(minutes=due_minutes_ago), "claimed": claimed,
             "finished": claimed if finished else None},
        )  # fmt: skip
    return ids
