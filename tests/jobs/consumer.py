"""A consumer process for the concurrency tests: ``python -m tests.jobs.consumer DB_URL [LEASE] [PRIORITIES] [WORKER]``."""

from __future__ import annotations

import sys

import orjson
from sqlalchemy import create_engine

from roster.jobs import JobQueue

if __name__ == "__main__":
    url, lease = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 30
    priorities = sys.argv[3] if len(sys.argv) > 3 else None
    worker = sys.argv[4] if len(sys.argv) > 4 else None
    summary = JobQueue(create_engine(url), lease_seconds=lease).process(
        priorities=priorities, time_limit=120, handle_signals=True, worker=worker
    )
    print(orjson.dumps(summary).decode())
