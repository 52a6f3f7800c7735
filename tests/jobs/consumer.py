"""A consumer process for the concurrency tests: ``python -m tests.jobs.consumer DB_URL [LEASE] [PRIORITIES]
[IDLE_WAIT] [WORKER]`` (PRIORITIES ``-`` for every lane)."""

from __future__ import annotations

import sys

import orjson
from sqlalchemy import create_engine

from roster.jobs import JobQueue

if __name__ == "__main__":
    url, lease = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 30
    priorities = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] != "-" else None
    idle_wait = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    worker = sys.argv[5] if len(sys.argv) > 5 else None
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        from sqlalchemy import event

        from roster.connections import _sqlite_pragmas

        event.listen(engine, "connect", _sqlite_pragmas)
    summary = JobQueue(engine, lease_seconds=lease).process(
        priorities=priorities, time_limit=120, handle_signals=True, idle_wait=idle_wait, worker=worker
    )
    print(orjson.dumps(summary).decode())
